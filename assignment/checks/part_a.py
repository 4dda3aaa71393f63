"""Part A checks: ``forward``, ``gaussian_denoise`` and the denoising loops (``one_step_denoise`` … ``make_hybrids``),
run against the fake pipelines of :mod:`.fake_pipelines`."""

from __future__ import annotations

import torch

from .fake_pipelines import (
    _SIZE,
    _TIMESTEPS,
    _as_tensor_image,
    _close,
    _embeds,
    _expect_steps,
    _GivenNames,
    _images,
)
from .registry import _expect, _expect_tensor, _register

# ------------------------------------------------------------------------------------- Part A: checks


@_register("forward", "forward(im, t) = sqrt(ᾱ_t) im + sqrt(1 − ᾱ_t) ε, shape and dtype kept")
def _forward(fn, ns):
    im = _images(0, 2)
    with _GivenNames(ns, {}) as given:
        for t in (250, 500, 750):
            torch.manual_seed(t)
            out = fn(im, t)
            _expect_tensor(out, tuple(im.shape), f"forward(im, {t})")
            ab = given.alphas_cumprod[t]
            torch.manual_seed(t)
            eps = torch.randn_like(im)
            if torch.allclose(out, ab.sqrt() * im + (1 - ab).sqrt() * eps, atol=1e-5):
                continue
            noise = (out - ab.sqrt() * im) / (1 - ab).sqrt()  # must be N(0, 1) whatever the random stream
            _expect(abs(noise.mean().item()) < 0.1 and abs(noise.std().item() - 1) < 0.1,
                    f"t = {t}: (x_t − sqrt(ᾱ_t) x_0) / sqrt(1 − ᾱ_t) should be standard normal noise, got mean "
                    f"{noise.mean().item():.3f}, std {noise.std().item():.3f}: check ᾱ_t = alphas_cumprod[t] and the roots")


@_register("gaussian_denoise", "gaussian_denoise blurs: shape kept, constants unchanged, noise reduced")
def _gaussian(fn, ns):
    noise = torch.randn(1, 3, 32, 32)
    out = fn(noise, 5, 2.0)
    _expect_tensor(out, (1, 3, 32, 32), "gaussian_denoise(x, 5, 2.0)")
    _expect(out.std().item() < 0.6 * noise.std().item(), "the noise should be much weaker after blurring")
    const = torch.full((1, 3, 32, 32), 0.25)
    _expect(torch.allclose(fn(const, 5, 2.0), const, atol=1e-5), "a constant image should stay unchanged")


@_register("one_step_denoise", "one_step_denoise with a perfect noise predictor returns the clean image")
def _one_step(fn, ns):
    clean = _images(1)
    with _GivenNames(ns, {1: clean[0]}) as given:
        for t in (250, 750):
            ab = given.alphas_cumprod[t]
            noisy = ab.sqrt() * clean + (1 - ab).sqrt() * torch.randn_like(clean)
            _close(fn(noisy, t, _embeds(1)), clean, f"t = {t}: check x̂_0 = (x_t − sqrt(1 − ᾱ_t) ε̂) / sqrt(ᾱ_t) "
                   "with ε̂ the UNet's first 3 channels")


def _noisy(given: _GivenNames, clean: torch.Tensor, t: int) -> torch.Tensor:
    ab = given.alphas_cumprod[t]
    return ab.sqrt() * clean + (1 - ab).sqrt() * torch.randn(clean.shape, generator=torch.Generator().manual_seed(t))


@_register("iterative_denoise", "iterative_denoise: one step per strided timestep, add_variance each step, "
           "perfect predictor → clean image")
def _iterative(fn, ns):
    clean = _images(2)
    with _GivenNames(ns, {1: clean[0]}) as given:
        out = fn(_noisy(given, clean, _TIMESTEPS[10]), 10, _embeds(1), _TIMESTEPS)
        _expect_steps(given, _TIMESTEPS, 10)
        _close(out, clean, "the loop should land on the predicted clean image: check x̂_0, the update's "
               "coefficients (ᾱ_t, ᾱ_t', α_t = ᾱ_t/ᾱ_t', β_t = 1 − α_t) and that it steps timesteps[i] → timesteps[i+1]")


