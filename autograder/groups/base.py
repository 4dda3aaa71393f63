"""The shape of a test group: what to run in the child, and the weighted tests checked from its records.

A :class:`Group` holds one sandboxed run. :meth:`Group.plan` returns the probe's JSON spec and input tensors
(and keeps, on the grader's side, the reference's expected values); :meth:`Group.check` turns the child's
records into per-test outcomes ``(fraction of the weight earned, feedback)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from autograder.sandbox import ChildRun, Record


@dataclass(frozen=True)
class TestSpec:
    """A weighted test: its name, points, the SPEC §2 names it checks, and whether students see it."""

    __test__ = False  # not a pytest class

    name: str
    weight: float
    tags: tuple[str, ...]
    public: bool = True


@dataclass
class Group:
    """Base class of a test group (one child process). Subclasses set the class attributes and methods."""

    name: str = ""
    part: str = "b"
    probe_module: str = ""
    probe: str = ""
    timeout_s: float = 60.0
    tests: tuple[TestSpec, ...] = ()
    expected: dict[str, Any] = field(default_factory=dict)

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """The probe's spec and inputs; store what the checks need in ``self.expected``."""
        raise NotImplementedError

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        """``{test name: (fraction earned in [0, 1], feedback)}`` from the child's records."""
        raise NotImplementedError


def record_or_reason(run: ChildRun, key: str) -> tuple[Record | None, str]:
    """The record ``key``, or ``(None, why it is missing)`` — a student error or how the child ended."""
    record = run.records.get(key)
    if record is None:
        return None, run.not_run_reason(key) or f"no result: {run.ending()}"
    if record.meta.get("stopped"):
        return None, str(record.error)
    if record.error:
        return None, f"your code raised {record.error}"
    return record, ""
