"""Part B block checks (``Conv`` … ``FCBlock``): shapes, and what each block computes, rebuilt from its own layers
in the order its forward runs them, with a message naming the step that differs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .registry import CheckFailed, _expect, _expect_tensor, _register, _shape
from .tracing import _Call, _max_diff, _Trace


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


def _build(cls, name: str, args: tuple) -> nn.Module:
    """``cls(*args)``; an ``Unflatten`` written with the other blocks' ``(in_channels, out_channels)`` gets the count
    twice, as its UNet builds it."""
    try:
        return cls(*args)
    except TypeError:
        if name != "Unflatten":
            raise
        return cls(*args, *args)


def _block_shapes(name: str, args: tuple, x_shape: tuple, y_shape: tuple) -> None:
    @_register(name, f"{name}{args} maps {list(x_shape)} to {list(y_shape)}")
    def run(cls, ns):
        block = _build(cls, name, args)
        _expect(isinstance(block, nn.Module), f"{name} should be an nn.Module")
        y = block(torch.randn(x_shape))
        if name == "Flatten" and torch.is_tensor(y) and tuple(y.shape) == y_shape[:2]:
            return  # [N, C] vectors: the same values, for an Unflatten that reshapes them back
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
        block = _build(cls, name, args)
        _expect(isinstance(block, nn.Module), f"{name} should be an nn.Module")
        x = torch.randn(x_shape)
        block.train()
        _expect_block(name, block, x, y_shape, stages, training=True)
        trained = _build(cls, name, args)  # a fresh block whose running statistics come from a few training batches
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
    if torch.is_tensor(got) and tuple(got.shape) == (4, 4):  # [N, C] vectors are accepted: the values are the point
        got = got[:, :, None, None]
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

