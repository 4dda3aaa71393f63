"""Part B flow-matching checks: the training losses and the Euler samplers against an oracle velocity field that
knows the data point, and the ``FlowMatching`` module.

The oracle: for data ``x_1 = x*`` the interpolation ``x_t = (1 − t) x_0 + t x*`` has the exact velocity
``x* − x_0 = (x* − x_t) / (1 − t)``. Training with it gives loss 0; Euler sampling with it from any start,
at ``t_i = i / N`` with steps ``1 / N``, lands exactly on ``x*`` (the last step, at ``1 − t = 1/N``, closes the gap).
"""

from __future__ import annotations

import torch
from torch import nn

from .ddpm import _TargetOracle
from .registry import CheckFailed, _expect, _expect_tensor, _register, _shape, _Skip


class _FlowOracle(_TargetOracle):
    """A fake UNet returning the exact velocity ``(x* − x_t) / (1 − t)`` towards its target(s) (targets and the
    record of ``t`` and classes as :class:`.ddpm._TargetOracle`)."""

    def forward(self, x, *args, mask=None):
        c, t, mask = self.inputs(x, args, mask)
        if float(t.min()) < 0 or float(t.max()) >= 1:
            raise CheckFailed(f"the UNet received t from {float(t.min()):.3g} to {float(t.max()):.3g}; training draws "
                              "t in [0, 1) and the Euler steps are at t = i / num_ts, i = 0 … num_ts − 1")
        target = self._targets(x, c, mask).double()
        velocity = (target - x.double()) / (1 - t).view(-1, 1, 1, 1)
        return velocity.to(x.dtype) * self.weight


def _loss_with_oracle(fn, conditional: bool, n: int = 256):
    x1 = torch.rand(n, 1, 28, 28, dtype=torch.float64).float()
    oracle = _FlowOracle()
    oracle._targets = lambda x, c, mask: x1.double()  # every sample's data point is its own x_1
    loss = fn(oracle, x1, torch.arange(n) % 10, 0.1, 50) if conditional else fn(oracle, x1, 50)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"should return a scalar tensor, got {_shape(loss)}")
    _expect(loss.requires_grad, "the loss should be differentiable (it must come from the UNet's output)")
    return loss, oracle


def _forward_checks(name: str, conditional: bool) -> None:
    @_register(name, f"{name} with the exact velocity predictor gives loss 0 (x_t, t and the target x_1 − x_0 agree)")
    def oracle(fn, ns):
        loss, _ = _loss_with_oracle(fn, conditional)
        _expect(loss.item() < 1e-3,
                f"the loss is {loss.item():.4g}, expected 0 for a UNet that predicts the true velocity: check "
                "x_t = (1 − t) x_0 + t x_1 (t = 0 is noise, t = 1 data), the target x_1 − x_0, and that the UNet gets t")

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
        dropped = (oracle.seen_c[-1].abs().sum(dim=1) == 0).double().mean().item()
        _expect(lo <= dropped <= hi, f"p_uncond = {p}: {dropped:.1%} of the classes were dropped")


def _images_of(out) -> torch.Tensor:
    return out[0] if isinstance(out, tuple) else out


