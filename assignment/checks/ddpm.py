"""Part B noise and DDPM checks: ``add_noise``, ``ddpm_schedule``, the training losses and samplers (against an
oracle UNet that knows the clean image), and the ``DDPM`` module."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .calling import _call, _images_of, _sample_count
from .registry import (
    CheckFailed,
    _expect,
    _expect_tensor,
    _on_device,
    _passes_for_any,
    _register,
    _shape,
    _Skip,
    stand_in_device,
)

# ---------------------------------------------------------------------------- Part B: add_noise


@_register("add_noise", "add_noise keeps shape and dtype; σ = 0 changes nothing")
def _add_noise_shape(fn, ns):
    x = torch.rand(3, 1, 28, 28)
    z = _expect_tensor(fn(x, 0.5), (3, 1, 28, 28), "add_noise(x, 0.5)")
    _expect(z.dtype == x.dtype, f"dtype should stay {x.dtype}, got {z.dtype}")
    _expect(torch.allclose(fn(x, 0.0), x), "add_noise(x, 0) should return x")


@_register("add_noise", "z − x has mean 0 and standard deviation σ")
def _add_noise_stats(fn, ns):
    x = torch.rand(64, 1, 28, 28, device=stand_in_device())  # the data on the notebook's device, as its loop has it
    for sigma in (0.2, 1.0):
        noise = fn(x, sigma) - x
        mean, std = noise.mean().item(), noise.std().item()
        _expect(abs(mean) < 0.02 * sigma + 0.005, f"σ = {sigma}: the noise mean should be ≈ 0, got {mean:.4f}")
        _expect(abs(std - sigma) < 0.03 * sigma, f"σ = {sigma}: the noise std should be ≈ {sigma}, got {std:.4f}")


# ------------------------------------------------------------------------------- Part B: DDPM


@_register("ddpm_schedule", "ddpm_schedule(1e-4, 0.02, 300): betas evenly spaced, alphas = 1 − betas, ᾱ = cumprod")
def _schedule(fn, ns):
    s = fn(1e-4, 0.02, 300)
    _expect(isinstance(s, dict), f"should return a dict, got {type(s).__name__}")
    values = {}
    for key in ("betas", "alphas", "alpha_bars"):
        _expect(key in s, f"the dict has no key {key!r} (keys: {sorted(s)})")
        try:  # a tensor or a numpy array, [300] or broadcastable ([300, 1, 1, 1]): the values are the point
            values[key] = torch.as_tensor(s[key]).detach().cpu().double().reshape(-1)
        except (TypeError, ValueError, RuntimeError):
            raise CheckFailed(f"schedule[{key!r}] should be a tensor of 300 values, got {type(s[key]).__name__}") from None
        _expect(values[key].numel() == 300, f"schedule[{key!r}] should hold 300 values (one per t), got "
                f"{values[key].numel()} (shape {_shape(s[key])})")
    b, a, ab = (values[k] for k in ("betas", "alphas", "alpha_bars"))
    _expect(abs(b[0] - 1e-4) < 1e-9 and abs(b[-1] - 0.02) < 1e-8,
            f"betas should run from 1e-4 to 0.02 inclusive, got {b[0]:.3g} … {b[-1]:.3g}")
    steps = b[1:] - b[:-1]
    _expect(torch.allclose(steps, steps.mean().expand_as(steps), atol=1e-7), "betas are not evenly spaced")
    _expect(torch.allclose(a, 1 - b, atol=1e-6), "alphas should be 1 − betas")
    _expect(abs(ab[0] - a[0]) < 1e-6, f"alpha_bars[0] should equal alphas[0] (t = 1), got {ab[0]:.6f} vs {a[0]:.6f}")
    _expect(torch.allclose(ab[1:] / ab[:-1], a[1:], atol=1e-5), "alpha_bars should be the cumulative product of alphas")


def _fixture_schedule(num_ts: int, ns: dict | None = None) -> dict[str, torch.Tensor]:
    """A test schedule (not the assignment's): your own ``ddpm_schedule(0.01, 0.2, num_ts)`` when it runs — in your
    format (shapes, numpy or torch, extra keys), which your loops read as you wrote them — else one whose ᾱ falls
    from 0.99 to 0.05 (alphas and betas follow from it)."""
    student = (ns or {}).get("ddpm_schedule")
    if callable(student):
        try:
            schedule = student(0.01, 0.2, num_ts)
            alpha_bars = torch.as_tensor(schedule["alpha_bars"]).reshape(-1).double()
            if alpha_bars.numel() == num_ts and bool(((alpha_bars > 0) & (alpha_bars < 1)).all()):
                return schedule
        except Exception:  # noqa: BLE001  (not written yet, or broken: its own check says so)
            pass
    alpha_bars = torch.linspace(0.99, 0.05, num_ts)
    alphas = alpha_bars / torch.cat([torch.ones(1), alpha_bars[:-1]])
    return {"betas": 1 - alphas, "alphas": alphas, "alpha_bars": alpha_bars}


class _TargetOracle(nn.Module):
    """Base of the fake UNets that know the clean image(s) they should lead to.

    Targets: ``target`` for every input, or, when ``class_targets`` is given, the target of the (masked) one-hot
    class and ``uncond_target`` for none. :meth:`inputs` reads ``(x, t)`` or ``(x, c, t[, mask])`` and records every
    ``t`` (``seen_t``) and class vector (``seen_c``) received.
    """

    def __init__(self, target=None, class_targets=None, uncond_target=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(()))
        self.target, self.class_targets, self.uncond_target = target, class_targets, uncond_target
        self.in_channels, self.num_classes = 1, 10
        self.seen_t: list[torch.Tensor] = []
        self.seen_c: list[torch.Tensor] = []
        self.to(stand_in_device())

    def inputs(self, x, args, mask):
        """``(c or None, t [N] float64, mask)`` from a forward call's arguments; ``t`` recorded."""
        c, t = (None, args[0]) if len(args) == 1 else (args[0], args[1])
        if len(args) == 3:
            mask = args[2]
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device).reshape(-1).expand(x.shape[0])
        self.seen_t.append(t.detach().cpu().clone())
        return c, t, mask

    def _targets(self, x, c, mask):
        """The target of each row of ``x``, on ``x``'s device (a notebook's code may move its tensors to the GPU)."""
        if c is None:
            return self.target.to(x.device).expand_as(x)
        c = torch.as_tensor(c).detach().cpu()
        c = F.one_hot(c.long(), 10).double() if c.dim() == 1 else c.double()
        if mask is not None:
            c = c * torch.as_tensor(mask).detach().cpu().double().reshape(-1, 1)
        self.seen_c.append(c.clone())
        return torch.stack([self.class_targets[int(row.argmax())] if row.abs().sum() > 0 else self.uncond_target
                            for row in c]).to(x.device)


