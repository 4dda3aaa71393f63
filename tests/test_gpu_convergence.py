"""GPU convergence of the Part B DDPMs through the fast path (skipped without CUDA).

Budget: 5 epochs of 60,000 images (the offline 4,000 digits repeated 15×; 2,340 steps of 128), then 200 CFG
samples (γ = 5) scored by the shipped classifier. Thresholds come from the reference's own runs on an H100 — see
``solutions.fast_training.CONVERGENCE_THRESHOLDS`` for the numbers and their spread over seeds.
"""

import pytest
import torch

from solutions.fast_training import CONVERGENCE_THRESHOLDS as LIMITS
from solutions.fast_training import convergence_metrics
from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def digits():
    from assignment.mnist import load_mnist, mnist_tensors

    x, y = mnist_tensors(load_mnist(train=True))
    repeat = max(1, 60_000 // len(x))
    return x.repeat(repeat, 1, 1, 1), y.repeat(repeat)


class TimeNotNormalisedWhenSampling(ClassConditionalUNet):
    """A student bug: trained on t/T but sampled with the raw t ∈ {1..T}."""

    def forward(self, x, c, t, mask=None):
        return super().forward(x, c, t if self.training else t * 300, mask)


def _run(unet, digits, labels=True):
    torch.manual_seed(0)
    ddpm = DDPM(unet).cuda()
    m = convergence_metrics(ddpm, digits[0], digits[1] if labels else None, epochs=LIMITS["epochs"], seed=0)
    print(f"\n{type(unet).__name__}: loss {m.final_loss:.4f}, score {m.sample_score:.3f}, "
          f"train {m.train_seconds:.1f} s ({m.mode}), sample {m.sample_seconds:.1f} s")
    return m


def test_reference_class_conditioned_ddpm_learns_digits(digits):
    m = _run(ClassConditionalUNet(1, 10, 64), digits)
    assert m.mode == "graph", m.fallback_reason
    assert m.final_loss <= LIMITS["class_loss"]
    assert m.sample_score >= LIMITS["class_accuracy"]
    assert m.train_seconds < 60


def test_reference_time_conditioned_ddpm_learns_digit_like_images(digits):
    m = _run(TimeConditionalUNet(1, 10, 64), digits, labels=False)
    assert m.final_loss <= LIMITS["time_loss"]
    assert m.sample_score >= LIMITS["time_confidence"]


def test_time_not_normalised_at_sampling_fails_the_accuracy_threshold(digits):
    m = _run(TimeNotNormalisedWhenSampling(1, 10, 64), digits)
    assert m.sample_score < LIMITS["class_accuracy"]
