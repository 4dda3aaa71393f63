"""The grading pipeline: load → plan each group → run it in its own sandbox → check → score → report.

:func:`grade` never raises for a bad submission: every problem becomes failed tests with feedback and notes
at the top of the results. Groups run concurrently (``jobs`` children at a time); each child gets one
thread, so ``jobs`` should not exceed the cores.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from autograder import config, sandbox
from autograder.groups import all_groups, part_b_version
from autograder.groups.base import Group
from autograder.results import GradeReport, TestResult
from autograder.submission import Submission, load_submission

GRADER_SEED = config.GRADER_SEED


@dataclass(frozen=True)
class Options:
    """How to grade: which part, device policy, public tests only, parallel children, time-limit scale."""

    part: str = "all"
    gpu: str = "auto"
    public_only: bool = False
    jobs: int = 0
    timeout_scale: float = 1.0
    memory_mb: int = config.MEMORY_MB
    only_names: frozenset[str] | None = None
    #: added to the per-group user ids, so that graders running side by side (grade-all's workers) never share a user
    uid_offset: int = 0
    #: Part B's version: "ddpm", "flow" or "auto" (by the names each submission defines, docs/spec.md §2.6)
    part_b: str = "auto"


def grade(path: str | Path, options: Options = Options()) -> GradeReport:
    """Grade the submission at ``path``; returns the report (write it with :func:`results.write_results`)."""
    return grade_many([path], options)[0]


def grade_many(paths: list[str | Path], options: Options = Options(),
               only_names: list[frozenset[str] | None] | None = None) -> list[GradeReport]:
    """Grade several submissions in one sandbox (the expensive imports are shared; each group of each
    submission still runs in its own forked child). ``only_names[i]`` restricts submission ``i``'s groups
    to those whose tests check one of these names (``validate`` uses it for code a patch cannot reach).
    """
    start = time.monotonic()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the children use the cores; tiny reference ops are fastest single-threaded
    try:
        device, device_note = _device(options.gpu)
        jobs = options.jobs or max(1, min(config.MAX_JOBS, os.cpu_count() or 1))
        prepared = []
        tasks: list[sandbox.GroupTask] = []
        for index, path in enumerate(paths):
            only = only_names[index] if only_names else options.only_names
            item = _plan_submission(index, path, options, only)
            prepared.append(item)
            tasks += item[3]
        try:
            runs = sandbox.run_batch(tasks, device, "float32", GRADER_SEED, jobs, options.uid_offset) if tasks else {}
        except Exception:
            runs = {t.name: f"internal grader error while running the sandbox: {traceback.format_exc(limit=2)}" for t in tasks}
        reports = [_finish(item, runs, device, device_note, options) for item in prepared]
        if len(reports) == 1:
            reports[0].wall_s = time.monotonic() - start
        return reports
    finally:
        torch.set_num_threads(threads)


def _plan_submission(index: int, path: str | Path, options: Options, only: frozenset[str] | None):
    """Load one submission and plan its groups: ``(submission, groups, early outcomes, tasks, index)``."""
    submission = load_submission(path)
    version = part_b_version(submission.defined_names, options.part_b)
    groups = all_groups(options.part, gpu=_device(options.gpu)[0] == "cuda", part_b=version)
    if only is not None:  # validate: skip groups no changed code can reach
        groups = [g for g in groups if {tag for t in g.tests for tag in t.tags} & only]
    early: dict[str, Any] = {}
    tasks = []
    defined = submission.defined_names
    for group in sorted(groups, key=lambda g: -g.timeout_s):  # slowest first
        needed = {tag for test in group.tests for tag in test.tags}
        if not submission.statements or not (needed & defined):
            early[group.name] = "skipped"
            continue
        try:
            spec, inputs = _cached_plan(group)
        except Exception:  # a bug in the grader itself: reported, not raised
            early[group.name] = f"internal grader error while preparing {group.name}: {traceback.format_exc(limit=2)}"
            continue
        limits = sandbox.Limits(timeout_s=group.timeout_s * options.timeout_scale, memory_mb=options.memory_mb,
                                case_s=max(config.CALL_LIMIT_FLOOR_S,
                                           config.CALL_LIMITS_S.get(group.name, config.CALL_LIMIT_S) * options.timeout_scale))
        tasks.append(sandbox.GroupTask(f"s{index}-{group.name}", group.probe_module, group.probe, spec, inputs, limits,
                                       submission.payload()))
    return submission, groups, early, tasks, index, version


def _finish(item, runs: dict[str, Any], device: str, device_note: str, options: Options) -> GradeReport:
    submission, groups, early, _, index, version = item
    report = GradeReport()
    report.notes += [f"Graded on {device} ({sandbox.isolation_mode()} isolation)."]
    if version == "flow" and options.part in ("b", "all"):
        report.notes.append("Part B graded as the flow-matching version (time_fm_forward, …, FlowMatching).")
    if device_note:
        report.notes.append(device_note)
    report.notes += [f"Problem: {p}" for p in submission.problems]
    if submission.skipped:
        shown = "; ".join(submission.skipped[:6])
        more = f" (and {len(submission.skipped) - 6} more)" if len(submission.skipped) > 6 else ""
        report.notes.append(f"Not run by the grader: {shown}{more}.")
    load_errors: dict[str, str] = {}
    not_run: dict[str, str] = {}
    for group in groups:
        run = early.get(group.name) or runs.get(f"s{index}-{group.name}")
        report.tests += _score_group(group, run, submission, options)
        if isinstance(run, sandbox.ChildRun) and "_load" in run.records:
            load_errors.update(run.records["_load"].meta.get("errors", {}))
            not_run.update(run.records["_load"].meta.get("not_run", {}))
    report.wall_s = sum(r.wall_s for r in runs_of(runs, index) if isinstance(r, sandbox.ChildRun))
    if not_run:
        shown = "; ".join(f"{origin} ({error.splitlines()[0][:120]})" for origin, error in list(not_run.items())[:6])
        more = f" (and {len(not_run) - 6} more)" if len(not_run) > 6 else ""
        report.notes.append(f"Top-level lines not run while grading (harmless unless your functions need them): {shown}{more}.")
    for origin, error in list(load_errors.items())[:8]:
        report.notes.append(f"Error while defining your code at {origin}: {error}")
    if options.public_only:
        report.tests = [t for t in report.tests if t.public]
    return report


def runs_of(runs: dict[str, Any], index: int) -> list[Any]:
    """The runs of submission ``index`` in a batch."""
    return [run for name, run in runs.items() if name.startswith(f"s{index}-")]


def _device(policy: str) -> tuple[str, str]:
    available = torch.cuda.is_available()
    if policy == "on" and not available:
        return "cpu", "--gpu on was requested but no CUDA device is available; graded on the CPU."
    return ("cuda" if available and policy in ("on", "auto") else "cpu"), ""


_PLANS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}


def _cached_plan(group: Group) -> tuple[dict[str, Any], dict[str, Any]]:
    """``group.plan()``, computed once per process: the reference's expectations are deterministic. Groups of the same
    name in Part B's two versions (the GPU group) plan differently, so the version is part of the key."""
    key = (group.part, group.name, getattr(group, "version", ""))
    if key not in _PLANS:
        spec, inputs = group.plan()
        _PLANS[key] = (spec, inputs, dict(group.expected))
    spec, inputs, expected = _PLANS[key]
    group.expected = dict(expected)
    return spec, inputs


