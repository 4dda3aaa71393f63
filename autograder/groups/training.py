"""Part B's short CPU training runs of the student's own UNets, and :func:`groups`, every Part B group in
report order.
"""

from __future__ import annotations

import torch

from autograder import config
from autograder.child.cases import Probe, TrainingCase, TrainingSpec
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.groups.blocks_unets import BlocksGroup, UNetGroup
from autograder.groups.ddpm import DDPMClassCondGroup, DDPMModuleGroup, DDPMTimeGroup
from autograder.groups.noise_schedule import AddNoiseGroup, ScheduleGroup
from autograder.groups.part_b_common import DDPM_T, _digits, _generator, _schedule_inputs
from autograder.sandbox import ChildRun


def groups(version: str = "ddpm") -> list[Group]:
    """All Part B groups of ``version`` (``"ddpm"`` or ``"flow"``), in report order."""
    shared = [BlocksGroup(), UNetGroup("UnconditionalUNet"), UNetGroup("TimeConditionalUNet"),
              UNetGroup("ClassConditionalUNet"), AddNoiseGroup()]
    if version == "flow":
        from autograder.groups import flow_matching

        return [*shared, *flow_matching.groups(), TrainingGroup()]
    return [*shared, ScheduleGroup(), DDPMTimeGroup(), DDPMClassCondGroup(), DDPMModuleGroup(), TrainingGroup()]


class TrainingGroup(Group):
    """A short CPU training run of the student's UNets (grader's loop and noise): the loss must fall."""

    STEPS = 20

    def __init__(self) -> None:
        super().__init__(name="training", part="b", probe_ref=Probe.TRAINING, timeout_s=config.TIME_LIMITS_S["training"])
        self.tests = (
            TestSpec("UnconditionalUNet: a one-step denoiser (σ = 0.5) learns in 20 CPU steps", 1.0, ("UnconditionalUNet",), public=False),
            TestSpec("TimeConditionalUNet: the DDPM loss falls over 20 CPU steps", 1.0, ("TimeConditionalUNet",), public=False),
        )

    def plan_spec(self) -> tuple[TrainingSpec, dict[str, torch.Tensor]]:
        from assignment.mnist import load_mnist, mnist_tensors

        try:
            images, _ = mnist_tensors(load_mnist(train=True))
            images = images[:640].clone()
        except Exception:  # no MNIST available: smooth stand-in digits
            images = _digits(640, 50)
        inputs = {"images": images, "noise": torch.randn(self.STEPS, 32, 1, 28, 28, generator=_generator(51)),
                  "alpha_bars": _schedule_inputs()["alpha_bars"]}
        common = {"steps": self.STEPS, "batch": 32, "lr": 3e-3, "images": "images", "noise": "noise", "seed": 0}
        cases = [
            TrainingCase(key="denoise", kind="denoise", name="UnconditionalUNet", args=(1, 8), sigma=0.5, **common),
            TrainingCase(key="ddpm", kind="ddpm", name="TimeConditionalUNet", args=(1, 10, 8), num_ts=DDPM_T, **common),
        ]
        return TrainingSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        outcome = {}
        # thresholds: the reference (num_hiddens = 8) reaches end/start loss ratios ≈ 0.11 (denoiser) and ≈ 0.45 (DDPM)
        for test, key, ratio in ((self.tests[0], "denoise", 0.5), (self.tests[1], "ddpm", 0.8)):
            record, why = record_or_reason(run, key)
            if record is None:
                outcome[test.name] = (0.0, why)
                continue
            losses = record.tensors.get("losses")
            if losses is None or not torch.isfinite(losses).all():
                outcome[test.name] = (0.0, "the loss became NaN/inf during training")
                continue
            start, end = float(losses[:5].mean()), float(losses[-5:].mean())
            if end < ratio * start:
                outcome[test.name] = (1.0, f"loss fell from {start:.4f} to {end:.4f}")
            else:
                outcome[test.name] = (0.0, f"loss went from {start:.4f} to {end:.4f}; expected below {ratio:.0%} of the start — check the architecture (see the layers tests)")
        return outcome
