"""Outputs of a probe, written as data-only files (safetensors) that the grader reads back.

Each record is one file ``out/<key>.safetensors``: plain CPU tensors plus a JSON string in the safetensors
metadata. Nothing is pickled. A student exception inside a probe becomes a record with an ``error`` entry,
so one failing call costs only the tests that read that record.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from protocol import JOURNAL_FILE, MAX_RECORD_BYTES, SUBMISSION_FILENAME
from safetensors.torch import save_file


class Recorder:
    """Writes records into ``out_dir`` as they are produced (a later crash keeps the earlier ones)."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def save(self, key: str, tensors: dict[str, Any] | None = None, meta: dict[str, Any] | None = None) -> None:
        """Write one record. Non-tensor values in ``tensors`` are reported in ``meta['bad_outputs']``."""
        plain: dict[str, torch.Tensor] = {}
        meta = dict(meta or {})
        bad: dict[str, str] = {}
        total = 0
        for name, value in (tensors or {}).items():
            tensor, problem = plain_tensor(value)
            if problem:
                bad[name] = problem
                continue
            total += tensor.numel() * tensor.element_size()
            if total > MAX_RECORD_BYTES:
                bad[name] = "output too large to return"
                continue
            plain[name] = tensor
        if bad:
            meta["bad_outputs"] = bad
        tmp = self.out_dir / f".{key}.tmp"
        save_file(plain, str(tmp), metadata={"json": json.dumps(meta, default=str)})
        os.replace(tmp, self.out_dir / f"{key}.safetensors")

    def journal(self, event: str, key: str) -> None:
        """Append ``event KEY`` to the group's journal (``start`` before a call, ``end`` after its record)."""
        fd = os.open(self.out_dir / JOURNAL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{event} {key}\n".encode())
        finally:
            os.close(fd)

    def run(self, key: str, fn: Callable[[], tuple[dict[str, Any], dict[str, Any]]]) -> bool:
        """Call ``fn() -> (tensors, meta)`` and save its record, or the student error it raised."""
        self.journal("start", key)
        try:
            tensors, meta = fn()
        except BaseException as error:  # student code may raise anything, SystemExit included
            if isinstance(error, KeyboardInterrupt):
                raise
            self.save(key, meta={"error": describe_error(error)})
            self.journal("end", key)
            return False
        self.save(key, tensors, meta)
        self.journal("end", key)
        return True


def plain_tensor(value: Any) -> tuple[torch.Tensor | None, str | None]:
    """A detached, contiguous CPU copy of ``value`` as a plain ``torch.Tensor``, or ``(None, why)``.

    Tensor subclasses are stripped (their ``__torch_function__`` is bypassed); numpy arrays are accepted
    (the older convention of the course returns images as numpy) and flagged in the record's metadata by
    the probe that returns them.
    """
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            if value.dtype == object:
                return None, "numpy array of Python objects"
            return torch.from_numpy(np.ascontiguousarray(value).copy()), None
        if not isinstance(value, torch.Tensor):
            return None, f"expected a tensor, got {type(value).__name__}"
        with torch._C.DisableTorchFunctionSubclass():
            base = torch.Tensor._make_subclass(torch.Tensor, value.detach()) if type(value) is not torch.Tensor else value.detach()
            if base.is_complex() or base.dtype == torch.bool or not base.is_floating_point():
                base = base.clone()
            return base.to("cpu").contiguous().clone(), None
    except Exception as error:  # a hostile object can fail anywhere here
        return None, f"could not read the output ({type(error).__name__}: {error})"


def describe_error(error: BaseException, with_location: bool = True) -> str:
    """``Type: message`` plus where in the submission it happened, trimmed for feedback.

    The location is the innermost frame of the student's own code: the cell (``code cell 12``, counted as Jupyter
    and Colab number code cells), the line within it, the function, and that line's text. A call whose parameter
    list does not fit the assignment's (``SignatureMismatch``) is one plain sentence.
    """
    kind = type(error).__name__
    if kind == "SignatureMismatch":
        return str(error)[:600]
    text = f"{kind}: {error}"[:600]
    if not with_location:
        return text
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(SUBMISSION_FILENAME)]
    if frames:
        last = frames[-1]
        where = last.filename[len(SUBMISSION_FILENAME):].strip(":") or "your code"
        function = "" if last.name == "<module>" else f", in {last.name}"
        line = (last.line or "").strip()[:160]
        text += f"\n  at {where}, line {last.lineno}{function}" + (f": {line}" if line else "")
    return text
