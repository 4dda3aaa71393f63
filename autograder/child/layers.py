"""Describe and align the parametric layers of a model, independently of attribute names.

A student's UNet names its modules as it likes and may register them in any order. What the diagrams fix
is the layers' *kinds and shapes in the order the forward pass runs them*. :func:`layer_plan` lists the
parametric leaf modules (convolutions, transposed convolutions, BatchNorms, Linears) in that canonical order:
the trunk in execution order, then the conditioning ``FCBlock`` s (pairs of Linears) sorted by their input and
output sizes. Two models with equal plans can exchange weights with :func:`load_plan_weights`, so the grader
can compare a student's model with the reference on the same weights. Used in the child and in the grader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

PARAMETRIC = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.Linear)
STRUCTURAL = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.Linear, nn.GELU, nn.AvgPool2d, nn.ReLU, nn.SiLU, nn.MaxPool2d)


def signature(module: nn.Module) -> str:
    """A short description of a layer's kind and configuration, e.g. ``Conv2d(8→16, k3 s2 p1)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return (
            f"{type(module).__name__}({module.in_channels}→{module.out_channels}, k{module.kernel_size[0]} "
            f"s{module.stride[0]} p{module.padding[0]})"
        )
    if isinstance(module, nn.BatchNorm2d):
        return f"BatchNorm2d({module.num_features})"
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features}→{module.out_features})"
    if isinstance(module, nn.AvgPool2d):
        return f"AvgPool2d({module.kernel_size})"
    return type(module).__name__


def layer_plan(model: nn.Module, run: Callable[[], Any]) -> tuple[list[nn.Module], list[str]]:
    """Parametric leaves of ``model`` in canonical order, and those that ``run()`` never executed.

    ``run`` performs one forward pass (under ``torch.no_grad``). Returns ``(modules, unused)`` where
    ``unused`` lists signatures of parametric layers defined but not used by the forward pass.
    """
    leaves = [m for m in model.modules() if isinstance(m, PARAMETRIC)]
    order: list[nn.Module] = []
    seen: set[int] = set()

    def hook(module: nn.Module, args: Any, output: Any) -> None:
        if id(module) not in seen:
            seen.add(id(module))
            order.append(module)

    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    unused = [signature(m) for m in leaves if id(m) not in seen]
    trunk = [m for m in order if not isinstance(m, nn.Linear)]
    linears = [m for m in order if isinstance(m, nn.Linear)]
    pairs = [linears[i:i + 2] for i in range(0, len(linears), 2)]
    pairs.sort(key=lambda pair: (pair[0].in_features, pair[0].out_features))
    return trunk + [m for pair in pairs for m in pair], unused


def plan_signatures(modules: list[nn.Module]) -> list[str]:
    """Signatures of a plan's modules."""
    return [signature(m) for m in modules]


def plan_weights(modules: list[nn.Module]) -> dict[str, torch.Tensor]:
    """A plan's parameters as ``{"w_003_1": tensor}`` (module 3, its second own parameter)."""
    weights = {}
    for i, module in enumerate(modules):
        for j, (_, param) in enumerate(module.named_parameters(recurse=False)):
            weights[f"w_{i:03d}_{j}"] = param.detach().clone()
    return weights


def load_plan_weights(modules: list[nn.Module], weights: dict[str, torch.Tensor]) -> None:
    """Copy ``weights`` (from :func:`plan_weights` of an equal plan) into ``modules``' parameters."""
    with torch.no_grad():
        for i, module in enumerate(modules):
            for j, (_, param) in enumerate(module.named_parameters(recurse=False)):
                source = weights[f"w_{i:03d}_{j}"]
                if source.shape != param.shape:
                    raise ValueError(f"layer {i} ({signature(module)}) parameter {j}: shape {list(param.shape)} vs {list(source.shape)}")
                param.copy_(source.to(param.device, param.dtype))


def layer_counts(model: nn.Module) -> dict[str, int]:
    """How many layers of each kind ``model`` holds (GELU, AvgPool2d and the parametric kinds)."""
    counts: dict[str, int] = {}
    for module in model.modules():
        if isinstance(module, STRUCTURAL):
            counts[type(module).__name__] = counts.get(type(module).__name__, 0) + 1
    return counts
