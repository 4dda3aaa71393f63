"""What crosses the sandbox boundary, on the grader's side: the limits a group runs under, the task sent in, and
the records read back (safetensors files with JSON metadata; nothing is unpickled, a forged or corrupt file is
just a failed record).
"""

from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from autograder import config
from autograder.child.protocol import MAX_RECORD_FILE_BYTES as MAX_RECORD_FILE

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,80}\.safetensors$")
#: Characters kept of any string in a record's metadata. The child trims its own error texts (600 characters plus
#: the line they point at), but a submission can write a record file itself: what it says reaches the feedback
#: only this far.
MAX_META_STRING = 2000


@dataclass(frozen=True)
class Limits:
    """Resource limits for one child: wall time of the group and of each probe call (s), extra address space
    (MiB), processes, file size (MiB)."""

    timeout_s: float = 60.0
    case_s: float | None = config.CALL_LIMIT_S
    memory_mb: int | None = config.MEMORY_MB
    nproc: int = 256
    file_mb: int = 128
    threads: int = 1


@dataclass
class Record:
    """One probe output: plain CPU tensors and JSON metadata."""

    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The student error this record carries, if any."""
        return self.meta.get("error")


@dataclass
class ChildRun:
    """What came back from one child: its records and how it ended."""

    records: dict[str, Record] = field(default_factory=dict)
    returncode: int | None = None
    timed_out: bool = False
    wall_s: float = 0.0
    stdout_head: str = ""
    #: the probe call that was running when the child stopped (from its journal), if it stopped mid-call
    unfinished: str | None = None
    #: the call stopped for running past its own time limit, if that is why the child was stopped
    case_timed_out: str | None = None
    case_limit_s: float | None = None
    #: probe calls left out of a re-run because an earlier run stopped in them: ``{case key: why}``
    not_run: dict[str, str] = field(default_factory=dict)

    def not_run_reason(self, record_key: str) -> str | None:
        """Why the probe call ``record_key`` was left out of a re-run, or None."""
        return next((why for case, why in self.not_run.items() if belongs_to_case(record_key, case)), None)

    @property
    def finished(self) -> bool:
        """Whether the probe ran to its end (a ``_done`` record)."""
        return "_done" in self.records

    def ending(self) -> str:
        """A sentence on how the child ended, for feedback when records are missing."""
        if self.case_timed_out:
            return (f"this call was stopped after its time limit ({self.case_limit_s:.0f} s; the reference takes under a "
                    "second): an infinite loop or very slow code?")
        if self.timed_out:
            return f"the test group was stopped after its time limit ({self.wall_s:.0f} s): an infinite loop or very slow code?"
        if "_load" not in self.records:
            return f"your code ended the grading process while it was being loaded (exit status {self.returncode}): sys.exit/os._exit at the top level, or a crash"
        if self.returncode == 0 and not self.finished:
            return "your code ended the grading process during this call (os._exit or sys.exit inside a function?)"
        if self.returncode == 0:
            return "the probe finished"
        if self.returncode is not None and self.returncode < 0:
            name = signal.Signals(-self.returncode).name if -self.returncode in signal.Signals._value2member_map_ else str(-self.returncode)
            return f"the grading process was killed by {name} (memory limit exceeded or a crash in native code?)"
        return f"the grading process ended early with exit status {self.returncode} (os._exit, sys.exit, or running out of memory?)"


def belongs_to_case(record_key: str, case_key: str) -> bool:
    """Whether a probe call's record belongs to a spec case (a case writes ``KEY`` or ``KEY_suffix``)."""
    return record_key == case_key or record_key.startswith(case_key + "_")


@dataclass
class GroupTask:
    """One test group to run: its probe, the probe's spec and inputs, and its limits."""

    name: str
    probe_module: str
    probe: str
    spec: dict[str, Any]
    inputs: dict[str, torch.Tensor]
    limits: Limits
    statements: list[dict[str, Any]] = field(default_factory=list)


def _head(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _read_records(out: Path) -> dict[str, Record]:
    records: dict[str, Record] = {}
    try:
        entries = list(os.scandir(out))
    except OSError:
        return records
    for entry in entries[:500]:
        if not _KEY.match(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        key = entry.name[: -len(".safetensors")]
        try:
            if entry.stat(follow_symlinks=False).st_size > MAX_RECORD_FILE:
                raise ValueError("record too large")
            with safe_open(entry.path, framework="pt") as handle:
                meta_text = (handle.metadata() or {}).get("json", "{}")
                meta = json.loads(meta_text)
                if not isinstance(meta, dict):
                    raise ValueError("metadata is not an object")
                meta = _capped(meta)
                tensors = {name: handle.get_tensor(name) for name in handle.keys()}
            records[key] = Record(tensors=tensors, meta=meta)
        except Exception as error:  # a corrupt or forged file is just a failed record
            records[key] = Record(tensors={}, meta={"error": f"unreadable output ({type(error).__name__})"})
    return records


def _capped(value: Any) -> Any:
    """``value`` (parsed JSON) with every string cut to :data:`MAX_META_STRING` characters."""
    if isinstance(value, str):
        return value if len(value) <= MAX_META_STRING else value[:MAX_META_STRING] + " [cut by the grader]"
    if isinstance(value, dict):
        return {_capped(k): _capped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(v) for v in value]
    return value
