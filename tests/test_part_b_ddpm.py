"""Part B diffusion math: the schedule, add_noise, the training losses, sampling, a short training run."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from solutions import part_b as pb
from solutions.training import train_ddpm

# ------------------------------------------------------------------------------------- schedule


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    beta1=st.floats(1e-5, 1e-2),
    gap=st.floats(1e-3, 0.5),
    num_ts=st.integers(2, 1000),
)
def test_schedule_is_linear_betas_and_their_cumulative_product(beta1, gap, num_ts):
    beta2 = beta1 + gap
    s = pb.ddpm_schedule(beta1, beta2, num_ts)
    betas, alphas, alpha_bars = s["betas"], s["alphas"], s["alpha_bars"]
    assert betas.shape == alphas.shape == alpha_bars.shape == (num_ts,)
    assert betas[0].item() == pytest.approx(beta1, rel=1e-5)
    assert betas[-1].item() == pytest.approx(beta2, rel=1e-5)
    steps = betas.double().diff()
    assert torch.allclose(steps, torch.full_like(steps, (beta2 - beta1) / (num_ts - 1)), rtol=1e-3, atol=1e-7)
    torch.testing.assert_close(alphas, 1 - betas)
    expected = torch.tensor([math.prod(1 - b for b in betas.double().tolist()[: i + 1]) for i in range(0, num_ts, max(1, num_ts // 7))], dtype=torch.float64)
    torch.testing.assert_close(alpha_bars[:: max(1, num_ts // 7)].double(), expected, rtol=1e-4, atol=1e-7)
    resolvable = alpha_bars[:-1] > 1e-30  # past that float32 underflows to 0 and stays there
    assert bool((alpha_bars.diff()[resolvable] < 0).all()) and bool((alpha_bars.diff() <= 0).all())


def test_seed_schedule_endpoints():
    s = pb.ddpm_schedule(1e-4, 0.02, 300)
    assert s["alpha_bars"][0].item() == pytest.approx(1 - 1e-4)
    # ᾱ_T for the course's schedule: prod(1 - β) with β linear in [1e-4, 0.02] over 300 steps ≈ 0.04806 (float64)
    assert s["alpha_bars"][-1].item() == pytest.approx(0.04806, abs=2e-4)


@pytest.mark.parametrize(
    "args, message",
    [((1e-4, 0.02, 1), "num_ts must be an int >= 2"), ((0.02, 1e-4, 300), "need 0 < beta1 < beta2 < 1"),
     ((0.01, 0.01, 10), "need 0 < beta1 < beta2 < 1"), ((1e-4, 0.02, 2.5), "num_ts must be an int")],
)
def test_bad_schedules_are_rejected(args, message):
    with pytest.raises(ValueError, match=message):
        pb.ddpm_schedule(*args)


# ------------------------------------------------------------------------------------ add_noise


def test_add_noise_has_the_requested_standard_deviation():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    for sigma in (0.0, 0.5, 1.0):
        residual = pb.add_noise(x, sigma) - x
        assert residual.mean().abs().item() < 0.01
        assert residual.std().item() == pytest.approx(sigma, abs=0.01)


def test_add_noise_with_a_generator_is_reproducible():
    x = torch.rand(4, 1, 28, 28)
    a = pb.add_noise(x, 0.3, generator=torch.Generator().manual_seed(1))
    b = pb.add_noise(x, 0.3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


# ----------------------------------------------------------------------------- training losses


class RecordingUNet(nn.Module):
    """Predicts a fixed tensor and records what it was called with."""

    def __init__(self, prediction: torch.Tensor, num_classes: int = 10):
        super().__init__()
        self.prediction = prediction
        self.num_classes = num_classes
        self.calls = []
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, *args):
        self.calls.append((x.clone(), *[a.clone() if torch.is_tensor(a) else a for a in args]))
        return self.prediction


@pytest.mark.parametrize("conditional", [False, True])
def test_training_loss_is_the_mse_against_the_noise_drawn(conditional):
    torch.manual_seed(0)
    num_ts = 50
    schedule = pb.ddpm_schedule(1e-4, 0.02, num_ts)
    x0 = torch.rand(16, 1, 28, 28)
    prediction = torch.randn(16, 1, 28, 28)
    unet = RecordingUNet(prediction)
    if conditional:
        loss = pb.ddpm_forward_cond(unet, schedule, x0, torch.randint(0, 10, (16,)), 0.1, num_ts)
        x_t, _, t_in, _ = unet.calls[0]
    else:
        loss = pb.ddpm_forward(unet, schedule, x0, num_ts)
        x_t, t_in = unet.calls[0]
    t = torch.round(t_in.flatten() * num_ts).long()
    assert bool(((t >= 1) & (t <= num_ts)).all()), "t must be drawn from {1..T}"
    ab = schedule["alpha_bars"][t - 1].view(-1, 1, 1, 1)
    eps = (x_t - ab.sqrt() * x0) / (1 - ab).sqrt()  # the noise the function must have drawn
    assert eps.std().item() == pytest.approx(1.0, abs=0.1)
    assert loss.item() == pytest.approx(((prediction - eps) ** 2).mean().item(), rel=1e-4)


def test_class_dropout_rate_matches_p_uncond():
    torch.manual_seed(0)
    unet = RecordingUNet(torch.zeros(1000, 1, 28, 28))
    schedule = pb.ddpm_schedule(1e-4, 0.02, 10)
    pb.ddpm_forward_cond(unet, schedule, torch.rand(1000, 1, 28, 28), torch.randint(0, 10, (1000,)), 0.25, 10)
    keep = unet.calls[0][3]
    assert (1 - keep.mean().item()) == pytest.approx(0.25, abs=0.04)


# ------------------------------------------------------------------------------------- sampling


def test_sampling_with_a_fixed_seed_is_reproducible_and_seed_dependent():
    torch.manual_seed(0)
    ddpm = pb.DDPM(pb.ClassConditionalUNet(1, 10, 4), num_ts=20)
    c = torch.arange(10)
    a, frames = ddpm.sample(c=c, seed=3)
    b, _ = ddpm.sample(c=c, seed=3)
    other, _ = ddpm.sample(c=c, seed=4)
    assert a.shape == (10, 1, 28, 28)
    assert torch.equal(a, b)
    assert not torch.allclose(a, other)
    assert all(f.shape == (10, 1, 28, 28) for f in frames)
    assert torch.equal(frames[-1], a)


def test_time_only_sampling_returns_num_samples_images():
    ddpm = pb.DDPM(pb.TimeConditionalUNet(1, 10, 4), num_ts=10)
    images, frames = ddpm.sample(num_samples=7)
    assert images.shape == (7, 1, 28, 28) and len(frames) >= 2


def test_sampler_with_the_true_noise_recovers_a_known_image():
    """With an oracle ε (the exact noise of x_t relative to a fixed x_0) DDPM sampling lands on x_0."""
    num_ts = 100
    schedule = pb.ddpm_schedule(1e-4, 0.02, num_ts)
    target = torch.rand(3, 1, 28, 28)

    class Oracle(nn.Module):
        in_channels = 1

        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))

        def forward(self, x, t):
            ab = schedule["alpha_bars"][torch.round(t * num_ts).long() - 1].view(-1, 1, 1, 1)
            return (x - ab.sqrt() * target) / (1 - ab).sqrt()

    images, _ = pb.ddpm_sample(Oracle(), schedule, (28, 28), num_ts, seed=0, num_samples=3)
    torch.testing.assert_close(images, target, atol=1e-4, rtol=1e-4)


def test_cfg_with_scale_one_equals_the_conditional_prediction_path():
    torch.manual_seed(0)
    unet = pb.ClassConditionalUNet(1, 10, 4)
    schedule = pb.ddpm_schedule(1e-4, 0.02, 10)
    c = torch.arange(4)
    guided, _ = pb.ddpm_sample_cond(unet, schedule, c, (28, 28), 10, guidance_scale=1.0, seed=0)

    class ConditionalOnly(nn.Module):
        in_channels = 1

        def __init__(self):
            super().__init__()
            self.unet = unet

        def forward(self, x, t):
            return self.unet(x, c, t)

    plain, _ = pb.ddpm_sample(ConditionalOnly(), schedule, (28, 28), 10, seed=0, num_samples=4)
    torch.testing.assert_close(guided, plain, atol=1e-4, rtol=1e-4)


# ------------------------------------------------------------------------------ a training run


def test_short_cpu_training_run_reduces_the_loss_by_half():
    torch.manual_seed(0)
    from assignment.mnist import load_mnist, mnist_tensors

    x, y = mnist_tensors(load_mnist(train=True))
    ddpm = pb.DDPM(pb.ClassConditionalUNet(1, 10, 8), num_ts=300)
    record = train_ddpm(ddpm, x[:1024], y[:1024], batch_size=64, epochs=4, snapshot_epochs=(), progress=False)
    first = sum(record.losses[:5]) / 5
    assert first > 0.5, f"an untrained UNet's loss should be near 1, got {first:.3f}"
    assert record.final_loss(last=10) < first / 2, f"loss fell only from {first:.3f} to {record.final_loss(10):.3f}"
