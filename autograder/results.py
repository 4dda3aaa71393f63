"""Test outcomes, the Gradescope ``results.json`` writer and the terminal table.

Gradescope's format: top-level ``score``, ``max_score``, ``output``, ``tests[]``; each test has ``name``,
``score``, ``max_score``, ``status`` (``passed``/``failed``), ``output`` (the feedback), ``visibility`` and
``tags`` (the SPEC §2 names it checks).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VISIBLE = "visible"
HIDDEN = "after_published"


@dataclass
class TestResult:
    """The outcome of one weighted test."""

    __test__ = False  # not a pytest class

    name: str
    max_score: float
    passed: bool
    output: str
    tags: list[str]
    public: bool = True
    score: float | None = None
    group: str = ""

    def __post_init__(self) -> None:
        if self.score is None:
            self.score = self.max_score if self.passed else 0.0
        if not math.isfinite(self.score):
            self.score = 0.0
        self.score = float(min(max(self.score, 0.0), self.max_score))

    def as_gradescope(self) -> dict[str, Any]:
        """This test as a Gradescope ``tests[]`` entry."""
        return {
            "name": self.name,
            "score": round(self.score, 4),
            "max_score": self.max_score,
            "status": "passed" if self.passed else "failed",
            "output": self.output,
            "visibility": VISIBLE if self.public else HIDDEN,
            "tags": list(self.tags),
        }


@dataclass
class GradeReport:
    """All tests of one grading run plus the notes shown above them."""

    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def score(self) -> float:
        """Sum of the tests' scores."""
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self) -> float:
        """Sum of the tests' maximum scores."""
        return float(sum(t.max_score for t in self.tests))

    def as_gradescope(self) -> dict[str, Any]:
        """The whole report in Gradescope's ``results.json`` form."""
        return {
            "score": round(self.score, 4),
            "max_score": self.max_score,
            "output": "\n".join(self.notes) if self.notes else "Graded.",
            "execution_time": round(self.wall_s, 2),
            "tests": [t.as_gradescope() for t in self.tests],
        }


def write_results(report: GradeReport, path: str | Path) -> None:
    """Write ``results.json`` atomically (a partially written file is never left behind)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(report.as_gradescope(), out, indent=2)
    os.replace(tmp, path)


def validate_results(data: Any) -> list[str]:
    """Problems with a parsed ``results.json`` (empty when it follows the format)."""
    problems = []
    if not isinstance(data, dict):
        return ["not a JSON object"]
    for key, kind in (("score", (int, float)), ("tests", list)):
        if not isinstance(data.get(key), kind):
            problems.append(f"missing or wrong {key!r}")
    for i, test in enumerate(data.get("tests") or []):
        for key in ("name", "score", "max_score", "status", "output", "visibility", "tags"):
            if key not in test:
                problems.append(f"tests[{i}] lacks {key!r}")
        if test.get("status") not in ("passed", "failed"):
            problems.append(f"tests[{i}] has status {test.get('status')!r}")
        if isinstance(test.get("score"), (int, float)) and test["score"] > test.get("max_score", 0) + 1e-9:
            problems.append(f"tests[{i}] scores above its maximum")
    return problems


def format_table(report: GradeReport, width: int = 100) -> str:
    """A readable terminal table: one line per test, then the total."""
    lines = [f"{'test':<52} {'score':>11}  status  feedback", "-" * width]
    for test in report.tests:
        first = (test.output.splitlines() or [""])[0]
        mark = "ok" if test.passed else "FAIL"
        visibility = "" if test.public else " (hidden)"
        name = (test.name + visibility)[:52]
        room = max(10, width - 76)
        lines.append(f"{name:<52} {test.score:>5.1f}/{test.max_score:<5.1f}  {mark:<6}  {first[:room]}")
    lines.append("-" * width)
    lines.append(f"{'total':<52} {report.score:>5.1f}/{report.max_score:<5.1f}  ({report.wall_s:.1f} s)")
    return "\n".join(lines)


def merge_results(parts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One ``results.json`` from several graded files (e.g. a student's Part A and Part B notebooks).

    ``parts`` pairs a label (shown above that file's notes) with its parsed results. Scores and tests add up.
    """
    merged: dict[str, Any] = {"score": 0.0, "max_score": 0.0, "output": "", "execution_time": 0.0, "tests": []}
    outputs = []
    for label, data in parts:
        merged["score"] += float(data.get("score", 0.0))
        merged["max_score"] += float(data.get("max_score", sum(t.get("max_score", 0.0) for t in data.get("tests", []))))
        merged["execution_time"] += float(data.get("execution_time", 0.0))
        merged["tests"] += data.get("tests", [])
        outputs.append(f"{label}:\n{data.get('output', '')}")
    merged["score"] = round(merged["score"], 4)
    merged["execution_time"] = round(merged["execution_time"], 2)
    merged["output"] = "\n\n".join(outputs)
    return merged
