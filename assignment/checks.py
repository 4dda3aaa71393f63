"""In-notebook checks: ``check(forward)`` runs quick public tests of one function or class in your kernel.

Each check prints ✅ or ❌ with the reason, like Otter's ``grader.check``. The tests are small and fast (CPU,
tiny tensors) and look at properties any correct implementation has — shapes, dtypes, layers, determinism, and
formula checks against an *oracle*: a fake network that knows the clean image, so a correct loop must give it
back exactly. Passing them is a good sign, not a grade: the autograder runs more tests.

This module holds no solution; it only states what a solution must satisfy.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["check", "run_checks", "CheckFailed", "CHECKS"]


class CheckFailed(AssertionError):
    """A public check found a problem; the message says what was expected and what came."""


@dataclass(frozen=True)
class _Check:
    description: str
    run: Callable[[Any, dict], None]


CHECKS: dict[str, list[_Check]] = {}
"""Public checks per SPEC name: ``name → [(description, run(obj, namespace))]``."""


def check(obj: Any) -> None:
    """Run the public checks of ``obj`` (a function or class you defined) and print a line per check.

    Never raises: a stub that is not implemented yet shows as ❌. (:func:`run_checks` returns the counts.)
    """
    run_checks(obj)


def run_checks(obj: Any, verbose: bool = True) -> tuple[int, int]:
    """Run the public checks of ``obj``; returns ``(passed, total)`` (skipped checks count as passed)."""
    name = getattr(obj, "__name__", None)
    checks = CHECKS.get(name or "")
    say = print if verbose else (lambda *args: None)
    if not checks:
        say(f"ℹ️  no public checks for {name or obj!r}")
        return 0, 0
    namespace = _namespace(obj)
    passed = 0
    for item in checks:
        torch.manual_seed(0)
        try:
            item.run(obj, namespace)
        except NotImplementedError:
            say(f"❌ {name}: not implemented yet (it raises NotImplementedError)")
            return 0, len(checks)
        except _Skip as skip:
            passed += 1
            say(f"➖ {item.description}: not checked yet ({skip})")
        except CheckFailed as failure:
            say(f"❌ {item.description}: {failure}")
        except Exception as error:  # the student's code crashed: say where, briefly
            say(f"❌ {item.description}: raised {type(error).__name__}: {error}")
        else:
            passed += 1
            say(f"✅ {item.description}")
    total = len(checks)
    say(f"{'✅' if passed == total else '❌'} {name}: {passed}/{total} public checks passed")
    return passed, total


class _Skip(Exception):
    """A check that cannot run yet (e.g. it needs a function defined further down the notebook)."""


# --------------------------------------------------------------------------------------- machinery


def _register(name: str, description: str):
    def decorator(run: Callable[[Any, dict], None]) -> Callable[[Any, dict], None]:
        CHECKS.setdefault(name, []).append(_Check(description, run))
        return run

    return decorator


def _namespace(obj: Any) -> dict:
    """The globals the student's code sees (the notebook's namespace for notebook-defined objects)."""
    obj = inspect.unwrap(obj)  # decorated functions (@torch.no_grad()) keep the original in __wrapped__
    if hasattr(obj, "__globals__"):
        return obj.__globals__
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    return vars(module) if module is not None else {}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _shape(t: Any) -> str:
    return str(list(t.shape)) if torch.is_tensor(t) else type(t).__name__


def _expect_tensor(value: Any, shape: tuple[int, ...], what: str) -> torch.Tensor:
    _expect(torch.is_tensor(value), f"{what} should be a torch.Tensor, got {type(value).__name__}")
    _expect(tuple(value.shape) == shape, f"{what} should have shape {list(shape)}, got {_shape(value)}")
    _expect(value.is_floating_point(), f"{what} should be a float tensor, got {value.dtype}")
    return value


def _layers(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if not list(m.children())]


def _expect_layer(module: nn.Module, kind: type, what: str, **attrs: Any) -> None:
    found = [m for m in _layers(module) if isinstance(m, kind)]
    _expect(bool(found), f"{what}: no nn.{kind.__name__} found")
    for layer in found:
        if all(_attr(layer, k) == _attr_value(v) for k, v in attrs.items()):
            return
    got = ", ".join(str({k: _attr(m, k) for k in attrs}) for m in found)
    raise CheckFailed(f"{what}: expected nn.{kind.__name__} with {attrs}, found {got}")


def _attr(layer: nn.Module, key: str) -> Any:
    value = getattr(layer, key, None)
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _attr_value(value: Any) -> Any:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _count(module: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in _layers(module))


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ------------------------------------------------------------------------------- Part B: blocks


def _block_shapes(name: str, args: tuple, x_shape: tuple, y_shape: tuple) -> None:
    @_register(name, f"{name}{args} maps {list(x_shape)} to {list(y_shape)}")
    def run(cls, ns):
        block = cls(*args)
        _expect(isinstance(block, nn.Module), f"{name} should be an nn.Module")
        y = block(torch.randn(x_shape))
        _expect_tensor(y, y_shape, "the output")


_block_shapes("Conv", (3, 5), (2, 3, 8, 8), (2, 5, 8, 8))
_block_shapes("DownConv", (3, 5), (2, 3, 8, 8), (2, 5, 4, 4))
_block_shapes("UpConv", (3, 5), (2, 3, 4, 4), (2, 5, 8, 8))
_block_shapes("Flatten", (), (2, 4, 7, 7), (2, 4, 1, 1))
_block_shapes("Unflatten", (4,), (2, 4, 1, 1), (2, 4, 7, 7))
_block_shapes("ConvBlock", (3, 5), (2, 3, 8, 8), (2, 5, 8, 8))
_block_shapes("DownBlock", (3, 5), (2, 3, 8, 8), (2, 5, 4, 4))
_block_shapes("UpBlock", (3, 5), (2, 3, 4, 4), (2, 5, 8, 8))
_block_shapes("FCBlock", (3, 5), (2, 3), (2, 5))


def _block_layers(name: str, args: tuple, conv: type, conv_attrs: dict, convs: int, norm: bool = True) -> None:
    detail = ", ".join(f"{k}={v}" for k, v in conv_attrs.items())
    @_register(name, f"{name} uses {convs}× nn.{conv.__name__}({detail}){', BatchNorm2d' if norm else ''} and GELU")
    def run(cls, ns):
        block = cls(*args)
        _expect_layer(block, conv, name, **conv_attrs)
        n = _count(block, nn.Conv2d) + _count(block, nn.ConvTranspose2d)
        _expect(n == convs, f"{name} should hold {convs} convolution(s), found {n}")
        if norm:
            _expect(_count(block, nn.BatchNorm2d) == convs, f"every convolution should be followed by nn.BatchNorm2d "
                    f"({convs} expected, found {_count(block, nn.BatchNorm2d)})")
        _expect(_count(block, nn.GELU) == convs, f"every convolution should be followed by nn.GELU "
                f"({convs} expected, found {_count(block, nn.GELU)})")


_block_layers("Conv", (3, 5), nn.Conv2d, dict(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)), 1)
_block_layers("DownConv", (3, 5), nn.Conv2d, dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)), 1)
_block_layers("UpConv", (3, 5), nn.ConvTranspose2d, dict(kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)), 1)
_block_layers("Unflatten", (4,), nn.ConvTranspose2d, dict(kernel_size=(7, 7), stride=(7, 7), padding=(0, 0)), 1)
_block_layers("ConvBlock", (3, 5), nn.Conv2d, dict(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)), 2)
_block_layers("DownBlock", (3, 5), nn.Conv2d, dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)), 3)
_block_layers("UpBlock", (3, 5), nn.ConvTranspose2d, dict(kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)), 3)


@_register("Flatten", "Flatten is AvgPool2d(7) followed by GELU")
def _flatten_values(cls, ns):
    x = torch.randn(2, 4, 7, 7)
    expected = F.gelu(x.mean(dim=(2, 3), keepdim=True))
    got = cls()(x)
    _expect(torch.allclose(got, expected, atol=1e-5), "the output is not GELU(average over the 7×7 map)")


@_register("FCBlock", "FCBlock is Linear(in, out) → GELU → Linear(out, out)")
def _fcblock_layers(cls, ns):
    block = cls(3, 5)
    linears = [m for m in _layers(block) if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    _expect(shapes == [(3, 5), (5, 5)], f"expected two nn.Linear layers (3→5, 5→5), found {shapes}")
    _expect(_count(block, nn.GELU) == 1, f"expected one nn.GELU between them, found {_count(block, nn.GELU)}")


# -------------------------------------------------------------------------------- Part B: UNets

# Parameter counts of the diagrams' architectures at D = 8 (a missing skip, BatchNorm or injection changes them).
_UNET_PARAMETERS = {"UnconditionalUNet": 31433, "TimeConditionalUNet": 31825, "ClassConditionalUNet": 32433}


def _make_unet(cls, name: str) -> nn.Module:
    return cls(1, 8) if name == "UnconditionalUNet" else cls(1, 10, 8)


def _unet_structure(name: str) -> None:
    @_register(name, f"{name} has the diagram's layers (parameter count at D = 8)")
    def run(cls, ns):
        unet = _make_unet(cls, name)
        n, expected = _parameters(unet), _UNET_PARAMETERS[name]
        _expect(n == expected, f"{expected} parameters expected for the diagram's architecture at D = 8, got {n} "
                "(look for a missing skip concatenation, BatchNorm, FC block, or a wrong channel count)")


for _name in _UNET_PARAMETERS:
    _unet_structure(_name)


@_register("UnconditionalUNet", "UnconditionalUNet(1, 8) maps [4, 1, 28, 28] to [4, 1, 28, 28], gradients flow")
def _uncond_shapes(cls, ns):
    unet = cls(1, 8)
    y = _expect_tensor(unet(torch.randn(4, 1, 28, 28)), (4, 1, 28, 28), "the output")
    y.pow(2).mean().backward()
    missing = [n for n, p in unet.named_parameters() if p.grad is None]
    _expect(not missing, f"these parameters get no gradient (not used in forward?): {missing[:5]}")


@_register("TimeConditionalUNet", "TimeConditionalUNet(1, 10, 8) accepts t as [N] or [N, 1] and depends on t")
def _time_unet(cls, ns):
    unet = cls(1, 10, 8)  # train mode: BatchNorm uses batch statistics, so the conditioning shows at init
    x = torch.randn(4, 1, 28, 28)
    t = torch.tensor([0.1, 0.4, 0.7, 1.0])
    with torch.no_grad():
        y1 = _expect_tensor(unet(x, t), (4, 1, 28, 28), "unet(x, t) with t [4]")
        y2 = _expect_tensor(unet(x, t[:, None]), (4, 1, 28, 28), "unet(x, t) with t [4, 1]")
        y3 = unet(x, 1.0 - t)
    _expect(torch.allclose(y1, y2, atol=1e-5), "t as [N] and as [N, 1] should give the same output")
    _expect(not torch.allclose(y1, y3, atol=1e-5), "the output does not change with t: is t injected?")


@_register("ClassConditionalUNet", "ClassConditionalUNet(1, 10, 8): indices = one-hot, mask = zero class, depends on c and t")
def _class_unet(cls, ns):
    unet = cls(1, 10, 8)  # train mode (see above)
    x = torch.randn(4, 1, 28, 28)
    t = torch.full((4,), 0.5)
    c = torch.tensor([0, 3, 7, 9])
    onehot = F.one_hot(c, 10).float()
    with torch.no_grad():
        y_idx = _expect_tensor(unet(x, c, t), (4, 1, 28, 28), "unet(x, c, t) with class indices")
        y_hot = unet(x, onehot, t)
        y_mask = unet(x, c, t, mask=torch.zeros(4))
        y_zero = unet(x, torch.zeros(4, 10), t)
        y_other = unet(x, (c + 1) % 10, t)
        y_time = unet(x, c, t * 0.2)
    _expect(torch.allclose(y_idx, y_hot, atol=1e-5), "class indices and their one-hot vectors should give the same output")
    _expect(torch.allclose(y_mask, y_zero, atol=1e-5), "mask = 0 should give the output of the all-zero class vector")
    _expect(not torch.allclose(y_idx, y_other, atol=1e-5), "the output does not change with the class: is c injected?")
    _expect(not torch.allclose(y_idx, y_time, atol=1e-5), "the output does not change with t: is t injected?")


# ---------------------------------------------------------------------------- Part B: add_noise


@_register("add_noise", "add_noise keeps shape and dtype; σ = 0 changes nothing")
def _add_noise_shape(fn, ns):
    x = torch.rand(3, 1, 28, 28)
    z = _expect_tensor(fn(x, 0.5), (3, 1, 28, 28), "add_noise(x, 0.5)")
    _expect(z.dtype == x.dtype, f"dtype should stay {x.dtype}, got {z.dtype}")
    _expect(torch.allclose(fn(x, 0.0), x), "add_noise(x, 0) should return x")


@_register("add_noise", "z − x has mean 0 and standard deviation σ")
def _add_noise_stats(fn, ns):
    x = torch.rand(64, 1, 28, 28)
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
    for key in ("betas", "alphas", "alpha_bars"):
        _expect(key in s, f"the dict has no key {key!r} (keys: {sorted(s)})")
        _expect_tensor(s[key], (300,), f"schedule[{key!r}]")
    b, a, ab = (s[k].double() for k in ("betas", "alphas", "alpha_bars"))
    _expect(abs(b[0] - 1e-4) < 1e-9 and abs(b[-1] - 0.02) < 1e-8,
            f"betas should run from 1e-4 to 0.02 inclusive, got {b[0]:.3g} … {b[-1]:.3g}")
    steps = b[1:] - b[:-1]
    _expect(torch.allclose(steps, steps.mean().expand_as(steps), atol=1e-7), "betas are not evenly spaced")
    _expect(torch.allclose(a, 1 - b, atol=1e-6), "alphas should be 1 − betas")
    _expect(abs(ab[0] - a[0]) < 1e-6, f"alpha_bars[0] should equal alphas[0] (t = 1), got {ab[0]:.6f} vs {a[0]:.6f}")
    _expect(torch.allclose(ab[1:] / ab[:-1], a[1:], atol=1e-5), "alpha_bars should be the cumulative product of alphas")


def _fixture_schedule(num_ts: int) -> dict[str, torch.Tensor]:
    """A test schedule (not the assignment's): ᾱ falls from 0.99 to 0.05; alphas and betas follow from it."""
    alpha_bars = torch.linspace(0.99, 0.05, num_ts)
    alphas = alpha_bars / torch.cat([torch.ones(1), alpha_bars[:-1]])
    return {"betas": 1 - alphas, "alphas": alphas, "alpha_bars": alpha_bars}


class _Oracle(nn.Module):
    """A fake UNet that knows the clean image(s): it returns the exact noise ``(x_t − √ᾱ_t x*) / √(1 − ᾱ_t)``.

    ``zero_based`` picks how ``t/T`` is read (``t ∈ {1..T}`` or ``{0..T−1}``). Targets: one image for every input,
    or, when ``class_targets`` is given, the target of the (masked) one-hot class, ``uncond_target`` for none.
    """

    def __init__(self, schedule, num_ts, target, zero_based=False, class_targets=None, uncond_target=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(()))
        self.alpha_bars, self.num_ts, self.target = schedule["alpha_bars"], num_ts, target
        self.zero_based, self.class_targets, self.uncond_target = zero_based, class_targets, uncond_target
        self.in_channels, self.num_classes = 1, 10
        self.seen_t: list[torch.Tensor] = []
        self.seen_c: list[torch.Tensor] = []

    def forward(self, x, *args, mask=None):
        c, t = (None, args[0]) if len(args) == 1 else (args[0], args[1])
        if len(args) == 3:
            mask = args[2]
        t = torch.as_tensor(t, dtype=torch.float64).reshape(-1).expand(x.shape[0])
        self.seen_t.append(t.detach().clone())
        steps = torch.round(t * self.num_ts).long() - (0 if self.zero_based else 1)
        if int(steps.min()) < 0 or int(steps.max()) >= self.num_ts:
            raise CheckFailed(f"the UNet received t/T outside the range of a {self.num_ts}-step schedule "
                              f"(t·T from {float(t.min() * self.num_ts):.2f} to {float(t.max() * self.num_ts):.2f}); "
                              "is t normalised by T?")
        ab = self.alpha_bars.double()[steps].view(-1, 1, 1, 1)
        target = self._targets(x, c, mask).double()
        eps = (x.double() - ab.sqrt() * target) / (1 - ab).sqrt()
        return eps.to(x.dtype) * self.weight

    def _targets(self, x, c, mask):
        if c is None:
            return self.target.expand_as(x)
        c = F.one_hot(c.long(), 10).double() if c.dim() == 1 else c.double()
        if mask is not None:
            c = c * torch.as_tensor(mask).double().reshape(-1, 1)
        self.seen_c.append(c.detach().clone())
        targets = torch.stack([self.class_targets[int(row.argmax())] if row.abs().sum() > 0 else self.uncond_target
                               for row in c])
        return targets


def _either_convention(run: Callable[[bool], str | None]) -> None:
    """Pass if the check passes with the 1-based (``t ∈ {1..T}``) or the 0-based time convention."""
    problems = []
    for zero_based in (False, True):
        try:
            problem = run(zero_based)
        except CheckFailed as failure:
            problem = str(failure)
        if problem is None:
            return
        problems.append(problem)
    raise CheckFailed(problems[0])


@_register("ddpm_forward", "ddpm_forward with a perfect noise predictor gives loss 0 (x_t, ᾱ_t, t/T all consistent)")
def _ddpm_forward_oracle(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts)
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
    schedule = _fixture_schedule(num_ts)
    oracle = _Oracle(schedule, num_ts, torch.zeros(1, 1, 28, 28), zero_based=True)
    x0 = torch.zeros(512, 1, 28, 28)
    try:
        fn(oracle, schedule, x0, num_ts)
    except CheckFailed:  # 1-based t reaches T: read it 1-based instead
        oracle = _Oracle(schedule, num_ts, torch.zeros(1, 1, 28, 28), zero_based=False)
        fn(oracle, schedule, x0, num_ts)
    _expect(bool(oracle.seen_t), "the UNet was never called")
    steps = torch.round(oracle.seen_t[-1] * num_ts).long()
    distinct = sorted(set(steps.tolist()))
    _expect(len(distinct) == num_ts, f"with T = {num_ts} every t should occur among 512 draws; got t·T in {distinct}")


@_register("ddpm_forward_cond", "ddpm_forward_cond with a perfect noise predictor gives loss 0")
def _ddpm_forward_cond_oracle(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts)
    x0 = torch.rand(128, 1, 28, 28)
    c = torch.arange(128) % 10
    class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]

    def run(zero_based):
        oracle = _Oracle(schedule, num_ts, None, zero_based, class_targets, torch.zeros(1, 28, 28))
        oracle._targets = lambda x, c_, mask: x0  # every sample's clean image is its own x_0
        loss = fn(oracle, schedule, x0, c, 0.1, num_ts)
        _expect(torch.is_tensor(loss) and loss.dim() == 0, f"should return a scalar tensor, got {_shape(loss)}")
        if loss.item() > 1e-6:
            return f"the loss is {loss.item():.4g}, expected 0 for a UNet that predicts the true noise"
        return None

    _either_convention(run)


