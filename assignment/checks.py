"""In-notebook checks: ``check(forward)`` runs quick public tests of one function or class in your kernel.

Each check prints ✅ or ❌ with the reason, like Otter's ``grader.check``. The tests are small and fast (CPU,
tiny tensors) and look at properties any correct implementation has — shapes, dtypes, what a block computes
(rebuilt from its own layers, so how it is written does not matter), determinism, and formula checks against an
*oracle*: a fake network that knows the clean image, so a correct loop must give it back exactly. Passing them
is a good sign, not a grade: the autograder runs more tests.

This module holds no solution; it only states what a solution must satisfy.
"""

from __future__ import annotations

import inspect
import itertools
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


class _Trace:
    """Records the layers of ``kinds`` that run during forward passes, in call order, as :class:`_Call` s.

    Use as a context manager around the forward pass; the hooks are removed on exit.
    """

    def __init__(self, module: nn.Module, kinds: type | tuple[type, ...] = nn.Module):
        self.calls: list[_Call] = []
        self._handles = [m.register_forward_hook(self._record) for m in module.modules() if isinstance(m, kinds)]

    def _record(self, layer: nn.Module, inputs: tuple, output: Any) -> None:
        first = inputs[0] if inputs else None
        self.calls.append(_Call(layer, first, output, _copy(first), _copy(output)))

    def __enter__(self) -> _Trace:
        return self

    def __exit__(self, *exc) -> bool:
        for handle in self._handles:
            handle.remove()
        return False

    def of(self, kinds: type | tuple[type, ...]) -> list[_Call]:
        return [call for call in self.calls if isinstance(call.layer, kinds)]


@dataclass(frozen=True)
class _Call:
    """One layer call seen by :class:`_Trace`: the tensors themselves (to see what feeds what) and copies of their
    values at the time (a later in-place operation cannot change those)."""

    layer: nn.Module
    input: Any
    output: Any
    input_value: Any
    output_value: Any


def _copy(value: Any) -> Any:
    return value.detach().clone() if torch.is_tensor(value) else value


def _max_diff(a: Any, b: Any) -> float:
    """Largest absolute difference of two tensors (infinity when they are not tensors of the same shape)."""
    if not (torch.is_tensor(a) and torch.is_tensor(b)) or a.shape != b.shape:
        return math.inf
    return (a.detach().double() - b.detach().double()).abs().max().item() if a.numel() else 0.0


