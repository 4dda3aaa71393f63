"""Part B's DDPM groups: training losses and sampling loops on the stand-in UNet (time- and class-conditioned),
and the ``DDPM`` module's wiring. Every step is checked against the course's algorithms for the noise the
submission actually drew.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from autograder import config
from autograder.child import spies
from autograder.child.cases import DDPMCase, DDPMModuleCase, DDPMModuleSpec, DDPMSpec, Probe
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.groups.part_b_common import (
    DDPM_T,
    _digits,
    _generator,
    _schedule_inputs,
    dropout_outcome,
    dropped_at_sampling,
    verdict_of,
)
from autograder.sandbox import ChildRun
from autograder.traces import CONVENTION_NAMES, Verdict, verify_sampling, verify_training


@dataclass(frozen=True)
class TrainingExpected:
    """A training call's data: the schedule, the clean images handed in and, conditioned, their classes."""

    schedule: dict[str, torch.Tensor]
    x0: torch.Tensor
    c: torch.Tensor | None = None
    p_uncond: float = 0.0


@dataclass(frozen=True)
class SamplingExpected:
    """A sampling call's settings: the schedule, the number of images asked for and, guided, the classes."""

    schedule: dict[str, torch.Tensor]
    batch: int
    c: torch.Tensor | None = None
    guidance_scale: float = 5.0


