"""Part B's flow-matching groups (docs/spec.md §2.6): training losses and Euler samplers on the stand-in UNet (read
as a velocity field), and the ``FlowMatching`` module. Every step is checked against the flow for the noise the
submission actually drew (:mod:`autograder.traces_fm`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from autograder import config
from autograder.child import spies
from autograder.child.cases import FlowCase, FlowModuleCase, FlowModuleSpec, FlowSpec, Probe
from autograder.groups.base import Group, TestSpec
from autograder.groups.part_b_common import _digits, _generator, dropout_outcome, dropped_at_sampling, verdict_of
from autograder.sandbox import ChildRun
from autograder.traces_fm import conventions_agree, verify_fm_sampling, verify_fm_training

FLOW_T = 12
"""Euler steps in the sampler tests: enough steps to tell a wrong step size or time grid from the right one."""
GAMMA = 5.0


@dataclass(frozen=True)
class FlowTrainingExpected:
    """A loss call's data: the clean images handed in and, conditioned, their classes and ``p_uncond``."""

    x1: torch.Tensor
    c: torch.Tensor | None = None
    p_uncond: float = 0.0


@dataclass(frozen=True)
class FlowSamplingExpected:
    """A sampler call's settings: its Euler steps and, guided, the classes and the guidance scale."""

    num_ts: int
    c: torch.Tensor | None = None
    guidance_scale: float = GAMMA


