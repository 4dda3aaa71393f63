"""Record the Gaussian noise a submission draws, however it draws it.

While :func:`recording` is active, every tensor produced by ``torch.randn``, ``torch.randn_like``,
``torch.normal`` and ``Tensor.normal_`` is copied into a list. The grader's process then checks a
submission's outputs against the formula *for the noise it actually drew* — so ``randn_like(x)`` vs
``randn(x.shape)``, noise drawn before or after the UNet call, and a seeded generator vs the global RNG all
grade the same.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import torch

MAX_DRAWS = 4096
MAX_DRAW_ELEMENTS = 2_000_000

_draws: list[torch.Tensor] | None = None
_installed = False


def install() -> None:
    """Wrap torch's Gaussian samplers once (idempotent). Call before running the submission's code."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in ("randn", "randn_like", "normal"):
        setattr(torch, name, _tapped(getattr(torch, name)))
    torch.Tensor.normal_ = _tapped(torch.Tensor.normal_)


@contextlib.contextmanager
def recording() -> Iterator[list[torch.Tensor]]:
    """Collect the Gaussian draws made inside the block (float32 CPU copies, in draw order)."""
    global _draws
    previous, _draws = _draws, []
    try:
        yield _draws
    finally:
        _draws = previous


def stack_draws(draws: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Draws as ``{"draw_000": tensor, ...}`` for a record."""
    return {f"draw_{i:03d}": d for i, d in enumerate(draws)}


def _tapped(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        draws = _draws
        if draws is not None and isinstance(out, torch.Tensor) and len(draws) < MAX_DRAWS:
            if out.numel() <= MAX_DRAW_ELEMENTS:
                with torch._C.DisableTorchFunctionSubclass():
                    draws.append(out.detach().to("cpu", torch.float32).clone())
        return out

    return wrapper
