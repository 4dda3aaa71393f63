"""Part B flow-matching checks: the training losses and the Euler samplers against an oracle velocity field that
knows the data point, and the ``FlowMatching`` module.

The oracle: for data ``x_1 = x*`` the interpolation ``x_t = (1 − t) x_0 + t x*`` has the exact velocity
``x* − x_0 = (x* − x_t) / (1 − t)``. Training with it gives loss 0; Euler sampling with it from any start,
at ``t_i = i / N`` with steps ``1 / N``, lands exactly on ``x*`` (the last step, at ``1 − t = 1/N``, closes the gap).
The reversed convention (``t = 0`` data: ``x_t = t x_0 + (1 − t) x*``, velocity ``x_0 − x* = (x_t − x*) / t``,
sampling from ``t = 1`` down with ``x ← x − u/N``) is accepted as well, as the autograder accepts it.

How a sampler is written does not matter: the checks pass ``seed`` and ``num_samples`` (or ``guidance_scale``) by
name where the function has them, and accept the images alone, ``(images, frames)`` with frames a list or a
stacked tensor, and any number of samples when ``num_samples`` is not a parameter.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .calling import _call, _images_of, _sample_count
from .ddpm import _ClassRecorder, _dropped_on_conditional_rows, _TargetOracle
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


class _FlowOracle(_TargetOracle):
    """A fake UNet returning the exact velocity towards its target(s): ``(x* − x_t) / (1 − t)``, or with
    ``reversed_time`` ``(x_t − x*) / t`` (targets and the record of ``t`` and classes as :class:`.ddpm._TargetOracle`)."""

    def __init__(self, target=None, class_targets=None, uncond_target=None, reversed_time=False):
        super().__init__(target, class_targets, uncond_target)
        self.reversed_time = reversed_time

    def forward(self, x, *args, mask=None):
        c, t, mask = self.inputs(x, args, mask)
        left = t if self.reversed_time else 1 - t  # how far the data still is, in time
        if float(t.min()) < 0 or float(t.max()) > 1 or float(left.min()) <= 0:
            raise CheckFailed(f"the UNet received t from {float(t.min()):.3g} to {float(t.max()):.3g}; training draws "
                              "t in [0, 1) and the Euler steps are at t = i / num_ts, i = 0 … num_ts − 1, never at "
                              "t = 1 (the data end; torch.linspace(0, 1, num_ts) reaches it: use "
                              "torch.arange(num_ts) / num_ts)")
        target = self._targets(x, c, mask).double()
        velocity = (target - x.double()) / left.view(-1, 1, 1, 1)
        return (-velocity if self.reversed_time else velocity).to(x.dtype) * self.weight.to(x.device)


def _either_direction(run: Callable[[bool], str | None]) -> None:
    """Pass if the check passes with ``t = 0`` as noise (the course's) or as data (reversed, used consistently)."""
    _passes_for_any(run, (False, True))


def _loss_with_oracle(fn, conditional: bool, n: int = 256, reversed_time: bool = False):
    x1 = torch.rand(n, 1, 28, 28, dtype=torch.float64).float()
    oracle = _FlowOracle(reversed_time=reversed_time)
    oracle._targets = lambda x, c, mask: x1.double().to(x.device)  # every sample's data point is its own x_1
    loss = fn(oracle, x1, torch.arange(n) % 10, 0.1, 50) if conditional else fn(oracle, x1, 50)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"should return a scalar tensor, got {_shape(loss)}")
    _expect(loss.requires_grad, "the loss should be differentiable (it must come from the UNet's output)")
    return loss, oracle