class FlowTimeGroup(Group):
    """``time_fm_forward`` and ``time_fm_sample`` on the stand-in UNet, and their shared direction of ``t``."""

    def __init__(self) -> None:
        super().__init__(name="flow_time", part="b", probe_ref=Probe.FLOW,
                         timeout_s=config.TIME_LIMITS_S["flow_time"])
        self.tests = (
            TestSpec("time_fm_forward: x_t, t and the loss follow flow matching", 3.0, ("time_fm_forward",)),
            TestSpec("time_fm_sample: every Euler step follows the flow", 3.0, ("time_fm_sample",), public=False),
            TestSpec("time_fm_forward and time_fm_sample use the same direction of t", 1.0,
                     ("time_fm_forward", "time_fm_sample"), public=False),
        )

    def plan_spec(self) -> tuple[FlowSpec, dict[str, torch.Tensor]]:
        inputs = {"x1": _digits(512, 60)}
        self.expected.update(forward=FlowTrainingExpected(inputs["x1"]), sample=FlowSamplingExpected(FLOW_T))
        cases = [
            FlowCase(key="forward", kind="time_fm_forward", x="x1", seed=1),
            FlowCase(key="sample", kind="time_fm_sample", img_wh=(28, 28), num_samples=4, seed=2),
        ]
        return FlowSpec(num_ts=FLOW_T, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet()
        forward, sampling = self.expected["forward"], self.expected["sample"]
        train = verdict_of(run, "forward", lambda r: verify_fm_training(r.tensors, forward.x1, lambda x, t, c: spy.eps(x, t)))
        sample = verdict_of(run, "sample", lambda r: verify_fm_sampling(r.tensors, lambda x, t: spy.eps(x, t), sampling.num_ts))
        return {
            self.tests[0].name: (float(train.ok), train.message),
            self.tests[1].name: (float(sample.ok), sample.message),
            self.tests[2].name: conventions_agree(train, sample),
        }


class FlowClassGroup(Group):
    """``class_fm_forward`` (loss and class dropout) and ``class_fm_sample`` (CFG on the velocity)."""

    def __init__(self) -> None:
        super().__init__(name="flow_class", part="b", probe_ref=Probe.FLOW,
                         timeout_s=config.TIME_LIMITS_S["flow_class"])
        self.tests = (
            TestSpec("class_fm_forward: x_t, t and the loss follow flow matching", 2.0, ("class_fm_forward",)),
            TestSpec("class_fm_forward: the class is dropped with probability p_uncond", 2.0, ("class_fm_forward",), public=False),
            TestSpec("class_fm_sample: every Euler step follows the flow with CFG on the velocity", 3.0,
                     ("class_fm_sample",), public=False),
        )

    def plan_spec(self) -> tuple[FlowSpec, dict[str, torch.Tensor]]:
        inputs = {"x1": _digits(512, 61), "c": torch.randint(0, 10, (512,), generator=_generator(62))}
        inputs["x1_small"], inputs["c_small"] = inputs["x1"][:64].clone(), inputs["c"][:64].clone()
        inputs["c_sample"] = torch.tensor([1, 3, 5, 7])
        self.expected.update(
            forward=FlowTrainingExpected(inputs["x1"], inputs["c"], p_uncond=0.3),
            forward_p0=FlowTrainingExpected(inputs["x1_small"], inputs["c_small"], p_uncond=0.0),
            sample=FlowSamplingExpected(FLOW_T, inputs["c_sample"], guidance_scale=GAMMA),
        )
        cases = [
            FlowCase(key="forward", kind="class_fm_forward", x="x1", c="c", p_uncond=0.3, seed=1),
            FlowCase(key="forward_p0", kind="class_fm_forward", x="x1_small", c="c_small", p_uncond=0.0, seed=3),
            FlowCase(key="sample", kind="class_fm_sample", c="c_sample", img_wh=(28, 28), guidance_scale=GAMMA, seed=2),
        ]
        return FlowSpec(num_ts=FLOW_T, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet(conditional=True)
        forward, sampling = self.expected["forward"], self.expected["sample"]
        loss = verdict_of(run, "forward", lambda r: verify_fm_training(r.tensors, forward.x1, spy.eps))
        dropout = dropout_outcome(run, [(key, self.expected[key].c, self.expected[key].p_uncond) for key in ("forward", "forward_p0")])
        c1h, scale, T = F.one_hot(sampling.c, 10).float(), sampling.guidance_scale, sampling.num_ts
        sample = verdict_of(run, "sample", lambda r: verify_fm_sampling(r.tensors, _guided(spy, c1h, scale), T))
        if not sample.ok and "Euler step" in sample.message:
            record = run.records["sample"]
            if verify_fm_sampling(record.tensors, _guided(spy, c1h, scale, swap=True), T).ok:
                sample.message = "u_c and u_u are swapped in the guidance formula: u = u_u + γ(u_c − u_u)"
            elif verify_fm_sampling(record.tensors, _guided(spy, c1h, scale, sign=-1.0), T).ok:
                sample.message = "sign error in classifier-free guidance: u = u_u + γ(u_c − u_u)"
            elif verify_fm_sampling(record.tensors, _guided(spy, c1h, scale + 1.0), T).ok:
                sample.message = ("the guidance is γ + 1: u_c + γ(u_c − u_u) = (1 + γ) u_c − γ u_u is the other "
                                  "convention; with the course's γ write u = u_u + γ(u_c − u_u)")
            elif dropped_at_sampling(record):
                sample.message = ("the class was dropped (zeroed) on conditional calls while sampling: class dropout "
                                  "belongs to training only")
        return {
            self.tests[0].name: (float(loss.ok), loss.message),
            self.tests[1].name: dropout,
            self.tests[2].name: (float(sample.ok), sample.message),
        }


class FlowModuleGroup(Group):
    """``FlowMatching`` (or the course starter's ``TimeConditionalFM`` and ``ClassConditionalFM``): ``forward`` and
    ``sample`` behave as the four functions with the module's UNet and settings."""

    def __init__(self) -> None:
        super().__init__(name="FlowMatching", part="b", probe_ref=Probe.FLOW_MODULE,
                         timeout_s=config.TIME_LIMITS_S["FlowMatching"])
        # The course starter's TimeConditionalFM / ClassConditionalFM pair stands in for FlowMatching (docs/spec.md §2.6).
        self.tests = (TestSpec("FlowMatching: forward and sample use the module's UNet, num_ts and p_uncond", 2.0,
                               ("FlowMatching", "TimeConditionalFM", "ClassConditionalFM")),)

    def plan_spec(self) -> tuple[FlowModuleSpec, dict[str, torch.Tensor]]:
        inputs = {"x": _digits(256, 63), "c": torch.randint(0, 10, (256,), generator=_generator(64)),
                  "c_sample": torch.tensor([2, 4, 6])}
        self.expected.update(
            loss=FlowTrainingExpected(inputs["x"]),
            loss_c=FlowTrainingExpected(inputs["x"], inputs["c"], p_uncond=0.1),
            sample=FlowSamplingExpected(FLOW_T),
            sample_c=FlowSamplingExpected(FLOW_T, inputs["c_sample"], guidance_scale=GAMMA),
        )
        cases = [
            FlowModuleCase(key="loss", method="forward", x="x"),
            FlowModuleCase(key="loss_c", method="forward", x="x", c="c"),
            FlowModuleCase(key="sample", method="sample", num_samples=3, seed=5),
            FlowModuleCase(key="sample_c", method="sample", c="c_sample", guidance_scale=GAMMA, seed=5),
        ]
        return FlowModuleSpec(num_ts=FLOW_T, p_uncond=0.1, cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        name = self.tests[0].name
        spy_t, spy_c = spies.SpyUNet(), spies.SpyUNet(conditional=True)
        loss, loss_c = self.expected["loss"], self.expected["loss_c"]
        sample, sample_c = self.expected["sample"], self.expected["sample_c"]
        c1h = F.one_hot(sample_c.c, 10).float()
        checks = {
            "loss": lambda r: verify_fm_training(r.tensors, loss.x1, lambda x, t, c: spy_t.eps(x, t)),
            "loss_c": lambda r: verify_fm_training(r.tensors, loss_c.x1, spy_c.eps),
            "sample": lambda r: verify_fm_sampling(r.tensors, lambda x, t: spy_t.eps(x, t), sample.num_ts),
            "sample_c": lambda r: verify_fm_sampling(r.tensors, _guided(spy_c, c1h, sample_c.guidance_scale), sample_c.num_ts),
        }
        words = {"loss": "forward(x)", "loss_c": "forward(x, c)", "sample": "sample(num_samples=3)",
                 "sample_c": "sample(c, guidance_scale=5)"}
        for key, verify in checks.items():
            verdict = verdict_of(run, key, verify)
            if not verdict.ok:
                return {name: (0.0, f"{words[key]}: {verdict.message}")}
        return {name: (1.0, "forward and sample follow the flow with the module's UNet, num_ts and p_uncond")}


def groups() -> list[Group]:
    """The flow-matching version's own groups, in report order."""
    return [FlowTimeGroup(), FlowClassGroup(), FlowModuleGroup()]


def _guided(spy: spies.SpyUNet, c1h: torch.Tensor, scale: float, sign: float = 1.0, swap: bool = False
            ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The CFG velocity ``u_u + sign · scale · (u_c − u_u)`` of the stand-in UNet (``swap``: u_c and u_u swapped)."""

    def velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        u_c, u_u = spy.eps(x, t, c1h), spy.eps(x, t, torch.zeros_like(c1h))
        if swap:
            u_c, u_u = u_u, u_c
        return u_u + sign * scale * (u_c - u_u)
    return velocity