class _ClassRecorder(_TargetOracle):
    """A stand-in class-conditioned UNet that predicts zero velocity and records the class vectors it receives
    (after ``mask``), whatever the times."""

    def __init__(self):
        zero = torch.zeros(1, 28, 28)
        super().__init__(zero, [zero] * 10, zero)

    def forward(self, x, *args, mask=None):
        c, _, mask = self.inputs(x, args, mask)
        if c is not None:
            self._targets(x, c, mask)
        return x * 0 * self.weight.to(x.device)


def _dropped_on_conditional_rows(unet: _ClassRecorder, expected: int, what: str) -> None:
    """Fail when fewer than ``expected`` class vectors (one per image and step) reached the UNet non-zero."""
    _expect(bool(unet.seen_c), "the UNet never received a class")
    rows = torch.cat(unet.seen_c)
    kept = int((rows.abs().sum(dim=1) > 0).sum())
    _expect(kept >= expected, f"{expected - kept} of the {expected} conditional {what} (one per image and step) had "
            "their class dropped (zeroed) while sampling: class dropout belongs to training only; the unconditional "
            "estimate comes from the zero class vector (mask = 0)")


class _Oracle(_TargetOracle):
    """A fake UNet that knows the clean image(s): it returns the exact noise ``(x_t − √ᾱ_t x*) / √(1 − ᾱ_t)``.

    ``zero_based`` picks how ``t/T`` is read (``t ∈ {1..T}`` or ``{0..T−1}``); targets as :class:`_TargetOracle`.
    """

    def __init__(self, schedule, num_ts, target, zero_based=False, class_targets=None, uncond_target=None):
        super().__init__(target, class_targets, uncond_target)
        self.alpha_bars = torch.as_tensor(schedule["alpha_bars"]).detach().cpu().reshape(-1)
        self.num_ts, self.zero_based = num_ts, zero_based

    def forward(self, x, *args, mask=None):
        c, t, mask = self.inputs(x, args, mask)
        if self.zero_based == _OVER_T_MINUS_1:
            steps = torch.round(t * (self.num_ts - 1)).long()
        else:
            steps = torch.round(t * self.num_ts).long() - (0 if self.zero_based else 1)
        if int(steps.min()) < 0 or int(steps.max()) >= self.num_ts:
            raise CheckFailed(f"the UNet received t/T outside the range of a {self.num_ts}-step schedule "
                              f"(t·T from {float(t.min() * self.num_ts):.2f} to {float(t.max() * self.num_ts):.2f}); "
                              "is t normalised by T?")
        ab = self.alpha_bars.double()[steps.cpu()].view(-1, 1, 1, 1).to(x.device)
        target = self._targets(x, c, mask).double()
        eps = (x.double() - ab.sqrt() * target) / (1 - ab).sqrt()
        return eps.to(x.dtype) * self.weight.to(x.device)