def _forward_checks(name: str, conditional: bool) -> None:
    @_register(name, f"{name} with the exact velocity predictor gives loss 0 (x_t, t and the target x_1 − x_0 agree)")
    def oracle(fn, ns):
        def run(reversed_time):
            loss, _ = _loss_with_oracle(fn, conditional, reversed_time=reversed_time)
            if loss.item() < 1e-3:
                return None
            return (f"the loss is {loss.item():.4g}, expected 0 for a UNet that predicts the true velocity: check "
                    "x_t = (1 − t) x_0 + t x_1 (t = 0 is noise, t = 1 data), the target x_1 − x_0, and that the UNet "
                    "gets t")

        _either_direction(run)

    @_register(name, f"{name} draws t uniformly in [0, 1), one per image")
    def times(fn, ns):
        _, oracle = _loss_with_oracle(fn, conditional, n=1024)
        _expect(bool(oracle.seen_t), "the UNet was never called")
        t = oracle.seen_t[-1]
        distinct = t.unique().numel()
        _expect(distinct > 900, f"expected a different t for (almost) every image of the batch, got {distinct} distinct values")
        _expect(abs(t.mean().item() - 0.5) < 0.05 and t.min().item() < 0.02 and t.max().item() > 0.98,
                f"t should be uniform on [0, 1): mean {t.mean().item():.3f}, range {t.min().item():.3f} … {t.max().item():.3f}")


_forward_checks("time_fm_forward", conditional=False)
_forward_checks("class_fm_forward", conditional=True)


@_register("class_fm_forward", "class_fm_forward drops the class with probability p_uncond")
def _class_fm_dropout(fn, ns):
    n = 2000
    x1 = torch.zeros(n, 1, 28, 28)
    c = torch.arange(n) % 10
    zero = torch.zeros(1, 28, 28)
    for p, lo, hi in ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.5, 0.44, 0.56)):
        oracle = _FlowOracle(None, [zero] * 10, zero)
        fn(oracle, x1, c, p, 50)
        _expect(bool(oracle.seen_c), "the UNet never received a class")
        rows = oracle.seen_c[-1]
        dropped = (rows.abs().sum(dim=1) == 0).double().mean().item()
        digit_zero = ((rows.argmax(dim=1) == 0) & (rows.abs().sum(dim=1) > 0) & (c != 0)).any().item()
        hint = (": dropped classes became digit 0 (the one-hot of class 0); drop a class by zeroing its one-hot "
                "vector (mask = 0), not by multiplying the class index") if digit_zero and dropped < lo else ""
        _expect(lo <= dropped <= hi, f"p_uncond = {p}: {dropped:.1%} of the classes were dropped{hint}")


