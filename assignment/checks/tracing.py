"""Layer tracing for the model checks: :class:`_Trace` records which layers a forward pass runs, in order, with
copies of their inputs and outputs; :func:`_max_diff` compares tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


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