_OVER_T_MINUS_1 = "t/(T-1)"
"""The 0-based convention with the UNet input normalised by T − 1 (``t/(T−1) ∈ [0, 1]``), accepted like the others."""


def _either_convention(run: Callable[[bool], str | None]) -> None:
    """Pass if the check passes with the 1-based (``t ∈ {1..T}``) or a 0-based time convention (``t/T``, ``t/(T−1)``)."""
    _passes_for_any(run, (False, True, _OVER_T_MINUS_1))


def _run_any_convention(call, make):
    """The oracle ``make(zero_based)`` after ``call(oracle)`` ran without the oracle finding t out of its range:
    0-based first (its range is the widest), then 1-based, then t/(T−1)."""
    first = None
    for zero_based in (True, False, _OVER_T_MINUS_1):
        oracle = make(zero_based)
        try:
            call(oracle)
            return oracle
        except CheckFailed as failure:
            first = first or failure
    raise first


@_register("ddpm_forward", "ddpm_forward with a perfect noise predictor gives loss 0 (x_t, ᾱ_t, t/T all consistent)")
def _ddpm_forward_oracle(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts, ns)
    x0 = torch.rand(256, 1, 28, 28)

    def run(zero_based):
        oracle = _Oracle(schedule, num_ts, None, zero_based)
        oracle.target = x0
        loss = fn(oracle, schedule, x0, num_ts)
        _expect(torch.is_tensor(loss) and loss.dim() == 0, f"should return a scalar tensor, got {_shape(loss)}")
        _expect(loss.requires_grad, "the loss should be differentiable (it must come from the UNet's output)")
        if loss.item() > 1e-6:
            return (f"the loss is {loss.item():.4g}, expected 0 for a UNet that predicts the true noise: check "
                    "x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε, the ᾱ index and that the UNet gets t/T")
        return None

    _either_convention(run)


@_register("ddpm_forward", "ddpm_forward draws t uniformly over all T steps")
def _ddpm_forward_times(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts, ns)
    x0 = torch.zeros(512, 1, 28, 28)
    oracle = _run_any_convention(lambda o: fn(o, schedule, x0, num_ts),
                                 lambda zero_based: _Oracle(schedule, num_ts, torch.zeros(1, 1, 28, 28), zero_based))
    _expect(bool(oracle.seen_t), "the UNet was never called")
    steps = torch.round(oracle.seen_t[-1] * (num_ts - 1 if oracle.zero_based == _OVER_T_MINUS_1 else num_ts)).long()
    distinct = sorted(set(steps.tolist()))
    _expect(len(distinct) == num_ts, f"with T = {num_ts} every t should occur among 512 draws; got t·T in {distinct}")