def _sampler_checks(name: str, conditional: bool) -> None:
    def call(fn, unet, num_ts, seed, gamma=5.0, n=3):
        """``(images, n)``: the sampler's images, and how many it had to return (any number when it has no
        ``num_samples`` parameter)."""
        if conditional:
            out, _ = _call(fn, [unet, torch.arange(1, n + 1) % 10, (28, 28), num_ts],
                           [("guidance_scale", gamma), ("seed", seed)])
            return _images_of(out), n
        out, passed = _call(fn, [unet, (28, 28), num_ts], [("seed", seed), ("num_samples", n)])
        images = _images_of(out)
        return images, _sample_count(images, n, passed)

    @_register(name, f"{name}: the images' shape, and the same seed gives the same images")
    def shapes(fn, ns):
        unet = _ZeroVelocity()
        (images, n), (again, _), (other, _) = (call(fn, unet, 8, seed) for seed in (0, 0, 1))
        _expect_tensor(images, (n, 1, 28, 28), "images")
        _expect(torch.equal(images.cpu(), again.cpu()), "the same seed should give the same images")
        _expect(not torch.equal(images.cpu(), other.cpu()), "a different seed should give different images")

    @_register(name, f"{name}: a constant velocity u moves x by exactly u (num_ts steps of 1/num_ts)")
    def step_size(fn, ns):
        u = 0.25
        still = call(fn, _ZeroVelocity(), 8, 0)[0].detach().cpu().double()
        moving = _ZeroVelocity(shift=u)
        moved = call(fn, moving, 8, 0)[0].detach().cpu().double()
        _expect(still.shape == moved.shape, f"the images' shape changed with the UNet: {_shape(still)} vs {_shape(moved)}")
        # t = 0 is noise: x moves along u; the reversed convention (the first step at t = 1) moves against it.
        direction = -1.0 if moving.first_t is not None and abs(moving.first_t - 1) < 1e-6 else 1.0
        # pixels that start well inside [0, 1] stay inside after moving by ±u: a sampler may clip what it returns
        inside = (still > 0.3) & (still < 0.7)
        change = ((moved - still)[inside] if bool(inside.any()) else (moved - still).reshape(-1)) / u
        distance = change.mean().item()
        reversed_hint = (" (your first step is at t = 1: sampling from t = 1 down treats t = 1 as noise, so each step "
                         "is x ← x − (1/num_ts) · u and the steps add up to −u; with t = 0 as noise, as in the course's "
                         "training, start at t = 0)") if direction < 0 else ""
        _expect(abs(distance - direction) < 1e-4 and change.std().item() < 1e-4,
                f"x moved by {distance:.4g}·u on average under a constant velocity u; Euler steps x ← x + (1/num_ts) · u, "
                f"num_ts of them from t = 0, add up to exactly u: check the step size and the number of steps{reversed_hint}")

    @_register(name, f"{name} with the exact velocity field lands on the data point" +
               (" (γ = 1: conditional; γ = 0: unconditional)" if conditional else ""))
    def oracle(fn, ns):
        target = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(1))
        class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]
        hint = "check the Euler update x ← x + (1/num_ts) · u(x, t) at t = i / num_ts, i = 0 … num_ts − 1"

        def run(reversed_time):
            unet = _FlowOracle(target, class_targets, 1 - target, reversed_time)  # all in [0, 1]: images may be clipped
            if not conditional:
                images, n = call(fn, unet, 12, 0, n=2)
                return _compare(images, target.expand(n, 1, 28, 28), f"the samples are not the data point: {hint}")
            for gamma, wanted, what in (
                (1.0, torch.stack([class_targets[1], class_targets[2]]), "γ = 1 should follow the conditional velocity"),
                (0.0, (1 - target).expand(2, 1, 28, 28), "γ = 0 should follow the unconditional velocity"),
            ):
                images, _ = call(fn, unet, 12, 0, gamma, n=2)
                problem = _compare(images, wanted, f"{what}: check u = u_u + γ (u_c − u_u) and {hint[6:]}")
                if problem:
                    return problem
            return None

        _either_direction(run)

    if conditional:
        @_register(name, f"{name} keeps every class on the conditional branch (class dropout is for training only)")
        def keeps_class(fn, ns):
            n, num_ts = 16, 6
            unet = _ClassRecorder()
            call(fn, unet, num_ts, 0, n=n)
            _dropped_on_conditional_rows(unet, n * num_ts, "velocities")


def _compare(images: torch.Tensor, wanted: torch.Tensor, message: str) -> str | None:
    if images.shape != wanted.shape:
        return f"the images should have shape {list(wanted.shape)}, got {_shape(images)}"
    error = (images.detach().cpu().double() - wanted.double()).abs().max().item()
    return None if error < 1e-3 else f"{message} (max error {error:.3g})"


class _ZeroVelocity(nn.Module):
    """A stand-in UNet that predicts zero velocity, or the constant ``shift`` (any conditioning accepted): samples
    stay the start noise, or move by exactly ``shift``. ``first_t`` is the time of its first call."""

    def __init__(self, shift: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))
        self.in_channels, self.num_classes = 1, 10
        self.shift = shift
        self.first_t: float | None = None
        self.to(stand_in_device())

    def forward(self, x, *args, **kwargs):
        if self.first_t is None:
            t = kwargs.get("t", args[0] if len(args) == 1 else args[1] if len(args) >= 2 else None)
            if t is not None:
                self.first_t = float(torch.as_tensor(t, dtype=torch.float64).reshape(-1)[0])
        return x * self.weight.to(x.device) + self.shift


