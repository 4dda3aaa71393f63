"""Calling a student's sampler or module the way the autograder does: however its parameters are named and
whichever optional ones it has, and reading its images whatever it returns alongside them.

The course's starters differ from the kit's notebooks here (no ``num_samples``, ``(images, caches)`` with the
snapshots stacked into one tensor, or the images alone), and the autograder accepts all of these: so do the
checks.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import torch

from .registry import _expect, _shape


def _call(fn: Callable, positional: list, optional: list[tuple[str, Any]], by_position: bool = True
          ) -> tuple[Any, set[str]]:
    """``fn(*positional, ...)`` with each optional argument passed by its name when ``fn`` has that parameter (or
    ``**kwargs``), else (``by_position``) in its position when ``fn`` takes one more positional argument there, else
    left out. A keyword ``fn`` passes on to a function that has no such parameter is dropped and the call made
    again. Returns the output and the names of the optional arguments passed."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn(*positional, *(value for _, value in optional)), {name for name, _ in optional}
    kinds = inspect.Parameter
    names = {p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)}
    var_kw = any(p.kind == kinds.VAR_KEYWORD for p in params)
    var_pos = any(p.kind == kinds.VAR_POSITIONAL for p in params)
    slots = sum(p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD) for p in params)
    args, kwargs, passed = list(positional), {}, set()
    for name, value in optional:
        if name in names or var_kw:
            kwargs[name] = value
        elif by_position and not kwargs and (len(args) < slots or var_pos):
            args.append(value)
        else:
            continue
        passed.add(name)
    while True:
        try:
            return fn(*args, **kwargs), passed
        except TypeError as error:  # **kwargs handed on to a function without that parameter
            unknown = re.search(r"unexpected keyword argument '(\w+)'", str(error))
            if not unknown or unknown.group(1) not in kwargs or unknown.group(1) in names:
                raise
            del kwargs[unknown.group(1)]
            passed.discard(unknown.group(1))


def _images_of(out: Any) -> torch.Tensor:
    """The images of a sampler's output: the output itself, or the first item of ``(images, frames)`` (frames
    a list, a stacked tensor or anything else: the GIF is the notebook's business)."""
    images = out[0] if isinstance(out, (tuple, list)) and len(out) > 0 else out
    _expect(torch.is_tensor(images), f"should return the images (a tensor) or (images, frames), got {_shape(out)}")
    return images


def _sample_count(images: torch.Tensor, asked: int, passed: set[str]) -> int:
    """How many images a sampler should have returned: ``asked`` when ``num_samples`` was passed, else any number."""
    return asked if "num_samples" in passed or images.dim() != 4 else images.shape[0]