@_register("ddpm_forward_cond", "ddpm_forward_cond with a perfect noise predictor gives loss 0")
def _ddpm_forward_cond_oracle(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts, ns)
    x0 = torch.rand(128, 1, 28, 28)
    c = torch.arange(128) % 10
    class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]

    def run(zero_based):
        oracle = _Oracle(schedule, num_ts, None, zero_based, class_targets, torch.zeros(1, 28, 28))
        oracle._targets = lambda x, c_, mask: x0.to(x.device)  # every sample's clean image is its own x_0
        loss = fn(oracle, schedule, x0, c, 0.1, num_ts)
        _expect(torch.is_tensor(loss) and loss.dim() == 0, f"should return a scalar tensor, got {_shape(loss)}")
        if loss.item() > 1e-6:
            return f"the loss is {loss.item():.4g}, expected 0 for a UNet that predicts the true noise"
        return None

    _either_convention(run)


@_register("ddpm_forward_cond", "ddpm_forward_cond drops the class with probability p_uncond")
def _ddpm_forward_cond_dropout(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts, ns)
    n = 2000
    x0 = torch.zeros(n, 1, 28, 28)
    c = torch.arange(n) % 10
    zero = torch.zeros(1, 28, 28)
    for p, lo, hi in ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.5, 0.44, 0.56)):
        oracle = _run_any_convention(lambda o, p=p: fn(o, schedule, x0, c, p, num_ts),
                                     lambda zero_based: _Oracle(schedule, num_ts, None, zero_based, [zero] * 10, zero))
        _expect(bool(oracle.seen_c), "the UNet never received a class")
        dropped = (oracle.seen_c[-1].abs().sum(dim=1) == 0).double().mean().item()
        _expect(lo <= dropped <= hi, f"p_uncond = {p}: {dropped:.1%} of the classes were dropped")


def _sampler_check(name: str, conditional: bool) -> None:
    @_register(name, f"{name}: the images' shape, and the same seed gives the same images")
    def shapes(fn, ns):
        num_ts = 8
        schedule = _fixture_schedule(num_ts, ns)
        unet = _ZeroUNet()
        (images, n), (again, _), (other, _) = (_run_sampler(fn, unet, schedule, num_ts, seed, conditional)
                                               for seed in (0, 0, 1))
        _expect_tensor(images, (n, 1, 28, 28), "images")
        _expect(torch.equal(images.cpu(), again.cpu()), "the same seed should give the same images")
        _expect(not torch.equal(images.cpu(), other.cpu()), "a different seed should give different images")

    @_register(name, f"{name} with a perfect noise predictor returns the clean image" +
               (" (γ = 1: conditional; γ = 0: unconditional)" if conditional else ""))
    def oracle(fn, ns):
        num_ts = 12
        schedule = _fixture_schedule(num_ts, ns)
        target = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(1))
        class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]
        uncond = 1 - target  # inside [0, 1] too: a sampler may clip its images to MNIST's range

        def run(zero_based):
            unet = _Oracle(schedule, num_ts, target, zero_based, class_targets, uncond)
            if not conditional:
                images, n = _run_sampler(fn, unet, schedule, num_ts, 0, conditional, n=2)
                wanted = target.expand(n, 1, 28, 28)
                return _compare(images, wanted, "the sampled images are not the clean image: check x̂_0, the "
                                "update's coefficients (ᾱ_t, ᾱ_{t−1}, α_t, β_t), z = 0 on the last step, and t/T")
            c = torch.tensor([3, 7])
            for gamma, wanted, hint in (
                (1.0, torch.stack([class_targets[3], class_targets[7]]), "γ = 1 should follow the conditional estimate"),
                (0.0, uncond.expand(2, 1, 28, 28), "γ = 0 should follow the unconditional estimate"),
            ):
                images, _ = _run_sampler(fn, unet, schedule, num_ts, 0, conditional, gamma=gamma, c=c)
                problem = _compare(images, wanted, f"{hint}: check ε = ε_u + γ (ε_c − ε_u) and the update")
                if problem:
                    return problem
            return None

        _either_convention(run)