def _ordinal(i: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


# ------------------------------------------------------------------------------- Part B: blocks

# The block checks judge behaviour, not form. They run your block on a small batch and rebuild the diagram's
# computation from your block's *own* layers: the nn.Conv2d / nn.ConvTranspose2d and nn.BatchNorm2d that your
# forward runs, in the order it runs them (their weights are random at initialisation, so a copy of the formula
# with your weights is the only output that can match). How you write a step does not matter: nn.GELU or F.gelu,
# nn.AvgPool2d or F.avg_pool2d, bias=False before BatchNorm, or a stride that makes no difference on the map the
# block sees (a 7×7 transposed convolution of a 1×1 map gives the same output with stride 1 or 7).

_CONVS = (nn.Conv2d, nn.ConvTranspose2d)
_NORMS = nn.modules.batchnorm._BatchNorm
_GELU_MIN = -0.1701  # min_z GELU(z) = −0.16997 (tanh approximation: −0.17004)
_TIGHT = 1e-4  # same computation, float32 rounding
_LOOSE = 1e-2  # for telling which step differs, once the output does not match


@dataclass(frozen=True)
class _Stage:
    """One ``convolution → BatchNorm2d → GELU`` step as the diagram draws it."""

    kind: type
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    padding: int

    def __str__(self) -> str:
        k = self.kernel
        return f"{self.kind.__name__}({k}×{k}, stride {self.stride}, padding {self.padding})"

    @property
    def weight_shape(self) -> tuple[int, ...]:
        i, o, k = self.in_channels, self.out_channels, self.kernel
        return (o, i, k, k) if self.kind is nn.Conv2d else (i, o, k, k)

    def conv(self, h: torch.Tensor, layer: nn.Module) -> torch.Tensor:
        """The diagram's convolution of ``h`` with ``layer``'s weight and bias (``None`` with ``bias=False``)."""
        f = F.conv2d if self.kind is nn.Conv2d else F.conv_transpose2d
        return f(h, layer.weight, layer.bias, stride=self.stride, padding=self.padding)


def _formula(stages: list[_Stage]) -> str:
    """E.g. ``Conv2d(3×3, stride 2, padding 1) → BatchNorm2d → GELU, then 2× (Conv2d(3×3, stride 1,
    padding 1) → BatchNorm2d → GELU)`` (the notebook's notation)."""
    parts = []
    for text, group in itertools.groupby(str(stage) for stage in stages):
        n = len(list(group))
        step = f"{text} → BatchNorm2d → GELU"
        parts.append(f"{n}× ({step})" if n > 1 else step)
    return ", then ".join(parts)


def _batch_norm(a: torch.Tensor, norm: nn.Module | None, training: bool) -> torch.Tensor:
    """What BatchNorm2d computes on ``a``: batch statistics in training mode, the running ones in eval mode.

    ``norm`` is the student's layer (its scale, shift, eps and running statistics are used), or ``None`` for a
    normalisation without learnable parameters.
    """
    if norm is None:
        return F.batch_norm(a, None, None, training=True)
    batch = training or norm.running_mean is None
    return F.batch_norm(a, None if batch else norm.running_mean, None if batch else norm.running_var,
                        norm.weight, norm.bias, training=batch, eps=norm.eps)


def _norm_after(conv: _Call, norms: list[_Call]) -> nn.Module | None:
    """The BatchNorm layer that takes this convolution's output as its input, if any."""
    for norm in norms:
        if norm.input is conv.output or _max_diff(norm.input_value, conv.output_value) == 0.0:
            return norm.layer
    return None


def _rebuild(x: torch.Tensor, stages: list[_Stage], convs: list[_Call], norms: list[nn.Module | None],
             training: bool, approximate: str = "none") -> torch.Tensor:
    """The diagram's computation of the block with the block's own layers."""
    h = x
    for stage, conv, norm in zip(stages, convs, norms):
        h = F.gelu(_batch_norm(stage.conv(h, conv.layer), norm, training), approximate=approximate)
    return h


def _matches(y: torch.Tensor, build: Callable[[str], torch.Tensor], tolerance: float = _TIGHT) -> bool:
    """Whether ``y`` is ``build(approximate)`` with the exact GELU or its tanh approximation."""
    return any(_max_diff(y, build(approximate)) < tolerance for approximate in ("none", "tanh"))


def _which_step(got: torch.Tensor, a: torch.Tensor, norm: nn.Module | None, training: bool) -> str:
    """Names what ``got`` is, when it is a common mistake made of the convolution output ``a``."""
    z = _batch_norm(a, norm, training)
    candidates = [
        (a, "it is the convolution's output itself: BatchNorm2d and GELU are missing"),
        (z, "it is BatchNorm2d's output: GELU is missing"),
        (F.gelu(a), "it is GELU of the convolution's output: BatchNorm2d is missing"),
        (F.relu(z), "it is ReLU(BatchNorm2d(·)): use GELU, not ReLU"),
        (F.batch_norm(F.gelu(a), None, None, training=True), "GELU comes before BatchNorm2d: it should be "
         "BatchNorm2d, then GELU"),
        (F.gelu(_batch_norm(a, norm, not training)),
         "BatchNorm2d uses its running statistics in training mode; there it should use the batch's" if training
         else "BatchNorm2d uses the batch's statistics in eval mode; there it should use its running statistics"),
    ]
    for candidate, hint in candidates:
        if _max_diff(got, candidate) < _LOOSE:
            return f": {hint}"
    return ""


def _expect_gelu_output(y: torch.Tensor, what: str) -> None:
    """``y`` comes out of GELU of batch-normalised values: nothing below GELU's minimum, many negative values."""
    low = y.min().item()
    _expect(low >= _GELU_MIN, f"{what} has values down to {low:.3f}, but GELU(z) ≥ −0.170 for every z, so it "
            "cannot come out of GELU: is GELU missing at the end, or applied before BatchNorm2d?")
    negative = (y < 0).double().mean().item()
    _expect(negative > 0.05, f"only {negative:.0%} of {what}'s values are negative, but GELU(z) < 0 for every "
            "z < 0 and about half of the normalised values going into it are negative: is it ReLU (or another "
            "activation) instead of GELU?")


def _expect_batch_statistics(block: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """Training mode: BatchNorm2d after the first convolution makes the output blind to the input's scale (the
    convolution is linear), and every image's output depends on the whole batch."""
    with torch.no_grad():
        small, large, part = block(10 * x), block(100 * x), block(x[:2])
    diff = _max_diff(small, large)
    _expect(diff < _LOOSE, f"the output changed by up to {diff:.3g} when the input was multiplied by 100 instead of "
            "10, but a convolution followed by BatchNorm2d in training mode is blind to the input's scale (it "
            "normalises with the batch's mean and variance): is BatchNorm2d missing after the first convolution, or "
            "not in training mode?")
    diff = _max_diff(part, y[:2])
    _expect(diff > _TIGHT, "in training mode the first two images' outputs stay the same when the rest of the batch "
            "is left out, but BatchNorm2d normalises each channel with the whole batch's statistics: is it an "
            "instance, layer or group normalisation instead?")


def _expect_block(name: str, block: nn.Module, x: torch.Tensor, y_shape: tuple, stages: list[_Stage],
                  training: bool) -> None:
    """Run ``block`` on ``x`` and compare its output with the diagram's computation rebuilt from its own layers."""
    formula, mode = _formula(stages), "training" if training else "eval"
    with _Trace(block, _CONVS + (_NORMS,)) as trace, torch.no_grad():
        y = block(x)
    convs, norm_calls = trace.of(_CONVS), trace.of(_NORMS)
    yours = "; ".join(repr(call.layer) for call in convs) or "none"
    _expect(torch.is_tensor(y) and tuple(y.shape) == y_shape, f"the output should have shape {list(y_shape)} "
            f"({formula} of {list(x.shape)}), got {_shape(y)} (your convolutions: {yours})")
    if training:
        _expect_gelu_output(y, "the output")
        _expect_batch_statistics(block, x, y)
    else:
        with torch.no_grad():
            single = block(x[:1])
        diff = _max_diff(single, y[:1])
        _expect(diff < _TIGHT, f"in eval mode (sampling uses it) an image's output should not depend on the rest of "
                f"the batch (BatchNorm2d then uses the running statistics gathered in training), but leaving the "
                f"others out changed it by up to {diff:.3g}")
    _expect(bool(convs), f"the check rebuilds {formula} from your block's own layers, but its forward ran no "
            "nn.Conv2d or nn.ConvTranspose2d module (use those layers rather than F.conv2d with your own parameters)")
    _expect(len(convs) == len(stages), f"the diagram's {name} runs {len(stages)} convolution(s): {formula}; your "
            f"forward ran {len(convs)} ({yours}), so its output is a different function of the input")
    for i, (stage, conv) in enumerate(zip(stages, convs), 1):
        weight = conv.layer.weight
        _expect(isinstance(conv.layer, stage.kind) and tuple(weight.shape) == stage.weight_shape,
                f"the {_ordinal(i)} convolution should be the diagram's {stage} from {stage.in_channels} to "
                f"{stage.out_channels} channels (an nn.{stage.kind.__name__} with weight {list(stage.weight_shape)}); "
                f"yours is {conv.layer!r} with weight {list(weight.shape)}, which computes a different function")
    norms = [_norm_after(conv, norm_calls) for conv in convs]
    with torch.no_grad():
        if _matches(y, lambda approximate: _rebuild(x, stages, convs, norms, training, approximate)):
            missing = [_ordinal(i) for i, norm in enumerate(norms, 1) if norm is None]
            _expect(not missing, f"the output matches {formula} at initialisation, but no nn.BatchNorm2d takes the "
                    f"{', '.join(missing)} convolution's output: the diagram's BatchNorm2d also has a learnable "
                    "per-channel scale and shift and keeps running statistics for eval mode, which the output at "
                    "initialisation cannot show; use nn.BatchNorm2d(out_channels)")
            return
        _explain_mismatch(x, y, stages, convs, norms, training, formula, mode)


def _explain_mismatch(x, y, stages, convs, norms, training, formula, mode) -> None:
    """Find the first step where the block's values leave the diagram's computation and say what came instead."""
    h = x
    for i, (stage, conv, norm) in enumerate(zip(stages, convs, norms), 1):
        if _max_diff(conv.input_value, h) > _LOOSE:
            if i == 1:
                raise CheckFailed(f"in {mode} mode the 1st convolution does not get the block's input")
            previous = convs[i - 2]
            a = stages[i - 2].conv(previous.input_value, previous.layer)
            hint = _which_step(conv.input_value, a, norms[i - 2], training)
            raise CheckFailed(f"in {mode} mode the {_ordinal(i)} convolution's input should be GELU(BatchNorm2d(·)) "
                              f"of the {_ordinal(i - 1)} convolution's output, max difference "
                              f"{_max_diff(conv.input_value, F.gelu(_batch_norm(a, norms[i - 2], training))):.3g}"
                              f"{hint}")
        a = stage.conv(conv.input_value, conv.layer)
        diff = _max_diff(conv.output_value, a)
        if diff > _LOOSE:
            detail = (f"shape {_shape(conv.output_value)} where {list(a.shape)} is expected" if math.isinf(diff)
                      else f"max difference {diff:.3g}")
            raise CheckFailed(f"the {_ordinal(i)} convolution's output differs from the diagram's {stage} applied to "
                              f"the same input with the same weights ({detail}); yours is {conv.layer!r}")
        h = F.gelu(_batch_norm(a, norm, training))
    a = stages[-1].conv(convs[-1].input_value, convs[-1].layer)
    hint = _which_step(y, a, norms[-1], training) or ": it should be BatchNorm2d, then GELU"
    raise CheckFailed(f"in {mode} mode the output differs from {formula} rebuilt with your block's own layers "
                      f"(max difference {_max_diff(y, h):.3g}); what follows the last convolution differs{hint}")


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


def _block_behaviour(name: str, args: tuple, x_shape: tuple, y_shape: tuple, stages: list[_Stage]) -> None:
    @_register(name, f"{name} computes {_formula(stages)} (its output, rebuilt from its own layers; "
               "training and eval mode)")
    def run(cls, ns):
        block = cls(*args)
        _expect(isinstance(block, nn.Module), f"{name} should be an nn.Module")
        x = torch.randn(x_shape)
        block.train()
        _expect_block(name, block, x, y_shape, stages, training=True)
        trained = cls(*args)  # a fresh block whose running statistics come from a few training batches
        with torch.no_grad():
            for _ in range(3):
                trained(2 * torch.randn(x_shape) + 0.5)
        trained.eval()
        _expect_block(name, trained, x, y_shape, stages, training=False)


def _conv(i: int, o: int) -> _Stage:
    return _Stage(nn.Conv2d, i, o, kernel=3, stride=1, padding=1)


def _down(i: int, o: int) -> _Stage:
    return _Stage(nn.Conv2d, i, o, kernel=3, stride=2, padding=1)


def _up(i: int, o: int) -> _Stage:
    return _Stage(nn.ConvTranspose2d, i, o, kernel=4, stride=2, padding=1)


_block_behaviour("Conv", (3, 5), (4, 3, 8, 8), (4, 5, 8, 8), [_conv(3, 5)])
_block_behaviour("DownConv", (3, 5), (4, 3, 8, 8), (4, 5, 4, 4), [_down(3, 5)])
_block_behaviour("UpConv", (3, 5), (4, 3, 4, 4), (4, 5, 8, 8), [_up(3, 5)])
_block_behaviour("Unflatten", (4,), (4, 4, 1, 1), (4, 4, 7, 7),
                 [_Stage(nn.ConvTranspose2d, 4, 4, kernel=7, stride=7, padding=0)])
_block_behaviour("ConvBlock", (3, 5), (4, 3, 8, 8), (4, 5, 8, 8), [_conv(3, 5), _conv(5, 5)])
_block_behaviour("DownBlock", (3, 5), (4, 3, 8, 8), (4, 5, 4, 4), [_down(3, 5), _conv(5, 5), _conv(5, 5)])
_block_behaviour("UpBlock", (3, 5), (4, 3, 4, 4), (4, 5, 8, 8), [_up(3, 5), _conv(5, 5), _conv(5, 5)])


@_register("Flatten", "Flatten is AvgPool2d(7) followed by GELU")
def _flatten_values(cls, ns):
    x = torch.randn(4, 4, 7, 7)
    got = cls()(x)
    _expect_tensor(got, (4, 4, 1, 1), "the output")
    mean = x.mean(dim=(2, 3), keepdim=True)
    if _matches(got, lambda approximate: F.gelu(mean, approximate=approximate)):
        return
    hints = [(mean, "it is the average itself: GELU is missing"),
             (F.relu(mean), "it is ReLU of the average: use GELU, not ReLU"),
             (F.gelu(x.amax(dim=(2, 3), keepdim=True)), "it is GELU of the maximum: use average pooling, not max")]
    hint = next((f": {text}" for value, text in hints if _max_diff(got, value) < _TIGHT), "")
    raise CheckFailed(f"the output is not GELU(average over the 7×7 map), max difference "
                      f"{_max_diff(got, F.gelu(mean)):.3g}{hint}")


@_register("FCBlock", "FCBlock is Linear(in, out) → GELU → Linear(out, out)")
def _fcblock_layers(cls, ns):
    block = cls(3, 5)
    x = torch.randn(4, 3)
    with _Trace(block, nn.Linear) as trace, torch.no_grad():
        y = block(x)
    linears = trace.of(nn.Linear)
    shapes = [(call.layer.in_features, call.layer.out_features) for call in linears]
    _expect(shapes == [(3, 5), (5, 5)], f"the diagram's FCBlock(3, 5) runs two nn.Linear layers, 3→5 then 5→5; "
            f"your forward ran {shapes or 'none'}, so its output is a different function of the input")
    first, second = linears[0].layer, linears[1].layer
    with torch.no_grad():
        def build(approximate, act=None):
            hidden = F.linear(x, first.weight, first.bias)
            hidden = act(hidden) if act else F.gelu(hidden, approximate=approximate)
            return F.linear(hidden, second.weight, second.bias)

        if not _matches(y, build):
            hints = [(build("none", lambda h: h), "the two Linear layers follow each other directly: GELU is missing "
                      "between them"),
                     (build("none", F.relu), "ReLU is between them: use GELU"),
                     (F.gelu(build("none", lambda h: h)), "GELU comes after the second Linear, not between them")]
            hint = next((f": {text}" for value, text in hints if _max_diff(y, value) < _TIGHT), "")
            raise CheckFailed(f"the output differs from Linear(3, 5) → GELU → Linear(5, 5) rebuilt with your "
                              f"block's own Linear layers (max difference {_max_diff(y, build('none')):.3g}){hint}")
        zero = block(torch.zeros(1, 3))
    _expect(zero.abs().max().item() > 0, "FCBlock maps the zero vector to exactly 0, so its layers have no biases: "
            "the unconditional class vector (mask = 0) is all zeros, and without nn.Linear's biases its embedding "
            "can never be anything but 0")


# -------------------------------------------------------------------------------- Part B: UNets

# The diagrams' architectures at D = 8, counted as the check counts: the parameters that get a gradient, less the
# biases of convolutions followed directly by BatchNorm2d (BatchNorm subtracts the batch mean, which cancels them:
# with or without them the block computes the same). Plain parameter counts: 31433, 31825 and 32433.
_UNET_PARAMETERS = {"UnconditionalUNet": 31265, "TimeConditionalUNet": 31657, "ClassConditionalUNet": 32265}


def _make_unet(cls, name: str) -> nn.Module:
    return cls(1, 8) if name == "UnconditionalUNet" else cls(1, 10, 8)


def _run_unet(unet: nn.Module, name: str, x: torch.Tensor) -> Any:
    t = torch.rand(x.shape[0])
    if name == "UnconditionalUNet":
        return unet(x)
    if name == "TimeConditionalUNet":
        return unet(x, t)
    return unet(x, torch.arange(x.shape[0]) % 10, t)


def _effective_parameters(unet: nn.Module, name: str) -> tuple[int, int, int]:
    """``(counted, all, without gradient)``: the parameters that get a gradient from the output, less the biases of
    convolutions whose output goes straight into a BatchNorm layer (they cannot change the output); the plain
    total; and how many get no gradient (unused, or detached)."""
    with _Trace(unet, _CONVS + (_NORMS,)) as trace:
        y = _run_unet(unet, name, torch.randn(4, 1, 28, 28))
    _expect(torch.is_tensor(y), f"the UNet should return a tensor, got {type(y).__name__}")
    (y * torch.randn_like(y)).sum().backward()
    norms = trace.of(_NORMS)
    cancelled = {id(call.layer.bias) for call in trace.of(_CONVS)
                 if call.layer.bias is not None and _norm_after(call, norms) is not None}
    counted = sum(p.numel() for p in unet.parameters() if p.grad is not None and id(p) not in cancelled)
    no_gradient = sum(p.numel() for p in unet.parameters() if p.grad is None)
    return counted, sum(p.numel() for p in unet.parameters()), no_gradient


def _unet_structure(name: str) -> None:
    @_register(name, f"{name} has the diagram's layers (parameter count at D = 8)")
    def run(cls, ns):
        unet = _make_unet(cls, name)
        (n, total, no_gradient), expected = _effective_parameters(unet, name), _UNET_PARAMETERS[name]
        unused = f", {no_gradient} of them get no gradient: unused or detached" if no_gradient else ""
        _expect(n == expected, f"the diagram's architecture at D = 8 has {expected} parameters that shape the output, "
                f"yours has {n} ({total} in all{unused}; not counted: parameters that get no gradient and "
                "convolution biases that a BatchNorm2d right after cancels). The layers' sizes are the point here and "
                "the output at initialisation cannot show them: look for a missing skip concatenation, BatchNorm2d "
                "(or its learnable scale and shift), FC block, or a wrong channel count")


for _name in _UNET_PARAMETERS:
    _unet_structure(_name)


@_register("UnconditionalUNet", "UnconditionalUNet(1, 8) maps [4, 1, 28, 28] to [4, 1, 28, 28], gradients flow")
def _uncond_shapes(cls, ns):
    unet = cls(1, 8)
    with _Trace(unet) as trace:
        y = _expect_tensor(unet(torch.randn(4, 1, 28, 28)), (4, 1, 28, 28), "the output")
    y.pow(2).mean().backward()
    ran = {id(call.layer) for call in trace.calls}
    missing = [f"{module_name}.{key}".lstrip(".") for module_name, module in unet.named_modules() if id(module) in ran
               for key, p in module.named_parameters(recurse=False) if p.grad is None]
    _expect(not missing, f"these parameters belong to layers that run in forward but get no gradient (is their "
            f"output detached or thrown away?): {missing[:5]}")


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
