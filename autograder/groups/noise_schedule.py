"""Part B's ``add_noise`` and ``ddpm_schedule`` groups."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from autograder import config, strategies
from autograder.child.cases import AddNoiseCase, AddNoiseSpec, Probe, ScheduleCase, ScheduleSpec
from autograder.compare import check_tensor, matches_a_draw, max_diff
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.groups.part_b_common import _generator, reference
from autograder.sandbox import ChildRun
from autograder.traces import split_trace


@dataclass(frozen=True)
class NoisedInput:
    """What ``add_noise`` was called with: the clean input and σ."""

    x: torch.Tensor
    sigma: float


@dataclass(frozen=True)
class ScheduleExpected:
    """One ``ddpm_schedule`` configuration and the reference's schedule for it."""

    beta1: float
    beta2: float
    num_ts: int
    schedule: dict[str, torch.Tensor]


class AddNoiseGroup(Group):
    """``add_noise(x, sigma)``: ``z − x = σ ε`` for drawn noise ε of ``x``'s shape."""

    def __init__(self) -> None:
        super().__init__(name="add_noise", part="b", probe_ref=Probe.ADD_NOISE, timeout_s=config.TIME_LIMITS_S["add_noise"])
        self.tests = (TestSpec("add_noise: z = x + σ·ε with ε ~ N(0, I)", 2.0, ("add_noise",)),)

    def plan_spec(self) -> tuple[AddNoiseSpec, dict[str, torch.Tensor]]:
        shapes = strategies.examples(strategies.image_shapes(), 3)
        sigmas = strategies.examples(strategies.sigmas(), 3)
        cases, inputs = [], {}
        for j, (shape, sigma) in enumerate(zip(shapes, sigmas)):
            x = torch.rand(shape, generator=_generator(20 + j))
            inputs[f"x{j}"] = x
            self.expected[f"c{j}"] = NoisedInput(x, sigma)
            cases.append(AddNoiseCase(key=f"c{j}", x=f"x{j}", sigma=sigma))
        return AddNoiseSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        for key, noised in self.expected.items():
            x, sigma = noised.x, noised.sigma
            record, why = record_or_reason(run, key)
            if record is None:
                return {self.tests[0].name: (0.0, why)}
            z = record.tensors.get("z")
            _, draws = split_trace(record.tensors)
            if z is None or z.shape != x.shape or not torch.isfinite(z).all():
                return {self.tests[0].name: (0.0, f"for x of shape {list(x.shape)} expected z of the same shape, got {None if z is None else list(z.shape)}")}
            if sigma == 0:
                if max_diff(z, x) > 1e-6:
                    return {self.tests[0].name: (0.0, "with σ = 0, z must equal x")}
                continue
            if not matches_a_draw((z - x) / sigma, draws, 1e-3):
                hint = ""
                if matches_a_draw(z - x, draws, 1e-3):
                    hint = " Hint: the noise is not multiplied by σ."
                elif matches_a_draw(z / sigma, draws, 1e-3):
                    hint = " Hint: x itself is missing from z."
                elif matches_a_draw((z - x) / sigma ** 2, draws, 1e-3):
                    hint = " Hint: σ² is used where σ belongs (σ is a standard deviation)."
                return {self.tests[0].name: (0.0, f"with σ = {sigma}: (z − x)/σ is not Gaussian noise drawn in the call.{hint}")}
        return {self.tests[0].name: (1.0, "z = x + σ·ε for every case")}


class ScheduleGroup(Group):
    """``ddpm_schedule``: betas, alphas, alpha_bars against the reference."""

    def __init__(self) -> None:
        super().__init__(name="ddpm_schedule", part="b", probe_ref=Probe.SCHEDULE, timeout_s=config.TIME_LIMITS_S["ddpm_schedule"])
        self.tests = (TestSpec("ddpm_schedule: betas, alphas and alpha_bars", 2.0, ("ddpm_schedule",)),)

    def plan_spec(self) -> tuple[ScheduleSpec, dict[str, torch.Tensor]]:
        configs = [(1e-4, 0.02, 300)] + strategies.examples(strategies.schedules(), 3)
        cases = []
        for j, (b1, b2, n) in enumerate(configs):
            self.expected[f"s{j}"] = ScheduleExpected(b1, b2, n, reference().ddpm_schedule(b1, b2, n))
            cases.append(ScheduleCase(key=f"s{j}", beta1=b1, beta2=b2, num_ts=n))
        return ScheduleSpec(cases=cases), {}

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        name = self.tests[0].name
        for key, want in self.expected.items():
            b1, b2, n, expected = want.beta1, want.beta2, want.num_ts, want.schedule
            record, why = record_or_reason(run, key)
            if record is None:
                return {name: (0.0, why)}
            for part in ("betas", "alphas", "alpha_bars"):
                got = record.tensors.get(part)
                if got is None:
                    return {name: (0.0, f"the returned dict has no {part!r} entry (keys: {record.meta.get('keys')})")}
                got = _squeeze_broadcast_dims(got, n)
                ok, message = check_tensor(got.float(), expected[part], f"{part} for ({b1}, {b2}, {n})", 1e-6, 1e-5)
                if not ok:
                    hint = ""
                    if part == "betas" and got.numel() == n:
                        grid = torch.linspace(b1, b2, n + 1)
                        if max_diff(got.float(), grid[1:]) < 1e-6 or max_diff(got.float(), grid[:-1]) < 1e-6:
                            hint = " Hint: betas are off by one element — torch.linspace(beta1, beta2, num_ts) includes both ends."
                    if part == "alpha_bars":
                        hint = " Hint: ᾱ_t is the cumulative product of the alphas (torch.cumprod)."
                    return {name: (0.0, message + hint)}
        return {name: (1.0, "matches the reference for every configuration")}


def _squeeze_broadcast_dims(values: torch.Tensor, num_ts: int) -> torch.Tensor:
    """``[num_ts, 1, 1, 1]`` (a schedule shaped to broadcast over image batches) as ``[num_ts]``; other shapes as
    they are, for the shape check to report."""
    if values.dim() > 1 and values.shape[0] == num_ts and all(size == 1 for size in values.shape[1:]):
        return values.reshape(num_ts)
    return values