def _keeps_class_check(name: str) -> None:
    @_register(name, f"{name} keeps every class on the conditional branch (class dropout is for training only)")
    def run(fn, ns):
        n, num_ts = 16, 6
        unet = _ClassRecorder()
        _run_sampler(fn, unet, _fixture_schedule(num_ts, ns), num_ts, 0, True, n=n, c=torch.arange(n) % 10)
        _dropped_on_conditional_rows(unet, n * num_ts, "noise estimates")


def _run_sampler(fn, unet, schedule, num_ts, seed, conditional, n=3, gamma=5.0, c=None):
    """``(images, n)``: the sampler's images for ``n`` samples (classes ``c`` or ``1 … n``), and how many it had to
    return (any number when it has no ``num_samples`` parameter)."""
    if conditional:
        c = torch.arange(1, n + 1) if c is None else c
        out, _ = _call(fn, [unet, schedule, c, (28, 28), num_ts], [("guidance_scale", gamma), ("seed", seed)])
        return _images_of(out), len(c)
    out, passed = _call(fn, [unet, schedule, (28, 28), num_ts], [("seed", seed), ("num_samples", n)])
    images = _images_of(out)
    return images, _sample_count(images, n, passed)


def _compare(images: torch.Tensor, wanted: torch.Tensor, message: str) -> str | None:
    if images.shape != wanted.shape:
        return f"the images should have shape {list(wanted.shape)}, got {_shape(images)}"
    error = (images.detach().cpu().double() - wanted.double()).abs().max().item()
    return None if error < 1e-3 else f"{message} (max error {error:.3g})"


class _ZeroUNet(nn.Module):
    """A stand-in UNet that predicts zero noise (any conditioning accepted)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))
        self.in_channels, self.num_classes = 1, 10
        self.to(stand_in_device())

    def forward(self, x, *args, **kwargs):
        return x * self.weight.to(x.device)


_sampler_check("ddpm_sample", conditional=False)
_sampler_check("ddpm_sample_cond", conditional=True)
_keeps_class_check("ddpm_sample_cond")


def _check_ddpm(ddpm: nn.Module, c: torch.Tensor | None) -> None:
    x = torch.rand(4, 1, 28, 28, device=stand_in_device())  # the data on the notebook's device, as its loop has it
    loss = ddpm(x) if c is None else ddpm(x, c)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"forward should return a scalar loss, got {_shape(loss)}")
    _expect(abs(loss.item() - 1.0) < 0.25, f"with a UNet predicting zero the loss should be ≈ E[ε²] = 1, got {loss.item():.3f}")
    if c is None:
        out, _ = _call(ddpm.sample, [], [("num_samples", 3)], by_position=False)
        images = _images_of(out)
        # any number of images: a sample() over the course's ddpm_sample (no num_samples) samples its own batch
        _expect_tensor(images, (images.shape[0] if images.dim() == 4 else 3, 1, 28, 28), "sample(...) images")
    else:
        out, _ = _call(ddpm.sample, [c[:3]], [("guidance_scale", 5.0)], by_position=False)
        _expect_tensor(_images_of(out), (3, 1, 28, 28), "sample(c=[0, 1, 2]) images")


@_register("DDPM", "DDPM, time only: forward(x) gives a scalar loss; sample() gives [N, 1, 28, 28] images")
def _ddpm_time(cls, ns):
    ddpm = _on_device(cls(_ZeroUNet(), betas=(1e-4, 0.02), num_ts=10))
    _expect(isinstance(ddpm, nn.Module), "DDPM should be an nn.Module")
    _check_ddpm(ddpm, None)


@_register("DDPM", "DDPM, class-conditioned: forward(x, c) gives a scalar loss; sample(c=...) gives images")
def _ddpm_class(cls, ns):
    if "ddpm_forward_cond" not in ns or "ddpm_sample_cond" not in ns:
        raise _Skip("define ddpm_forward_cond and ddpm_sample_cond (Part 2.4–2.5), then run check(DDPM) again")
    _check_ddpm(_on_device(cls(_ZeroUNet(), betas=(1e-4, 0.02), num_ts=10)), torch.tensor([0, 1, 2, 3]))

