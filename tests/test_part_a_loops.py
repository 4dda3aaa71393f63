"""solutions.part_a against the contract (SPEC §2), on the tiny random IF-compatible pipeline (16×16, CPU).

The tiny UNet's outputs mean nothing, so these tests check the arithmetic and the plumbing: each loop against an
independent re-derivation, the identities between loops (γ = 1, equal prompts, all-zero / all-one masks) and the
flip's symmetry.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignment.part_a_setup import make_add_variance, setup_part_a
from solutions import part_a

SIZE = 16
SHORT = [990, 690, 390, 90, 0]  # a coarse schedule keeps the loops fast
HYPO = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def given_names():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: threads only add contention
    yield setup_part_a("tiny", device="cpu")
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def bound(given_names):
    part_a.bind(**given_names)
    yield given_names
    part_a.bind(**given_names)


@pytest.fixture
def embeds(given_names):
    d = given_names["prompt_embeds_dict"]
    return d["a photo of the digit 6"], d["a photo of the digit 9"], d[""]


def noiseless(predicted_variance, t, image):
    """An add_variance that adds nothing: makes the loops deterministic given their start."""
    return image


def images(batch: int = 2, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, SIZE, SIZE, generator=g) * 2 - 1


def unet_out(stage_1, x, t, emb):
    return stage_1.unet(x, t, encoder_hidden_states=emb.expand(x.shape[0], -1, -1), return_dict=False)[0]


batches = st.integers(1, 3)
timesteps_ = st.integers(0, 999)
i_starts = st.integers(0, len(SHORT) - 2)


# --- forward -----------------------------------------------------------------------------------------------------


@HYPO
@given(batch=batches, t=timesteps_)
def test_forward_keeps_shape_dtype_and_device(batch, t):
    x = images(batch)
    out = part_a.forward(x, t)
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device


def test_forward_has_the_right_mean_and_std(bound):
    ab = bound["stage_1"].scheduler.alphas_cumprod[500].item()
    x = images(64, seed=1)
    torch.manual_seed(0)
    noise = (part_a.forward(x, 500) - math.sqrt(ab) * x) / math.sqrt(1 - ab)
    assert abs(noise.mean().item()) < 0.02, f"implied noise mean {noise.mean().item():.4f}, expected ≈ 0"
    assert abs(noise.std().item() - 1) < 0.02, f"implied noise std {noise.std().item():.4f}, expected ≈ 1"


def test_forward_at_t0_is_nearly_the_image_and_at_999_nearly_noise():
    x = images(4)
    torch.manual_seed(0)
    assert (part_a.forward(x, 0) - x).abs().max().item() < 0.04
    x999 = part_a.forward(x, 999)
    assert abs(x999.std().item() - 1) < 0.1 and torch.corrcoef(torch.stack([x999.flatten(), x.flatten()]))[0, 1] < 0.1


# --- classical and one-step denoising -----------------------------------------------------------------------------


def test_gaussian_denoise_blurs_away_noise():
    torch.manual_seed(0)
    noise = torch.randn(2, 3, 64, 64)
    blurred = part_a.gaussian_denoise(noise, 5, 2.0)
    assert blurred.shape == noise.shape
    assert blurred.std().item() < 0.5 * noise.std().item()


def test_one_step_denoise_matches_the_formula(bound, embeds):
    stage_1, p1 = bound["stage_1"], embeds[0]
    x = images(2)
    ab = stage_1.scheduler.alphas_cumprod[400].item()
    with torch.no_grad():
        eps = unet_out(stage_1, x, 400, p1)[:, :3]
    expected = (x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    torch.testing.assert_close(part_a.one_step_denoise(x, 400, p1), expected)


# --- iterative denoising ------------------------------------------------------------------------------------------


def _one_step_by_hand(stage_1, x, t, tp, eps, v, noise):
    ab = stage_1.scheduler.alphas_cumprod
    a_t, a_tp = ab[t].item(), ab[tp].item()
    alpha = a_t / a_tp
    beta = 1 - alpha
    x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
    mean = math.sqrt(a_tp) * beta / (1 - a_t) * x0 + math.sqrt(alpha) * (1 - a_tp) / (1 - a_t) * x
    # the course's add_variance: learned range between the one-step β̃_t and β_t (of the 1000-step schedule)
    beta_1 = 1 - ab[t].item() / ab[t - 1].item()
    beta_tilde_1 = (1 - ab[t - 1].item()) / (1 - ab[t].item()) * beta_1
    frac = (v + 1) / 2
    log_var = frac * math.log(beta_1) + (1 - frac) * math.log(beta_tilde_1)
    return mean + torch.exp(0.5 * log_var) * noise


def test_one_step_of_iterative_denoise_matches_the_update_written_out(bound, embeds):
    stage_1, p1 = bound["stage_1"], embeds[0]
    x = torch.randn(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(3))
    t, tp = 690, 660
    with torch.no_grad():
        out = unet_out(stage_1, x, t, p1)
    torch.manual_seed(7)
    noise = torch.randn_like(x)
    expected = _one_step_by_hand(stage_1, x, t, tp, out[:, :3], out[:, 3:], noise)
    torch.manual_seed(7)
    got = part_a.iterative_denoise(x, 0, p1, [t, tp])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


@HYPO
@given(batch=batches, i_start=i_starts)
def test_iterative_denoise_keeps_shape_and_dtype(embeds, batch, i_start):
    x = torch.randn(batch, 3, SIZE, SIZE)
    out = part_a.iterative_denoise(x, i_start, embeds[0], SHORT)
    assert out.shape == x.shape and out.dtype == x.dtype and torch.isfinite(out).all()


def test_iterative_denoise_makes_one_unet_call_per_step(bound, embeds):
    calls = []
    handle = bound["stage_1"].unet.register_forward_hook(lambda m, a, k: calls.append(a[0].shape[0]))
    try:
        part_a.iterative_denoise(torch.randn(2, 3, SIZE, SIZE), 1, embeds[0], SHORT)
        part_a.iterative_denoise_cfg(torch.randn(2, 3, SIZE, SIZE), 1, embeds[0], embeds[2], SHORT)
    finally:
        handle.remove()
    steps = len(SHORT) - 2
    assert calls == [2] * steps + [4] * steps, f"UNet batch sizes per call: {calls}"


# --- classifier-free guidance -------------------------------------------------------------------------------------


@HYPO
@given(batch=batches, i_start=i_starts)
def test_cfg_with_scale_one_equals_conditional_loop(embeds, batch, i_start):
    x = torch.randn(batch, 3, SIZE, SIZE)
    torch.manual_seed(11)
    cfg = part_a.iterative_denoise_cfg(x, i_start, embeds[0], embeds[2], SHORT, scale=1)
    torch.manual_seed(11)
    plain = part_a.iterative_denoise(x, i_start, embeds[0], SHORT)
    torch.testing.assert_close(cfg, plain, rtol=1e-4, atol=1e-4)


def test_cfg_with_scale_zero_equals_unconditional_loop_with_conditional_variance(bound, embeds):
    """γ = 0 takes ε from the unconditional branch but the variance still comes from the conditional one."""
    stage_1, (p1, _, u) = bound["stage_1"], embeds
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        out_c, out_u = unet_out(stage_1, x, 690, p1), unet_out(stage_1, x, 690, u)
    torch.manual_seed(5)
    expected = _one_step_by_hand(stage_1, x, 690, 390, out_u[:, :3], out_c[:, 3:], torch.randn_like(x))
    torch.manual_seed(5)
    got = part_a.iterative_denoise_cfg(x, 0, p1, u, [690, 390], scale=0)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_cfg_extrapolates_away_from_unconditional(bound, embeds):
    stage_1, (p1, _, u) = bound["stage_1"], embeds
    part_a.bind(add_variance=noiseless)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        eps_c, eps_u = unet_out(stage_1, x, 690, p1)[:, :3], unet_out(stage_1, x, 690, u)[:, :3]
    expected = _one_step_by_hand(stage_1, x, 690, 390, eps_u + 7 * (eps_c - eps_u), torch.zeros_like(x), torch.zeros_like(x))
    torch.testing.assert_close(part_a.iterative_denoise_cfg(x, 0, p1, u, [690, 390], scale=7), expected, rtol=1e-4, atol=1e-5)


def test_same_seed_same_samples_other_seed_other_samples(embeds):
    def sample(seed):
        torch.manual_seed(seed)
        return part_a.iterative_denoise_cfg(torch.randn(2, 3, SIZE, SIZE), 0, embeds[0], embeds[2], SHORT)

    torch.testing.assert_close(sample(42), sample(42), rtol=0, atol=0)
    assert not torch.allclose(sample(42), sample(43))


# --- SDEdit and inpainting ----------------------------------------------------------------------------------------


@HYPO
@given(i_start=i_starts)
def test_sdedit_is_forward_then_cfg_loop(embeds, i_start):
    x = images(2)
    torch.manual_seed(3)
    got = part_a.sdedit(x, i_start, embeds[0], embeds[2], SHORT)
    torch.manual_seed(3)
    expected = part_a.iterative_denoise_cfg(part_a.forward(x, SHORT[i_start]), i_start, embeds[0], embeds[2], SHORT)
    torch.testing.assert_close(got, expected)


def test_inpaint_with_all_zero_mask_returns_the_original_noised_to_the_last_timestep(embeds):
    x = images(2)
    torch.manual_seed(0)
    out = part_a.inpaint(x, torch.zeros(SIZE, SIZE), embeds[0], embeds[2], SHORT)
    # the last step forces forward(x, 0) = sqrt(ᾱ_0) x + sqrt(1 − ᾱ_0) ε: within a few 0.01 of x
    assert (out - x).abs().max().item() < 0.04
    assert (out - x).abs().max().item() > 0, "forward(x_orig, t') adds its (tiny) noise at t' = 0 too"


def test_inpaint_with_all_one_mask_is_the_plain_cfg_loop(embeds):
    part_a.bind(add_variance=noiseless)  # forward() draws noise in inpaint only: make the loops RNG-free
    x = images(2)
    torch.manual_seed(9)
    start = torch.randn_like(x)
    expected = part_a.iterative_denoise_cfg(start, 0, embeds[0], embeds[2], SHORT)
    torch.manual_seed(9)
    got = part_a.inpaint(x, torch.ones(1, 1, SIZE, SIZE), embeds[0], embeds[2], SHORT)
    torch.testing.assert_close(got, expected)


def test_inpaint_keeps_the_original_outside_the_mask_and_generates_inside(embeds):
    x = images(1)
    mask = torch.zeros(SIZE, SIZE)
    mask[:8] = 1
    torch.manual_seed(0)
    out = part_a.inpaint(x, mask, embeds[0], embeds[2], SHORT)
    assert (out[..., 8:, :] - x[..., 8:, :]).abs().max().item() < 0.04
    assert (out[..., :8, :] - x[..., :8, :]).abs().mean().item() > 0.1


# --- visual anagrams and hybrids ----------------------------------------------------------------------------------


def test_flip_illusion_with_equal_prompts_from_a_flip_symmetric_start_stays_flip_symmetric(embeds):
    part_a.bind(add_variance=noiseless)
    half = torch.randn(1, 3, SIZE // 2, SIZE)
    start = torch.cat([half, half.flip(2)], dim=2)  # symmetric under reversing the rows
    out = part_a.make_flip_illusion(start, 0, embeds[0], embeds[0], embeds[2], SHORT)
    torch.testing.assert_close(out, out.flip(2), rtol=1e-4, atol=1e-4)
    assert not torch.allclose(out, out.flip(3), atol=1e-2), "rows, not columns: the result need not be mirror-symmetric"


def test_flip_illusion_upside_down_is_the_illusion_with_prompts_swapped(embeds):
    part_a.bind(add_variance=noiseless)
    start = torch.randn(2, 3, SIZE, SIZE)
    p1, p2, u = embeds
    a = part_a.make_flip_illusion(start, 0, p1, p2, u, SHORT)
    b = part_a.make_flip_illusion(start.flip(2), 0, p2, p1, u, SHORT)
    torch.testing.assert_close(a.flip(2), b, rtol=1e-4, atol=1e-4)


def test_hybrid_with_equal_prompts_equals_the_cfg_loop(embeds):
    x = torch.randn(2, 3, SIZE, SIZE)
    torch.manual_seed(4)
    hybrid = part_a.make_hybrids(x, 0, embeds[0], embeds[0], embeds[2], SHORT, kernel_size=9, sigma=2)
    torch.manual_seed(4)
    cfg = part_a.iterative_denoise_cfg(x, 0, embeds[0], embeds[2], SHORT)
    torch.testing.assert_close(hybrid, cfg, rtol=1e-4, atol=1e-4)


def test_hybrid_takes_low_frequencies_from_the_first_prompt(bound, embeds):
    import torchvision.transforms.functional as TF

    stage_1, (p1, p2, u) = bound["stage_1"], embeds
    part_a.bind(add_variance=noiseless)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        o1, o2, ou = (unet_out(stage_1, x, 690, e) for e in (p1, p2, u))
    e1, e2 = ou[:, :3] + 7 * (o1[:, :3] - ou[:, :3]), ou[:, :3] + 7 * (o2[:, :3] - ou[:, :3])
    blur = lambda e: TF.gaussian_blur(e, [9, 9], [2.0, 2.0])  # noqa: E731
    expected = _one_step_by_hand(stage_1, x, 690, 390, blur(e1) + e2 - blur(e2), torch.zeros_like(x), torch.zeros_like(x))
    got = part_a.make_hybrids(x, 0, p1, p2, u, [690, 390], kernel_size=9, sigma=2)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


# --- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda e: part_a.forward(torch.zeros(1, 3, 8, 8), 10), r"shape \[B, 3, 16, 16\]"),
        (lambda e: part_a.forward(images(1) * 255, 10), r"\[-1, 1\]"),
        (lambda e: part_a.forward(images(1), 1000), "0..999"),
        (lambda e: part_a.iterative_denoise(torch.randn(1, 3, 16, 16), len(SHORT) - 1, e[0], SHORT), "i_start"),
        (lambda e: part_a.iterative_denoise(torch.randn(1, 3, 16, 16), -1, e[0], SHORT), "i_start"),
        (lambda e: part_a.iterative_denoise(torch.randn(1, 3, 16, 16), 0, torch.zeros(1, 4, 32), SHORT), "width 32"),
        (lambda e: part_a.inpaint(images(1), torch.full((16, 16), 0.5), e[0], e[2], SHORT), "binary"),
        (lambda e: part_a.inpaint(images(1), torch.ones(8, 8), e[0], e[2], SHORT), "mask must be"),
        (lambda e: part_a.make_hybrids(torch.randn(1, 3, 16, 16), 0, e[0], e[1], e[2], SHORT), "kernel_size 33"),
    ],
)
def test_bad_input_gets_a_clear_error(embeds, call, message):
    with pytest.raises(ValueError, match=message):
        call(embeds)


def test_calling_before_binding_says_how_to_bind(embeds):
    part_a.bind(stage_1=None)
    with pytest.raises(RuntimeError, match="bind"):
        part_a.forward(images(1), 10)


def test_bind_rejects_names_that_are_not_given():
    with pytest.raises(TypeError, match="alphas"):
        part_a.bind(alphas=1)


def test_add_variance_is_the_schedulers_learned_range(bound):
    stage_1 = bound["stage_1"]
    add_variance = make_add_variance(stage_1)
    image, v = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5)
    torch.manual_seed(0)
    noise = torch.randn_like(image)
    torch.manual_seed(0)
    out = add_variance(v, 500, image)
    expected = _one_step_by_hand(stage_1, image, 500, 499, torch.zeros_like(image), v, noise)
    mean = _one_step_by_hand(stage_1, image, 500, 499, torch.zeros_like(image), v, torch.zeros_like(noise))
    torch.testing.assert_close(out, expected - mean, rtol=1e-4, atol=1e-6)
