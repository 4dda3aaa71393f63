"""``python -m autograder validate``: evidence that the grader grades fairly.

1. the reference (rendered as a student ``.py``, graded through the same path) gets full marks;
2. every correct variant in ``tests/zoo/variants`` gets full marks;
3. the generated student notebooks get zero, with a valid results file;
4. every mutant in ``tests/zoo/mutants`` loses points on its ``TARGET`` test, and on no test outside the
   reach of the code it changes (the changed definition and the definitions that use it). Tests of groups
   entirely outside that reach are not run for mutants (``--full`` runs them too).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import zoo
from autograder.grading import Options, grade, grade_many
from autograder.render import render_reference
from autograder.results import GradeReport, validate_results, write_results

REPO = Path(__file__).resolve().parents[1]


@dataclass
class MutantOutcome:
    """How one mutant fared."""

    name: str
    spec_line: str
    target: str
    killed: bool
    collateral: list[str]
    score: float
    max_score: float
    note: str = ""


def main(args: argparse.Namespace) -> int:
    """Run the validation and print its tables; exit 0 when every check holds."""
    parts = ("a", "b") if args.part == "all" else (args.part,)
    ok = True
    with tempfile.TemporaryDirectory(prefix="fundiff-validate-") as tmp:
        tmpdir = Path(tmp)
        source = render_reference(parts)
        reference = grade_source(source, tmpdir / "reference.py", args.part)
        full = reference.score == reference.max_score
        ok &= full
        print(f"reference: {reference.score:g}/{reference.max_score:g} ({reference.wall_s:.1f} s) {'OK' if full else 'NOT FULL MARKS'}")
        for test in reference.tests:
            if not test.passed:
                print(f"    failed: {test.name}: {test.output[:200]}")
        for part in parts:
            notebook = REPO / "assignment" / f"part_{part}.ipynb"
            if not notebook.exists():
                print(f"student notebook part_{part}.ipynb: not generated yet (skipped)")
                continue
            report = grade(notebook, Options(part=part))
            clean = _clean(report, tmpdir / f"student_{part}.json")
            good = report.score == 0 and clean
            ok &= good
            print(f"student notebook part_{part}.ipynb: {report.score:g}/{report.max_score:g}, results file "
                  f"{'valid' if clean else 'INVALID'} {'OK' if good else 'FAIL'}")
        if args.skip_zoo:
            return 0 if ok else 1
        variants_dir = Path(args.variants) if args.variants else zoo.ZOO_ROOT / "variants"
        mutants_dir = Path(args.zoo) if args.zoo else zoo.ZOO_ROOT / "mutants"
        variants = [e for e in zoo.entries(variants_dir) if e.part in parts and (not args.only or args.only in e.name)]
        mutants = [e for e in zoo.entries(mutants_dir) if e.part in parts and (not args.only or args.only in e.name)]
        start = time.monotonic()
        results = grade_entries(source, variants + mutants, tmpdir, full=getattr(args, "full", False))
        full_marks = 0
        for entry in variants:
            report = results[entry.name]
            if isinstance(report, str):
                print(f"variant {entry.name:<34} STALE: {report}")
                continue
            good = report.score == report.max_score
            full_marks += good
            print(f"variant {entry.name:<34} {report.score:g}/{report.max_score:g} {'OK' if good else 'LOST POINTS'}")
            for test in report.tests:
                if not test.passed:
                    print(f"    failed: {test.name}: {test.output[:200]}")
        ok &= full_marks == len(variants)
        outcomes = [mutant_outcome(e, results[e.name], source) for e in mutants]
        print_mutants(outcomes)
        killed = sum(o.killed and not o.collateral for o in outcomes)
        print(f"variants with full marks: {full_marks}/{len(variants)}")
        print(f"kill rate: {killed}/{len(outcomes)} mutants lose points on their target test and no other")
        print(f"zoo graded in {time.monotonic() - start:.1f} s ({len(variants) + len(mutants)} submissions, one sandbox)")
        ok &= killed == len(outcomes)
    return 0 if ok else 1


def grade_source(source: str, path: Path, part: str) -> GradeReport:
    """Write ``source`` as a submission and grade it."""
    path.write_text(source)
    return grade(path, Options(part=part))


def grade_entries(source: str, entries: list[zoo.ZooEntry], tmpdir: Path, full: bool = False) -> dict[str, GradeReport | str]:
    """Grade every zoo entry (patched reference) in one batch; a stale patch maps to its error message.

    Unless ``full``, only the groups whose tests check a name within the patch's reach are run: every other
    test sees code identical to the reference, which gets full marks.
    """
    paths, only, names, results = [], [], [], {}
    for entry in entries:
        try:
            patched = zoo.apply(source, entry)
        except ValueError as error:
            results[entry.name] = str(error)
            continue
        path = tmpdir / f"{entry.name}.py"
        path.write_text(patched)
        paths.append(path)
        only.append(None if full else frozenset(zoo.reach(patched, entry.within)))
        names.append(entry.name)
    parts = {e.part for e in entries}
    part = parts.pop() if len(parts) == 1 else "all"
    reports = grade_many(paths, Options(part=part), only_names=only) if paths else []
    results.update(dict(zip(names, reports)))
    return results


def mutant_outcome(entry: zoo.ZooEntry, report: GradeReport | str, source: str) -> MutantOutcome:
    """Killed when the target test loses points, and no test outside the patch's reach does."""
    if isinstance(report, str):
        return MutantOutcome(entry.name, entry.spec_line or "", entry.target or "", False, [], 0, 0, f"stale: {report}")
    reachable = zoo.reach(zoo.apply(source, entry), entry.within)
    targets = [t for t in report.tests if t.name.startswith(entry.target or "\0")]
    killed = bool(targets) and any(t.score < t.max_score for t in targets)
    collateral = [t.name for t in report.tests if t.score < t.max_score and not (set(t.tags) & reachable)]
    note = next((t.output.splitlines()[0] for t in targets if t.score < t.max_score), "target test not found" if not targets else "")
    return MutantOutcome(entry.name, entry.spec_line or "", entry.target or "", killed, collateral,
                         report.score, report.max_score, note)


def print_mutants(outcomes: list[MutantOutcome]) -> None:
    """The mutant table: name, SPEC §5 line, killed or not, collateral, the feedback given."""
    print(f"{'mutant':<32} {'killed':<7} {'score':>11}  feedback on the target test")
    for o in outcomes:
        mark = "yes" if o.killed and not o.collateral else ("COLLAT" if o.killed else "NO")
        print(f"{o.name:<32} {mark:<7} {o.score:>5.1f}/{o.max_score:<5.1f}  {o.note[:110]}")
        if o.collateral:
            print(f"    also failed (outside its reach): {', '.join(o.collateral)}")


def _clean(report: GradeReport, path: Path) -> bool:
    write_results(report, path)
    try:
        return not validate_results(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError):
        return False