_sampler_checks("time_fm_sample", conditional=False)
_sampler_checks("class_fm_sample", conditional=True)


def _expect_zero_velocity_loss(flow: nn.Module, c: torch.Tensor | None) -> None:
    """``flow``'s forward on data (with classes ``c`` or time only) is a scalar ≈ E[(x_1 − x_0)²] for a zero UNet."""
    x = torch.rand(64, 1, 28, 28, device=stand_in_device())  # the data on the notebook's device, as its loop has it
    loss = flow(x) if c is None else flow(x, c)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"forward should return a scalar loss, got {_shape(loss)}")
    _expect(abs(loss.item() - 4 / 3) < 0.25,
            f"with a UNet predicting zero velocity the loss should be ≈ E[(x_1 − x_0)²] ≈ 1.33, got {loss.item():.3f}")


def _check_flow(flow: nn.Module, c: torch.Tensor | None) -> None:
    _expect_zero_velocity_loss(flow, c)
    if c is None:
        out, passed = _call(flow.sample, [], [("num_samples", 3)], by_position=False)
        images = _images_of(out)
        _expect_tensor(images, (_sample_count(images, 3, passed), 1, 28, 28), "sample(...) images")
    else:
        out, _ = _call(flow.sample, [c[:3]], [("guidance_scale", 5.0)], by_position=False)
        _expect_tensor(_images_of(out), (3, 1, 28, 28), "sample(c=[0, 1, 2]) images")


def _check_course_module(flow: nn.Module, c: torch.Tensor | None) -> None:
    """The course starter's ``TimeConditionalFM`` (``c`` None) or ``ClassConditionalFM``: the loss as
    :func:`_check_flow`; ``sample(img_wh, seed)`` or ``sample(c, img_wh, guidance_scale, seed)`` give images."""
    _expect(isinstance(flow, nn.Module), f"{type(flow).__name__} should be an nn.Module")
    _expect_zero_velocity_loss(flow, c)
    if c is None:
        out, passed = _call(flow.sample, [(28, 28)], [("seed", 0), ("num_samples", 3)], by_position=False)
        images = _images_of(out)
        _expect_tensor(images, (_sample_count(images, 3, passed), 1, 28, 28), "sample((28, 28)) images")
    else:
        out, _ = _call(flow.sample, [c[:3], (28, 28)], [("guidance_scale", 5.0), ("seed", 0)], by_position=False)
        _expect_tensor(_images_of(out), (3, 1, 28, 28), "sample(c=[0, 1, 2], (28, 28)) images")


@_register("TimeConditionalFM", "TimeConditionalFM(unet, num_ts): forward(x) gives a scalar loss; sample(img_wh) "
           "gives [N, 1, 28, 28] images")
def _course_time_module(cls, ns):
    _check_course_module(_on_device(cls(_ZeroVelocity(), 10)), None)


@_register("ClassConditionalFM", "ClassConditionalFM(unet, num_ts, p_uncond): forward(x, c) gives a scalar loss; "
           "sample(c, img_wh) gives images")
def _course_class_module(cls, ns):
    _check_course_module(_on_device(cls(_ZeroVelocity(), 10, 0.1)), torch.arange(64) % 10)


@_register("FlowMatching", "FlowMatching, time only: forward(x) gives a scalar loss; sample(num_samples=3) gives 3 images")
def _flow_time(cls, ns):
    flow = _on_device(cls(_ZeroVelocity(), num_ts=10))
    _expect(isinstance(flow, nn.Module), "FlowMatching should be an nn.Module")
    _check_flow(flow, None)


@_register("FlowMatching", "FlowMatching, class-conditioned: forward(x, c) gives a scalar loss; sample(c=...) gives images")
def _flow_class(cls, ns):
    if "class_fm_forward" not in ns or "class_fm_sample" not in ns:
        raise _Skip("define class_fm_forward and class_fm_sample, then run check(FlowMatching) again")
    _check_flow(_on_device(cls(_ZeroVelocity(), num_ts=10)), torch.arange(64) % 10)
