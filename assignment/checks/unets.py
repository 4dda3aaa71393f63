"""Part B UNet checks: the diagrams' parameter counts, gradients flowing, and the dependence on t and c."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import _CONVS, _NORMS, _norm_after
from .registry import CheckFailed, _expect, _expect_tensor, _register
from .tracing import _Trace

# -------------------------------------------------------------------------------- Part B: UNets

# The diagrams' architectures at D = 8, counted as the check counts: the parameters that get a gradient, less the
# biases of convolutions followed directly by BatchNorm2d (BatchNorm subtracts the batch mean, which cancels them:
# with or without them the block computes the same). Plain parameter counts: 31433, 31825 and 32433.
_UNET_PARAMETERS = {"UnconditionalUNet": 31265, "TimeConditionalUNet": 31657, "ClassConditionalUNet": 32265}


def _make_unet(cls, name: str) -> nn.Module:
    """``cls(1, 8)`` or ``cls(1, 10, 8)``; a TimeConditionalUNet may leave out the num_classes it never uses."""
    if name == "UnconditionalUNet":
        return cls(1, 8)
    try:
        return cls(1, 10, 8)
    except TypeError:
        if name != "TimeConditionalUNet":
            raise
        return cls(1, 8)  # TimeConditionalUNet(in_channels, num_hiddens)


def _run_unet(unet: nn.Module, name: str, x: torch.Tensor) -> Any:
    t = torch.rand(x.shape[0])
    if name == "UnconditionalUNet":
        return unet(x)
    if name == "TimeConditionalUNet":
        return _first_form(lambda t_form: unet(x, t_form), _time_forms(t))[1]
    c = torch.arange(x.shape[0]) % 10
    return _first_form(lambda form: unet(x, form[0], form[1]),
                       [(c_form, t_form) for c_form in _class_forms(c) for t_form in _time_forms(t)])[1]


def _time_forms(t: torch.Tensor) -> list[torch.Tensor]:
    """``t`` as ``[N]`` and as ``[N, 1]``: a UNet may take either one only (the autograder tries both)."""
    return [t, t[:, None]]


def _class_forms(c: torch.Tensor) -> list[torch.Tensor]:
    """Classes as indices ``[N]`` and as one-hot ``[N, 10]``: a UNet may take either one only."""
    return [c, F.one_hot(c, 10).float()]


def _first_form(call, forms: list) -> tuple[Any, Any]:
    """``(form, call(form))`` for the first form the UNet accepts; re-raises the first form's error if none."""
    first_error = None
    for form in forms:
        try:
            return form, call(form)
        except Exception as error:  # noqa: BLE001  (this form is not the one the UNet takes)
            first_error = first_error or error
    raise first_error


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
del _name


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
    unet = _make_unet(cls, "TimeConditionalUNet")  # train mode: BatchNorm uses batch statistics, so the conditioning shows at init
    x = torch.randn(4, 1, 28, 28)
    t = torch.tensor([0.1, 0.4, 0.7, 1.0])
    outputs = {}
    with torch.no_grad():
        for what, t_form in zip(("t [4]", "t [4, 1]"), _time_forms(t)):
            try:
                outputs[what] = _expect_tensor(unet(x, t_form), (4, 1, 28, 28), f"unet(x, t) with {what}")
            except CheckFailed:
                raise
            except Exception as error:  # noqa: BLE001  (one form is enough: the autograder tries both)
                outputs[what] = error
        works = {what: y for what, y in outputs.items() if torch.is_tensor(y)}
        if not works:
            raise outputs["t [4]"]
        y1 = next(iter(works.values()))
        later = t if "t [4]" in works else t[:, None]
        y3 = unet(x, 1.0 - later)
    if len(works) == 2:
        _expect(torch.allclose(works["t [4]"], works["t [4, 1]"], atol=1e-5),
                "t as [N] and as [N, 1] should give the same output")
    _expect(not torch.allclose(y1, y3, atol=1e-5), "the output does not change with t: is t injected?")


@_register("ClassConditionalUNet", "ClassConditionalUNet(1, 10, 8): indices = one-hot, mask = zero class, depends on c and t")
def _class_unet(cls, ns):
    unet = _make_unet(cls, "ClassConditionalUNet")  # train mode (see above)
    x = torch.randn(4, 1, 28, 28)
    t = torch.full((4,), 0.5)
    c = torch.tensor([0, 3, 7, 9])
    onehot = F.one_hot(c, 10).float()
    with torch.no_grad():
        # classes as indices or one-hot, t as [N] or [N, 1]: either form of each is enough (the autograder tries both)
        (c_form, t_form), y = _first_form(lambda form: unet(x, form[0], form[1]),
                                          [(cf, tf) for cf in (c, onehot) for tf in _time_forms(t)])
        _expect_tensor(y, (4, 1, 28, 28), "unet(x, c, t)")
        as_t = (lambda v: v) if t_form.dim() == 1 else (lambda v: v[:, None])
        indices = c_form.dim() == 1
        other = (c + 1) % 10
        y_other = unet(x, other if indices else F.one_hot(other, 10).float(), t_form)
        y_time = unet(x, c_form, as_t(t * 0.2))
        # the mask as [N] or as a column [N, 1]: either form is enough
        y_mask = _first_form(lambda mask: unet(x, c_form, t_form, mask=mask), [torch.zeros(4), torch.zeros(4, 1)])[1]
        try:  # the other class form, if this UNet takes it too
            y_both = unet(x, onehot if indices else c, t_form)
        except Exception:  # noqa: BLE001
            y_both = None
        try:
            y_zero = unet(x, torch.zeros(4, 10), t_form)
        except Exception:  # noqa: BLE001  (indices only: no zero vector to pass)
            y_zero = None
    if y_both is not None:
        _expect(torch.allclose(y, y_both, atol=1e-5), "class indices and their one-hot vectors should give the same output")
    if y_zero is not None:
        _expect(torch.allclose(y_mask, y_zero, atol=1e-5), "mask = 0 should give the output of the all-zero class vector")
    else:
        _expect(not torch.allclose(y, y_mask, atol=1e-5), "mask = 0 does not change the output: is the class dropped?")
    _expect(not torch.allclose(y, y_other, atol=1e-5), "the output does not change with the class: is c injected?")
    _expect(not torch.allclose(y, y_time, atol=1e-5), "the output does not change with t: is t injected?")

