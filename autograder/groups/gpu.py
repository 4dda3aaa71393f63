"""GPU convergence tests (``grade --gpu on|auto`` on a CUDA machine): the student's DDPM (or flow-matching model)
must learn digits. The flow-matching version's budget and limits: ``config.FLOW_CONVERGENCE_THRESHOLDS``.

Budget: 5 epochs of 60,000 images (full MNIST, or the offline 4,000 digits repeated 15×), batch 128, D = 64,
T = 300, trained with the student's own UNet and loss through the reference's fast path (data on the GPU, bf16 autocast,
the step in a CUDA graph: ~8 s per model on an H100; eagerly, ~35 s, when the student's step cannot be captured;
see ``child/probes_gpu.py``), then 200 samples from the student's own sampler (CFG γ = 5).
Thresholds and their justification: ``solutions.fast_training.CONVERGENCE_THRESHOLDS`` (the reference reaches
loss 0.032–0.034 and 99.5–100 % class accuracy in this budget; chance is 10 %).
"""

from __future__ import annotations

import torch

from autograder import config
from autograder.child.cases import GPUCase, GPUSpec, Probe
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.sandbox import ChildRun
from solutions.fast_training import CONVERGENCE_THRESHOLDS as LIMITS  # the grader's process only


def groups(version: str = "ddpm") -> list[Group]:
    """The GPU groups of Part B's ``version`` (``"ddpm"`` or ``"flow"``; only planned when grading on CUDA)."""
    return [GPUConvergenceGroup(version)]


class GPUConvergenceGroup(Group):
    """Train the student's class- and time-conditioned models (DDPM or flow matching) on the GPU; score their samples
    with the classifier."""

    def __init__(self, version: str = "ddpm") -> None:
        super().__init__(name="gpu_convergence", part="b", probe_ref=Probe.GPU_CONVERGENCE,
                         timeout_s=config.TIME_LIMITS_S["gpu_convergence"])
        self.version = version
        self.limits = config.FLOW_CONVERGENCE_THRESHOLDS if version == "flow" else LIMITS
        limits, what = self.limits, "flow-matching" if version == "flow" else "DDPM"
        if version == "flow":
            class_tags = ("ClassConditionalUNet", "class_fm_forward", "class_fm_sample")
            time_tags = ("TimeConditionalUNet", "time_fm_forward", "time_fm_sample")
        else:
            class_tags = ("ClassConditionalUNet", "ddpm_forward_cond", "ddpm_sample_cond")
            time_tags = ("TimeConditionalUNet", "ddpm_forward", "ddpm_sample")
        self.tests = (
            TestSpec(f"GPU: class-conditioned {what} loss ≤ {limits['class_loss']} after {limits['epochs']} epochs", 2.0, class_tags, public=False),
            TestSpec(f"GPU: ≥ {limits['class_accuracy']:.0%} of CFG samples are the digit asked for", 3.0, class_tags, public=False),
            TestSpec(f"GPU: time-conditioned {what} loss ≤ {limits['time_loss']} after {limits['epochs']} epochs", 1.0, time_tags, public=False),
            TestSpec(f"GPU: time-conditioned samples look like digits (classifier confidence ≥ {limits['time_confidence']})", 1.0, time_tags, public=False),
        )

    def plan_spec(self) -> tuple[GPUSpec, dict[str, torch.Tensor]]:
        from assignment.mnist import load_mnist

        train = load_mnist(train=True)
        repeat = max(1, 60_000 // len(train.data))
        common = {"epochs": self.limits["epochs"], "repeat": repeat, "num_ts": self.limits.get("num_ts", 300),
                  "betas": (1e-4, 0.02), "seed": 0, "num_samples": 200, "mode": "graph", "version": self.version}
        cases = [
            GPUCase(key="class", kind="class", unet="ClassConditionalUNet", args=(1, 10, 64), p_uncond=0.1,
                    guidance_scale=5.0, **common),
            GPUCase(key="time", kind="time", unet="TimeConditionalUNet", args=(1, 10, 64), **common),
        ]
        return GPUSpec(cases=cases), {"images": train.data.unsqueeze(1).clone(), "labels": train.targets.clone()}

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        from assignment.classifier import class_accuracy, digit_confidence, load_classifier

        classifier = load_classifier()
        outcome: dict[str, tuple[float, str]] = {}
        for key, (loss_test, sample_test), loss_limit in (
            ("class", self.tests[:2], self.limits["class_loss"]), ("time", self.tests[2:], self.limits["time_loss"])):
            record, why = record_or_reason(run, key)
            if record is None:
                outcome[loss_test.name] = outcome[sample_test.name] = (0.0, why)
                continue
            how = f"trained {record.meta.get('train_s')} s ({record.meta.get('mode')}, {record.meta.get('img_per_s')} img/s)"
            if record.meta.get("fallback"):
                how += f"; your code could not be captured in a CUDA graph ({record.meta['fallback'][:120]}), so it ran eagerly"
            losses = record.tensors["losses"]
            final = float(losses[-200:].mean()) if len(losses) else float("nan")
            ok = bool(torch.isfinite(losses).all()) and final <= loss_limit
            outcome[loss_test.name] = (1.0 if ok else 0.0, f"final loss {final:.4f} (limit {loss_limit}); {how}"
                                       + ("" if ok else ". " + self._loss_hint()))
            samples = record.tensors["samples"].clamp(0, 1)
            if samples.shape[1:] != (1, 28, 28) or not torch.isfinite(samples).all():
                outcome[sample_test.name] = (0.0, f"samples must be finite [N, 1, 28, 28], got {list(samples.shape)}")
                continue
            if key == "class":
                score = class_accuracy(samples, torch.arange(len(samples)) % 10, classifier)
                ok = score >= self.limits["class_accuracy"]
                outcome[sample_test.name] = (1.0 if ok else 0.0, f"{score:.1%} of {len(samples)} samples classified as the digit asked for (need ≥ {self.limits['class_accuracy']:.0%}; chance 10 %)"
                                             + ("" if ok else ". " + self._sample_hint()))
            else:
                score = digit_confidence(samples, classifier)
                ok = score >= self.limits["time_confidence"]
                outcome[sample_test.name] = (1.0 if ok else 0.0, f"mean classifier confidence {score:.3f} (need ≥ {self.limits['time_confidence']}; noise scores ≈ 0.3)")
        return outcome

    def _loss_hint(self) -> str:
        if self.version == "flow":
            return "Check the loss (target x_1 − x_0, x_t = (1 − t) x_0 + t x_1, t ~ U[0, 1)) and the UNet's injections."
        return "The reference reaches ≈ 0.034: check the loss (ε target, ᾱ indexing, t/T) and the UNet's injections."

    def _sample_hint(self) -> str:
        if self.version == "flow":
            return ("Check CFG on the velocity (u_u + γ(u_c − u_u)), the class one-hot and dropout, and that sampling "
                    "runs t from 0 (noise) to 1 with steps of 1/num_ts.")
        return "Check CFG (ε_u + γ(ε_c − ε_u)), the class one-hot and dropout, and that sampling uses the same t/T as training."
