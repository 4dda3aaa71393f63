"""``OUTDIR/grades.csv``: one row per student, in the plain form spreadsheets and LMS grade imports read.

Columns: ``id``, ``name``, ``email``, ``total``, ``max``, then one column per test (its score, in the order of
``python -m autograder list``; blank when the test was not run for that student), then ``status`` (``graded``,
``missing``: no notebook found, ``error``: the grader failed, and the total is left blank) and ``notes``
(files left out, identical submissions, the grader's error). A Gradescope group submission gives one row per
submitter, with the same id and scores.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.classroom.engine import ERROR, FILE_MODE, current_ids, known_groups, read_json, read_metas, results_path

FIXED = ("id", "name", "email", "total", "max")


@dataclass
class Row:
    """One submission's results and metadata, as read back from ``OUTDIR/results``."""

    id: str
    status: str
    results: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def submitters(self) -> list[dict[str, str]]:
        """The students behind it (at least one row, nameless when unknown)."""
        return list(self.meta.get("submitters") or []) or [{"name": "", "email": "", "sid": ""}]

    @property
    def tests(self) -> list[dict[str, Any]]:
        """Its tests (Gradescope's ``tests[]``)."""
        return list(self.results.get("tests") or [])


def load_rows(outdir: Path) -> list[Row]:
    """Every submission of ``outdir`` with results (only those its ``inputs.json`` lists, when it lists them)."""
    ids = current_ids(outdir)
    rows = []
    for entry_id, meta in read_metas(outdir).items():
        if ids is not None and entry_id not in ids:
            continue
        results = read_json(results_path(outdir, entry_id))
        if isinstance(results, dict):
            rows.append(Row(entry_id, str(meta.get("status", "")), results, meta))
    return sorted(rows, key=lambda r: r.id)


def test_order(rows: list[Row]) -> list[str]:
    """Test names in the grader's report order, then any others (e.g. from another grader version) by name."""
    canonical = [test.name for group in known_groups() for test in group.tests]
    seen = {t["name"] for row in rows for t in row.tests if "name" in t}
    return [name for name in canonical if name in seen] + sorted(seen - set(canonical))


def write_gradebook(outdir: Path) -> Path:
    """Write ``OUTDIR/grades.csv`` (atomically) and return its path."""
    rows = load_rows(outdir)
    tests = test_order(rows)
    path = outdir / "grades.csv"
    handle, tmp = tempfile.mkstemp(dir=outdir, prefix=".grades-", suffix=".csv")
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*FIXED, *tests, "status", "notes"])
        for row in rows:
            scores = {t.get("name"): t.get("score") for t in row.tests}
            total = "" if row.status == ERROR else _number(row.results.get("score", 0.0))
            notes = list(row.meta.get("notes") or [])
            if row.meta.get("error"):
                notes.append(f"grader error: {row.meta['error']}")
            for person in row.submitters:
                writer.writerow([row.id, person.get("name", ""), person.get("email", ""), total,
                                 _number(row.results.get("max_score", "")),
                                 *[_number(scores[name]) if name in scores else "" for name in tests],
                                 row.status, "; ".join(notes)])
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    return path


def _number(value: Any) -> str:
    """``12``, ``12.5``, ``0.3333``: at most 4 decimals, no trailing zeros; text as is."""
    if isinstance(value, (int, float)):
        return f"{float(value):.4f}".rstrip("0").rstrip(".")
    return str(value)