def _cfg_case(fn, ns, call) -> None:
    cond, uncond = _images(3), _images(4)
    with _GivenNames(ns, {1: cond[0], 0: uncond[0]}) as given:
        out = call(fn, given, scale=1.0)
        _close(out, cond, "with scale = 1 the result should follow the conditional estimate: "
               "check ε = ε_u + γ (ε_c − ε_u)")
    with _GivenNames(ns, {1: cond[0], 0: uncond[0]}) as given:
        out = call(fn, given, scale=0.0)
        _close(out, uncond, "with scale = 0 the result should follow the unconditional estimate: "
               "check ε = ε_u + γ (ε_c − ε_u)")
        variances = torch.stack([v for _, v in given.variance_calls])
        _expect(torch.allclose(variances, torch.full_like(variances, 0.1)),
                "add_variance should get the conditional prediction's variance (no guidance on the variance)")


@_register("iterative_denoise_cfg", "iterative_denoise_cfg: ε = ε_u + γ(ε_c − ε_u); the conditional variance goes on")
def _iterative_cfg(fn, ns):
    def call(fn, given, scale):
        x = _noisy(given, _images(5), _TIMESTEPS[5])
        out = fn(x, 5, _embeds(1), _embeds(0), _TIMESTEPS, scale=scale)
        _expect_steps(given, _TIMESTEPS, 5)
        return out

    _cfg_case(fn, ns, call)


@_register("sdedit", "sdedit: noises to timesteps[i_start], then the CFG loop from there")
def _sdedit(fn, ns):
    def call(fn, given, scale):
        out = fn(_images(6), 7, _embeds(1), _embeds(0), _TIMESTEPS, scale=scale)
        _expect_steps(given, _TIMESTEPS, 7)
        return out

    _cfg_case(fn, ns, call)


@_register("inpaint", "inpaint: new content where mask = 1, the original (re-noised each step) where mask = 0")
def _inpaint(fn, ns):
    generated, original = _images(7), _images(8)
    mask = torch.zeros(1, 1, _SIZE, _SIZE)
    mask[..., :, : _SIZE // 2] = 1
    with _GivenNames(ns, {1: generated[0], 0: generated[0]}) as given:
        out = fn(original, mask, _embeds(1), _embeds(0), _TIMESTEPS, scale=7)
        _expect_steps(given, _TIMESTEPS, 0)
        wanted = mask * generated + (1 - mask) * original
        _close(out, wanted, "expected the generated content where mask = 1 and the original image where mask = 0 "
               "(is the mask's polarity right, and is the original forced at t' = timesteps[i+1] after each step?)")


@_register("make_flip_illusion", "make_flip_illusion: ε = (ε_1 + flip(ε_2(flip(x)))) / 2, flip = upside down")
def _flip(fn, ns):
    a, b, u = _images(9), _images(10), _images(11)
    with _GivenNames(ns, {1: a[0], 2: b[0], 0: u[0]}) as given:
        x = _noisy(given, _images(12), _TIMESTEPS[0])
        out = fn(x, 0, _embeds(1), _embeds(2), _embeds(0), _TIMESTEPS, scale=1.0)
        _expect_steps(given, _TIMESTEPS, 0)
        wanted = (a + b.flip(2)) / 2
        _close(out, wanted, "with a perfect predictor the result should be (A + upside-down B) / 2: flip the rows "
               "(dim 2) of x for prompt 2, flip its estimate back, and average; not a 180° rotation")
        variances = torch.stack([v for _, v in given.variance_calls])
        _expect(torch.allclose(variances, torch.full_like(variances, 0.15)),
                "add_variance should get the mean of the two conditional variances (the second flipped back)")


@_register("make_hybrids", "make_hybrids: ε = lowpass(ε_1) + highpass(ε_2)")
def _hybrids(fn, ns):
    from torchvision.transforms.functional import gaussian_blur

    a, b, u = _images(13), _images(14), _images(15)
    with _GivenNames(ns, {1: a[0], 2: b[0], 0: u[0]}) as given:
        x = _noisy(given, _images(16), _TIMESTEPS[0])
        out = fn(x, 0, _embeds(1), _embeds(2), _embeds(0), _TIMESTEPS, scale=1.0, kernel_size=5, sigma=1.0)
        _expect_steps(given, _TIMESTEPS, 0)
        low = gaussian_blur(a, [5, 5], [1.0, 1.0])
        wanted = low + (b - gaussian_blur(b, [5, 5], [1.0, 1.0]))
        inner = (..., slice(2, -2), slice(2, -2))  # away from the borders, where paddings may differ
        _close(_as_tensor_image(out)[inner], wanted[inner],
               "with a perfect predictor the result should be lowpass(A) + highpass(B): low frequencies from prompt 1, "
               "high from prompt 2")