def _sampler_checks(name: str, conditional: bool) -> None:
    def call(fn, unet, num_ts, seed, gamma=5.0, n=3):
        if conditional:
            return fn(unet, torch.arange(1, n + 1), (28, 28), num_ts, gamma, seed)
        return fn(unet, (28, 28), num_ts, seed, n)

    @_register(name, f"{name}: shapes, frames, and the same seed gives the same images")
    def shapes(fn, ns):
        unet = _ZeroVelocity()
        out1, out2, out3 = (call(fn, unet, 8, seed) for seed in (0, 0, 1))
        _expect(isinstance(out1, tuple) and len(out1) == 2, "should return (images, frames)")
        images, frames = out1
        _expect_tensor(images, (3, 1, 28, 28), "images")
        _expect(isinstance(frames, list) and len(frames) >= 2, "frames should be a list of snapshots (at least 2)")
        for frame in frames:
            _expect_tensor(frame, (3, 1, 28, 28), "each frame")
        _expect(torch.equal(images.cpu(), _images_of(out2).cpu()), "the same seed should give the same images")
        _expect(not torch.equal(images.cpu(), _images_of(out3).cpu()), "a different seed should give different images")

    @_register(name, f"{name}: a constant velocity u = 1 moves x by exactly 1 (num_ts steps of 1/num_ts)")
    def step_size(fn, ns):
        still = _images_of(call(fn, _ZeroVelocity(), 8, 0)).detach().cpu().double()
        moved = _images_of(call(fn, _ZeroVelocity(shift=1.0), 8, 0)).detach().cpu().double()
        distance = (moved - still).mean().item()
        _expect(abs(distance - 1) < 1e-4 and (moved - still).std().item() < 1e-4,
                f"x moved by {distance:.4g} on average; Euler steps x ← x + (1/num_ts) · u, num_ts of them from t = 0, "
                "add up to exactly u: check the step size and the number of steps")

    @_register(name, f"{name} with the exact velocity field lands on the data point" +
               (" (γ = 1: conditional; γ = 0: unconditional)" if conditional else ""))
    def oracle(fn, ns):
        target = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(1))
        class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]
        unet = _FlowOracle(target, class_targets, -target)
        hint = "check the Euler update x ← x + (1/num_ts) · u(x, t) at t = i / num_ts, i = 0 … num_ts − 1"
        if not conditional:
            images = _images_of(call(fn, unet, 12, 0, n=2))
            _compare(images, target.expand(2, 1, 28, 28), f"the samples are not the data point: {hint}")
            return
        for gamma, wanted, what in (
            (1.0, torch.stack([class_targets[1], class_targets[2]]), "γ = 1 should follow the conditional velocity"),
            (0.0, (-target).expand(2, 1, 28, 28), "γ = 0 should follow the unconditional velocity"),
        ):
            images = _images_of(call(fn, unet, 12, 0, gamma, n=2))
            _compare(images, wanted, f"{what}: check u = u_u + γ (u_c − u_u) and {hint[6:]}")


def _compare(images: torch.Tensor, wanted: torch.Tensor, message: str) -> None:
    error = (images.detach().cpu().double() - wanted.double()).abs().max().item()
    _expect(error < 1e-3, f"{message} (max error {error:.3g})")


class _ZeroVelocity(nn.Module):
    """A stand-in UNet that predicts zero velocity, or the constant ``shift`` (any conditioning accepted): samples
    stay the start noise, or move by exactly ``shift``."""

    def __init__(self, shift: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))
        self.in_channels, self.num_classes = 1, 10
        self.shift = shift

    def forward(self, x, *args, **kwargs):
        return x * self.weight + self.shift


_sampler_checks("time_fm_sample", conditional=False)
_sampler_checks("class_fm_sample", conditional=True)


def _check_flow(flow: nn.Module, c: torch.Tensor | None) -> None:
    x = torch.rand(64, 1, 28, 28)
    loss = flow(x) if c is None else flow(x, c)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"forward should return a scalar loss, got {_shape(loss)}")
    _expect(abs(loss.item() - 4 / 3) < 0.25,
            f"with a UNet predicting zero velocity the loss should be ≈ E[(x_1 − x_0)²] ≈ 1.33, got {loss.item():.3f}")
    out = flow.sample(num_samples=3) if c is None else flow.sample(c=c[:3], guidance_scale=5.0)
    _expect_tensor(_images_of(out), (3, 1, 28, 28), "sample(...) images" if c is None else "sample(c=[0, 1, 2]) images")


@_register("FlowMatching", "FlowMatching, time only: forward(x) gives a scalar loss; sample(num_samples=3) gives 3 images")
def _flow_time(cls, ns):
    flow = cls(_ZeroVelocity(), num_ts=10)
    _expect(isinstance(flow, nn.Module), "FlowMatching should be an nn.Module")
    _check_flow(flow, None)


@_register("FlowMatching", "FlowMatching, class-conditioned: forward(x, c) gives a scalar loss; sample(c=...) gives images")
def _flow_class(cls, ns):
    if "class_fm_forward" not in ns or "class_fm_sample" not in ns:
        raise _Skip("define class_fm_forward and class_fm_sample, then run check(FlowMatching) again")
    _check_flow(cls(_ZeroVelocity(), num_ts=10), torch.arange(64) % 10)
