"""Make notebook-style device and dtype casts work on the grader's own device and dtype.

Course notebooks write ``.to("cuda")``, ``.cuda()``, ``device="cuda"`` and ``.half()`` for DeepFloyd on a
GPU. When the grader runs on a CPU (or in float32), these casts are redirected to the grader's device and
dtype, so a correct submission is graded on what it computes, not on where it was written to run.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

_FACTORIES = (
    "randn", "randn_like", "rand", "rand_like", "randint", "zeros", "zeros_like", "ones", "ones_like",
    "full", "full_like", "empty", "empty_like", "arange", "linspace", "tensor", "as_tensor", "eye",
)


def install(device: str, dtype: torch.dtype) -> None:
    """Redirect CUDA casts to ``device`` when CUDA is absent, and ``.half()`` to ``dtype`` when it is float32."""
    target = torch.device(device)
    redirect_cuda = target.type != "cuda"
    redirect_half = dtype == torch.float32

    def fix_device(value: Any) -> Any:
        if redirect_cuda and isinstance(value, (str, torch.device)) and str(value).startswith("cuda"):
            return target
        return value

    def fix_dtype(value: Any) -> Any:
        if redirect_half and isinstance(value, torch.dtype) and value in (torch.float16, torch.bfloat16):
            return dtype
        return value

    def fix_args(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        args = tuple(fix_dtype(fix_device(a)) for a in args)
        if "device" in kwargs:
            kwargs["device"] = fix_device(kwargs["device"])
        if "dtype" in kwargs:
            kwargs["dtype"] = fix_dtype(kwargs["dtype"])
        return args, kwargs

    def wrap_to(fn: Any) -> Any:
        @functools.wraps(fn)
        def to(self: Any, *args: Any, **kwargs: Any) -> Any:
            args, kwargs = fix_args(args, kwargs)
            return fn(self, *args, **kwargs)

        return to

    def wrap_factory(fn: Any) -> Any:
        @functools.wraps(fn)
        def factory(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = fix_args(args, kwargs)
            return fn(*args, **kwargs)

        return factory

    torch.Tensor.to = wrap_to(torch.Tensor.to)
    torch.nn.Module.to = wrap_to(torch.nn.Module.to)
    for name in _FACTORIES:
        setattr(torch, name, wrap_factory(getattr(torch, name)))
    if redirect_cuda:
        torch.Tensor.cuda = lambda self, *a, **k: torch.Tensor.to(self, target)
        torch.nn.Module.cuda = lambda self, *a, **k: torch.nn.Module.to(self, target)
    if redirect_half:
        torch.Tensor.half = lambda self, *a, **k: torch.Tensor.to(self, dtype)
        torch.nn.Module.half = lambda self: torch.nn.Module.to(self, dtype)
        torch.Tensor.bfloat16 = lambda self, *a, **k: torch.Tensor.to(self, dtype)