@_register("ddpm_forward_cond", "ddpm_forward_cond drops the class with probability p_uncond")
def _ddpm_forward_cond_dropout(fn, ns):
    num_ts = 10
    schedule = _fixture_schedule(num_ts)
    n = 2000
    x0 = torch.zeros(n, 1, 28, 28)
    c = torch.arange(n) % 10
    zero = torch.zeros(1, 28, 28)
    for p, lo, hi in ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.5, 0.44, 0.56)):
        oracle = _Oracle(schedule, num_ts, None, True, [zero] * 10, zero)
        try:
            fn(oracle, schedule, x0, c, p, num_ts)
        except CheckFailed:
            oracle = _Oracle(schedule, num_ts, None, False, [zero] * 10, zero)
            fn(oracle, schedule, x0, c, p, num_ts)
        _expect(bool(oracle.seen_c), "the UNet never received a class")
        dropped = (oracle.seen_c[-1].abs().sum(dim=1) == 0).double().mean().item()
        _expect(lo <= dropped <= hi, f"p_uncond = {p}: {dropped:.1%} of the classes were dropped")


def _sampler_check(name: str, conditional: bool) -> None:
    @_register(name, f"{name}: shapes, frames, and the same seed gives the same images")
    def shapes(fn, ns):
        num_ts = 8
        schedule = _fixture_schedule(num_ts)
        unet = _ZeroUNet()
        if conditional:
            c = torch.tensor([1, 2, 3])
            out1, out2, out3 = (fn(unet, schedule, c, (28, 28), num_ts, 5.0, seed) for seed in (0, 0, 1))
        else:
            out1, out2, out3 = (fn(unet, schedule, (28, 28), num_ts, seed, 3) for seed in (0, 0, 1))
        _expect(isinstance(out1, tuple) and len(out1) == 2, "should return (images, frames)")
        images, frames = out1
        _expect_tensor(images, (3, 1, 28, 28), "images")
        _expect(isinstance(frames, list) and len(frames) >= 2, "frames should be a list of snapshots (at least 2)")
        for frame in frames:
            _expect_tensor(frame, (3, 1, 28, 28), "each frame")
        _expect(torch.equal(images.cpu(), out2[0].cpu()), "the same seed should give the same images")
        _expect(not torch.equal(images.cpu(), out3[0].cpu()), "a different seed should give different images")

    @_register(name, f"{name} with a perfect noise predictor returns the clean image" +
               (" (γ = 1: conditional; γ = 0: unconditional)" if conditional else ""))
    def oracle(fn, ns):
        num_ts = 12
        schedule = _fixture_schedule(num_ts)
        target = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(1))
        class_targets = [torch.full((1, 28, 28), k / 10) for k in range(10)]
        uncond = -target

        def run(zero_based):
            unet = _Oracle(schedule, num_ts, target, zero_based, class_targets, uncond)
            if not conditional:
                images, _ = fn(unet, schedule, (28, 28), num_ts, 0, 2)
                wanted = target.expand(2, 1, 28, 28)
                return _compare(images, wanted, "the sampled images are not the clean image: check x̂_0, the "
                                "update's coefficients (ᾱ_t, ᾱ_{t−1}, α_t, β_t), z = 0 on the last step, and t/T")
            c = torch.tensor([3, 7])
            for gamma, wanted, hint in (
                (1.0, torch.stack([class_targets[3], class_targets[7]]), "γ = 1 should follow the conditional estimate"),
                (0.0, uncond.expand(2, 1, 28, 28), "γ = 0 should follow the unconditional estimate"),
            ):
                images, _ = fn(unet, schedule, c, (28, 28), num_ts, gamma, 0)
                problem = _compare(images, wanted, f"{hint}: check ε = ε_u + γ (ε_c − ε_u) and the update")
                if problem:
                    return problem
            return None

        _either_convention(run)