class DDPMTimeGroup(Group):
    """``ddpm_forward`` and ``ddpm_sample`` on the stand-in UNet, and their shared time convention."""

    def __init__(self) -> None:
        super().__init__(name="ddpm", part="b", probe_ref=Probe.DDPM, timeout_s=config.TIME_LIMITS_S["ddpm"])
        self.tests = (
            TestSpec("ddpm_forward: x_t, t/T and the loss follow Algorithm 1", 3.0, ("ddpm_forward",)),
            TestSpec("ddpm_sample: every step follows Algorithm 2", 3.0, ("ddpm_sample",), public=False),
            TestSpec("ddpm_forward and ddpm_sample use the same time convention", 1.0, ("ddpm_forward", "ddpm_sample"), public=False),
        )

    def plan_spec(self) -> tuple[DDPMSpec, dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs["x0"] = _digits(512, 30)
        schedule = _schedule_inputs()
        cases = [
            DDPMCase(key="forward", kind="ddpm_forward", x="x0", seed=1),
            DDPMCase(key="sample", kind="ddpm_sample", img_wh=(28, 28), num_samples=4, seed=2),
        ]
        self.expected.update(forward=TrainingExpected(schedule, inputs["x0"]), sample=SamplingExpected(schedule, 4))
        return DDPMSpec(conditional=False, num_ts=DDPM_T, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet()
        forward, sampling = self.expected["forward"], self.expected["sample"]
        train = verdict_of(run, "forward", lambda r: verify_training(r.tensors, forward.x0, forward.schedule, lambda x, t, c: spy.eps(x, t), DDPM_T))
        sample = verdict_of(run, "sample", lambda r: _sample_verdict(r, sampling.schedule, lambda x, t: spy.eps(x, t), sampling.batch))
        return {
            self.tests[0].name: (float(train.ok), train.message),
            self.tests[1].name: (float(sample.ok), sample.message),
            self.tests[2].name: _consistency(train, sample),
        }


class DDPMClassCondGroup(Group):
    """``ddpm_forward_cond`` (loss and class dropout) and ``ddpm_sample_cond`` (CFG)."""

    def __init__(self) -> None:
        super().__init__(name="ddpm_cond", part="b", probe_ref=Probe.DDPM, timeout_s=config.TIME_LIMITS_S["ddpm_cond"])
        self.tests = (
            TestSpec("ddpm_forward_cond: x_t, t/T and the loss follow Algorithm 3", 2.0, ("ddpm_forward_cond",)),
            TestSpec("ddpm_forward_cond: the class is dropped with probability p_uncond", 2.0, ("ddpm_forward_cond",), public=False),
            TestSpec("ddpm_sample_cond: every step follows Algorithm 4 (CFG)", 3.0, ("ddpm_sample_cond",), public=False),
        )

    def plan_spec(self) -> tuple[DDPMSpec, dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs["x0"] = _digits(512, 31)
        inputs["c"] = torch.randint(0, 10, (512,), generator=_generator(32))
        inputs["x0_small"] = inputs["x0"][:64].clone()
        inputs["c_small"] = inputs["c"][:64].clone()
        inputs["c_sample"] = torch.tensor([1, 3, 5, 7])
        schedule = _schedule_inputs()
        self.expected.update(
            forward=TrainingExpected(schedule, inputs["x0"], inputs["c"], p_uncond=0.3),
            forward_p0=TrainingExpected(schedule, inputs["x0_small"], inputs["c_small"], p_uncond=0.0),
            sample=SamplingExpected(schedule, 4, inputs["c_sample"], guidance_scale=5.0),
        )
        cases = [
            DDPMCase(key="forward", kind="ddpm_forward_cond", x="x0", c="c", p_uncond=0.3, seed=1),
            DDPMCase(key="forward_p0", kind="ddpm_forward_cond", x="x0_small", c="c_small", p_uncond=0.0, seed=3),
            DDPMCase(key="sample", kind="ddpm_sample_cond", c="c_sample", img_wh=(28, 28), guidance_scale=5.0, seed=2),
        ]
        return DDPMSpec(conditional=True, num_ts=DDPM_T, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet(conditional=True)
        forward, sampling = self.expected["forward"], self.expected["sample"]
        schedule = sampling.schedule
        loss = verdict_of(run, "forward", lambda r: verify_training(r.tensors, forward.x0, forward.schedule, spy.eps, DDPM_T))
        dropout = dropout_outcome(run, [(key, self.expected[key].c, self.expected[key].p_uncond) for key in ("forward", "forward_p0")])
        c1h = F.one_hot(sampling.c, 10).float()

        def guided(gamma_sign: float = 1.0, swap: bool = False) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
            def fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
                eps_c, eps_u = spy.eps(x, t, c1h), spy.eps(x, t, torch.zeros_like(c1h))
                if swap:
                    eps_c, eps_u = eps_u, eps_c
                return eps_u + gamma_sign * sampling.guidance_scale * (eps_c - eps_u)
            return fn

        sample = verdict_of(run, "sample", lambda r: _sample_verdict(r, schedule, guided(), sampling.batch))
        if not sample.ok and "Algorithm-2 update" in sample.message:
            record = run.records["sample"]
            if _sample_verdict(record, schedule, guided(swap=True), sampling.batch).ok:
                sample.message = "ε_c and ε_u are swapped in the guidance formula: ε = ε_u + γ(ε_c − ε_u)"
            elif _sample_verdict(record, schedule, guided(-1.0), sampling.batch).ok:
                sample.message = "sign error in classifier-free guidance: ε = ε_u + γ(ε_c − ε_u)"
            elif dropped_at_sampling(record):
                sample.message = "the class was dropped (zeroed) on conditional calls while sampling: class dropout belongs to training only"
        return {
            self.tests[0].name: (float(loss.ok), loss.message),
            self.tests[1].name: dropout,
            self.tests[2].name: (float(sample.ok), sample.message),
        }


def _sample_verdict(record: Any, schedule, eps_fn, batch: int) -> Verdict:
    images = record.tensors.get("images")
    if "num_samples" in record.meta.get("unpassed", []) and images is not None and images.dim() > 0:
        batch = images.shape[0]  # the course's signature has no num_samples: its own number of samples is graded
    verdict = verify_sampling(record.tensors, schedule, eps_fn, DDPM_T, batch)
    if verdict.ok and record.meta.get("frames_returned", True):
        frames = record.meta.get("frames", 0)
        # An empty list passes: the grader samples with T = 30, and frames kept every 50 steps (sized for the
        # assignment's T = 300) are then none.
        if frames is None or frames < 0 or not record.meta.get("frame_shapes_ok"):
            return Verdict(False, "frames must be a list of [N, C, H, W] snapshots (or them stacked as "
                                  "[N, T, C, H, W])", verdict.convention)
    return verdict


def _consistency(train: Verdict, sample: Verdict) -> tuple[float, str]:
    if train.convention is None or sample.convention is None:
        return 0.0, "cannot be checked until ddpm_forward and ddpm_sample both pass (see those tests)"
    if train.convention != sample.convention:
        names = CONVENTION_NAMES
        return 0.0, f"training uses {names[train.convention]} but sampling uses {names[sample.convention]}"
    return 1.0, "training and sampling agree on t"


class DDPMModuleGroup(Group):
    """``DDPM``: forward/sample call the DDPM functions with its UNet and schedule (or compute the same)."""

    def __init__(self) -> None:
        super().__init__(name="DDPM", part="b", probe_ref=Probe.DDPM_MODULE, timeout_s=config.TIME_LIMITS_S["DDPM"])
        self.tests = (TestSpec("DDPM: forward and sample use the module's UNet, schedule and settings", 2.0, ("DDPM",)),)

    def plan_spec(self) -> tuple[DDPMModuleSpec, dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs.update(x=_digits(256, 40), c=torch.randint(0, 10, (256,), generator=_generator(41)),
                      c_sample=torch.tensor([2, 4, 6]))
        schedule = _schedule_inputs()
        self.expected.update(
            loss=TrainingExpected(schedule, inputs["x"]),
            loss_c=TrainingExpected(schedule, inputs["x"], inputs["c"], p_uncond=0.1),
            sample=SamplingExpected(schedule, 3),
            sample_c=SamplingExpected(schedule, 3, inputs["c_sample"], guidance_scale=5.0),
        )
        cases = [
            DDPMModuleCase(key="loss", method="forward", x="x"),
            DDPMModuleCase(key="loss_c", method="forward", x="x", c="c"),
            DDPMModuleCase(key="sample", method="sample", num_samples=3, seed=5),
            DDPMModuleCase(key="sample_c", method="sample", c="c_sample", guidance_scale=5.0, seed=5),
        ]
        return DDPMModuleSpec(betas=(1e-4, 0.02), num_ts=DDPM_T, p_uncond=0.1, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        name = self.tests[0].name
        expected_calls = {
            "loss": ("ddpm_forward", ["<unet>", "<schedule>", "<input x>", DDPM_T]),
            "loss_c": ("ddpm_forward_cond", ["<unet>", "<schedule>", "<input x>", "<input c>", 0.1, DDPM_T]),
            "sample": ("ddpm_sample", ["<unet>", "<schedule>", [28, 28], DDPM_T, 5, 3]),
            "sample_c": ("ddpm_sample_cond", ["<unet>", "<schedule>", "<input c_sample>", [28, 28], DDPM_T, 5.0, 5]),
        }
        params = {
            "ddpm_forward": ["unet", "ddpm_schedule", "x_0", "num_ts"],
            "ddpm_forward_cond": ["unet", "ddpm_schedule", "x_0", "c", "p_uncond", "num_ts"],
            "ddpm_sample": ["unet", "ddpm_schedule", "img_wh", "num_ts", "seed", "num_samples"],
            "ddpm_sample_cond": ["unet", "ddpm_schedule", "c", "img_wh", "num_ts", "guidance_scale", "seed"],
        }
        defaults = {"seed": 0, "num_samples": 40, "guidance_scale": 5.0}
        spy_t, spy_c = spies.SpyUNet(), spies.SpyUNet(conditional=True)
        for key, (fn, want) in expected_calls.items():
            expected = self.expected[key]
            wired, why = record_or_reason(run, key + "_wired")
            problem = why
            if wired is not None:
                problem = _wiring_problem(wired.meta.get("calls", []), fn, want, params[fn], defaults)
                if not problem:
                    continue
            real, real_why = record_or_reason(run, key + "_real")
            if real is None:
                return {name: (0.0, f"{key}: {problem}")}
            if key == "loss":
                verdict = verify_training(real.tensors, expected.x0, expected.schedule, lambda x, t, c: spy_t.eps(x, t), DDPM_T)
            elif key == "loss_c":
                verdict = verify_training(real.tensors, expected.x0, expected.schedule, spy_c.eps, DDPM_T)
            elif key == "sample":
                # any number of samples: a sample() or ddpm_sample written to the course's signature has no num_samples
                images = real.tensors.get("images")
                batch = images.shape[0] if images is not None and images.dim() > 0 else expected.batch
                verdict = verify_sampling(real.tensors, expected.schedule, lambda x, t: spy_t.eps(x, t), DDPM_T, batch)
            else:
                c1h, scale = F.one_hot(expected.c, 10).float(), expected.guidance_scale
                verdict = verify_sampling(real.tensors, expected.schedule, lambda x, t, c1h=c1h, scale=scale: spy_c.eps(x, t, torch.zeros_like(c1h)) + scale * (
                    spy_c.eps(x, t, c1h) - spy_c.eps(x, t, torch.zeros_like(c1h))), DDPM_T, expected.batch)
            if not verdict.ok:
                return {name: (0.0, f"{key}: {problem}")}
        return {name: (1.0, "forward and sample pass the module's UNet, schedule, p_uncond and num_ts on")}


def _wiring_problem(calls: list[dict[str, Any]], fn: str, want: list[Any], names: list[str], defaults: dict[str, Any]) -> str:
    matching = [c for c in calls if c.get("fn") == fn]
    if not matching:
        return f"{fn} was not called (calls seen: {[c.get('fn') for c in calls if c.get('fn') != 'ddpm_schedule'] or 'none'})"
    call = matching[-1]
    bound = dict(zip(names, call.get("args", [])))
    bound.update(call.get("kwargs", {}))
    for param, value in zip(names, want):
        got = bound.get(param, defaults.get(param, "<missing>"))
        if value == "<schedule>":
            if not (isinstance(got, dict) and all(str(got.get(k, "")).startswith(f"<input {k}>") for k in ("betas", "alphas", "alpha_bars"))):
                return f"{fn} did not receive the module's schedule (got {str(got)[:80]})"
            continue
        if isinstance(value, list):
            got = list(got) if isinstance(got, (list, tuple)) else got
        if isinstance(value, float) and isinstance(got, (int, float)):
            if abs(got - value) > 1e-9:
                return f"{fn} received {param} = {got}, expected {value}"
            continue
        if got != value:
            return f"{fn} received {param} = {str(got)[:60]}, expected {value}"
    return ""
