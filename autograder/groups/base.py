"""The shape of a test group: what to run in the child, and the weighted tests checked from its records.

A :class:`Group` holds one sandboxed run of one probe (``probe_ref``, a :class:`~autograder.child.cases.Probe`).
A subclass's :meth:`Group.plan_spec` builds the probe's typed spec (:mod:`autograder.child.cases`) and its input
tensors, and keeps, on the grader's side, the reference's expected values in ``self.expected`` (record key → a
small typed dataclass); :meth:`Group.plan` turns the spec into the JSON that crosses into the sandbox;
:meth:`Group.check` turns the child's records into per-test outcomes ``(fraction of the weight earned, feedback)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch

from autograder.child.cases import Probe, Spec
from autograder.sandbox import ChildRun, Record

E = TypeVar("E")


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
    probe_ref: Probe | None = None
    timeout_s: float = 60.0
    tests: tuple[TestSpec, ...] = ()
    #: what the checks need, by record key (kept per process with the plan: see ``grading._cached_plan``)
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def probe_module(self) -> str:
        """The child's flat module that holds the probe."""
        return self._probe().module

    @property
    def probe(self) -> str:
        """The probe function's name in :attr:`probe_module`."""
        return self._probe().function

    def _probe(self) -> Probe:
        if self.probe_ref is None:
            raise TypeError(f"group {self.name!r} names no probe (probe_ref)")
        return self.probe_ref

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """The probe's spec as JSON (what crosses into the sandbox) and its input tensors, from :meth:`plan_spec`."""
        spec, inputs = self.plan_spec()
        if not isinstance(spec, self._probe().spec_type):
            raise TypeError(f"{self.name}: {self.probe} receives {self._probe().spec_type.__name__}, "
                            f"the plan built {type(spec).__name__}")
        return spec.to_json(), inputs

    def plan_spec(self) -> tuple[Spec, dict[str, torch.Tensor]]:
        """The probe's typed spec and its input tensors; store what the checks need in ``self.expected``."""
        raise NotImplementedError

    def expected_of(self, kind: type[E]) -> dict[str, E]:
        """The expectations that are ``kind``s, by record key, in the order the plan made them."""
        return {key: want for key, want in self.expected.items() if isinstance(want, kind)}

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        """``{test name: (fraction earned in [0, 1], feedback)}`` from the child's records."""
        raise NotImplementedError


#: The words of call_binding.SignatureMismatch's message (the child's module is not imported here).
SIGNATURE_MISMATCH = "cannot be called as the assignment's"


def record_or_reason(run: ChildRun, key: str) -> tuple[Record | None, str]:
    """The record ``key``, or ``(None, why it is missing)`` — a student error or how the child ended."""
    record = run.records.get(key)
    if record is None:
        return None, run.not_run_reason(key) or f"no result: {run.ending()}"
    if record.meta.get("stopped"):
        return None, str(record.error)
    if record.error:
        if SIGNATURE_MISMATCH in str(record.error):
            return None, str(record.error)  # the parameter list does not fit: one plain sentence, nothing was raised
        return None, f"your code raised {record.error}"
    return record, ""