def _compare(images: torch.Tensor, wanted: torch.Tensor, message: str) -> str | None:
    error = (images.detach().cpu().double() - wanted.double()).abs().max().item()
    return None if error < 1e-3 else f"{message} (max error {error:.3g})"


class _ZeroUNet(nn.Module):
    """A stand-in UNet that predicts zero noise (any conditioning accepted)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))
        self.in_channels, self.num_classes = 1, 10

    def forward(self, x, *args, **kwargs):
        return x * self.weight


_sampler_check("ddpm_sample", conditional=False)
_sampler_check("ddpm_sample_cond", conditional=True)


def _check_ddpm(ddpm: nn.Module, c: torch.Tensor | None) -> None:
    x = torch.rand(4, 1, 28, 28)
    loss = ddpm(x) if c is None else ddpm(x, c)
    _expect(torch.is_tensor(loss) and loss.dim() == 0, f"forward should return a scalar loss, got {_shape(loss)}")
    _expect(abs(loss.item() - 1.0) < 0.25, f"with a UNet predicting zero the loss should be ≈ E[ε²] = 1, got {loss.item():.3f}")
    images, frames = ddpm.sample(num_samples=3) if c is None else ddpm.sample(c=c[:3], guidance_scale=5.0)
    _expect_tensor(images, (3, 1, 28, 28), "sample(...) images" if c is None else "sample(c=[0, 1, 2]) images")
    _expect(isinstance(frames, list) and len(frames) > 0, "sample should also return the frames")


@_register("DDPM", "DDPM, time only: forward(x) gives a scalar loss; sample(num_samples=3) returns (images, frames)")
def _ddpm_time(cls, ns):
    ddpm = cls(_ZeroUNet(), betas=(1e-4, 0.02), num_ts=10)
    _expect(isinstance(ddpm, nn.Module), "DDPM should be an nn.Module")
    _check_ddpm(ddpm, None)


@_register("DDPM", "DDPM, class-conditioned: forward(x, c) gives a scalar loss; sample(c=...) returns (images, frames)")
def _ddpm_class(cls, ns):
    if "ddpm_forward_cond" not in ns or "ddpm_sample_cond" not in ns:
        raise _Skip("define ddpm_forward_cond and ddpm_sample_cond (Part 2.4–2.5), then run check(DDPM) again")
    _check_ddpm(cls(_ZeroUNet(), betas=(1e-4, 0.02), num_ts=10), torch.tensor([0, 1, 2, 3]))


del _name


# ------------------------------------------------------------------------------------ Part A: given names

_SIZE, _TOKENS, _WIDTH = 16, 2, 8
_TIMESTEPS = list(range(990, -1, -30))


class _UNetOutput(tuple):
    """What ``unet(..., return_dict=False)`` gives (a tuple), also usable as ``.sample``."""

    @property
    def sample(self) -> torch.Tensor:
        return self[0]


class _OracleIFUNet(nn.Module):
    """A fake IF UNet: for each sample it returns the exact noise towards the target of its prompt (identified by
    the embedding's mean value), and a variance channel that says which prompt it came from (+id / 10)."""

    def __init__(self, alphas_cumprod: torch.Tensor, targets: dict[int, torch.Tensor]):
        super().__init__()
        self.alphas_cumprod, self.targets = alphas_cumprod, targets
        self.config = _Config(sample_size=_SIZE, encoder_hid_dim=_WIDTH, cross_attention_dim=_WIDTH, in_channels=3)
        self.anchor = nn.Parameter(torch.zeros(()))
        self.calls = 0

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def forward(self, sample, timestep, encoder_hidden_states=None, return_dict=True, **kwargs):
        self.calls += 1
        t = int(torch.as_tensor(timestep).reshape(-1)[0])
        ab = self.alphas_cumprod[t].double()
        ids = encoder_hidden_states.double().mean(dim=(1, 2)).round().long().tolist()
        target = torch.stack([self.targets[i] for i in ids]).double()
        eps = (sample.double() - ab.sqrt() * target) / (1 - ab).sqrt()
        variance = torch.stack([torch.full((3, _SIZE, _SIZE), i / 10) for i in ids]).double()
        out = torch.cat([eps, variance], dim=1).to(sample.dtype)
        return _UNetOutput((out,)) if not return_dict else _Output(out)


class _Output:
    def __init__(self, sample):
        self.sample = sample

    def __getitem__(self, index):
        return (self.sample,)[index]


class _Config(dict):
    def __getattr__(self, key):
        return self.get(key)


class _FakeStage1:
    def __init__(self, unet, alphas_cumprod):
        self.unet = unet
        self.scheduler = _Config(alphas_cumprod=alphas_cumprod)


class _GivenNames:
    """Temporarily replace the notebook's ``stage_1`` and ``add_variance`` with an oracle and a recording spy."""

    def __init__(self, ns: dict, targets: dict[int, torch.Tensor]):
        self.ns = ns
        self.alphas_cumprod = torch.linspace(1.0, 0.01, 1000)  # ᾱ_0 = 1: a loop ending at t = 0 lands exactly
        self.unet = _OracleIFUNet(self.alphas_cumprod, targets)
        self.variance_calls: list[tuple[int, torch.Tensor]] = []

    def add_variance(self, predicted_variance, t, image):
        self.variance_calls.append((int(t), predicted_variance.detach().clone()))
        return image

    def __enter__(self):
        missing = [name for name in ("stage_1", "add_variance") if name not in self.ns]
        if missing:
            raise _Skip(f"run the setup cell first (missing {missing})")
        self.saved = {name: self.ns.get(name) for name in ("stage_1", "add_variance", "device")}
        self.ns["stage_1"] = _FakeStage1(self.unet, self.alphas_cumprod)
        self.ns["add_variance"] = self.add_variance
        self.ns["device"] = torch.device("cpu")
        return self

    def __exit__(self, *exc):
        self.ns.update(self.saved)
        return False


def _embeds(prompt_id: int) -> torch.Tensor:
    return torch.full((1, _TOKENS, _WIDTH), float(prompt_id))


def _images(seed: int, n: int = 1) -> torch.Tensor:
    return torch.rand(n, 3, _SIZE, _SIZE, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _as_tensor_image(out: Any) -> torch.Tensor:
    """The loops return ``[B, 3, H, W]``; the original course returned numpy ``[H, W, 3]`` in [0, 1]: accept both."""
    if torch.is_tensor(out):
        return out.detach().cpu().double()
    import numpy as np

    array = torch.as_tensor(np.asarray(out)).double()
    return (array.permute(2, 0, 1)[None] * 2 - 1) if array.dim() == 3 else array


def _close(out: Any, wanted: torch.Tensor, message: str, clip: bool = False) -> None:
    got = _as_tensor_image(out)
    wanted = wanted.double()
    if not torch.is_tensor(out) or clip:
        got, wanted = got.clamp(-1, 1), wanted.clamp(-1, 1)
    _expect(got.shape == wanted.shape, f"expected shape {list(wanted.shape)}, got {list(got.shape)}")
    error = (got - wanted).abs().max().item()
    _expect(error < 1e-3, f"{message} (max error {error:.3g})")


def _expect_steps(given: _GivenNames, timesteps: list[int], i_start: int) -> None:
    ts = [t for t, _ in given.variance_calls]
    wanted = timesteps[i_start:-1]
    _expect(len(ts) > 0, "add_variance was never called: end every step with add_variance(variance, t, image)")
    _expect(ts == wanted, f"add_variance should be called once per step with t = {wanted[:3]} … {wanted[-1:]} "
            f"({len(wanted)} steps), got {ts[:3]} … {ts[-1:]} ({len(ts)} calls)")


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