def _score_group(group: Group, run: Any, submission: Submission, options: Options) -> list[TestResult]:
    if isinstance(run, sandbox.ChildRun):
        try:
            with torch.no_grad():
                outcome = group.check(run)
        except Exception as error:  # grader bug or data it did not foresee: never a traceback
            outcome = {t.name: (0.0, f"the grader could not check this result ({type(error).__name__}: {error})") for t in group.tests}
        if run.stdout_head.strip() and not run.timed_out:
            tail = f"\n--- your code printed (first lines) ---\n{run.stdout_head[:600]}"
        else:
            tail = ""
    else:
        missing = sorted({tag for t in group.tests for tag in t.tags} - submission.defined_names)
        reason = run if isinstance(run, str) and run != "skipped" else (
            f"{', '.join(missing)} not defined in the submission" if missing else "no gradable code in the submission")
        outcome = {t.name: (0.0, reason) for t in group.tests}
        tail = ""
    results = []
    for test in group.tests:
        fraction, message = outcome.get(test.name, (0.0, "not checked"))
        fraction = float(fraction) if fraction == fraction else 0.0
        results.append(TestResult(
            name=test.name, max_score=test.weight, passed=fraction >= 1.0, score=test.weight * max(0.0, min(1.0, fraction)),
            output=message + (tail if fraction < 1.0 else ""), tags=list(test.tags), public=test.public, group=group.name,
        ))
    return results
