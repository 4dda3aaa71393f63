"""``python -m autograder validate``: evidence that the grader grades fairly.

1. the reference (rendered as a student ``.py``, graded through the same path) gets full marks;
2. every correct variant in ``autograder/validate/zoo_files/variants`` gets full marks;
3. the generated student notebooks get zero, with a valid results file;
4. every mutant in ``autograder/validate/zoo_files/mutants`` loses points on its ``TARGET`` test, and on no test outside the
   reach of the code it changes (the changed definition and the definitions that use it). Tests of groups
   entirely outside that reach are not run for mutants (``--full`` runs them too).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import Options, grade, grade_many
from autograder.render import render_reference
from autograder.results import GradeReport, validate_results, write_results
from autograder.validate import zoo

REPO = Path(__file__).resolve().parents[2]


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


@dataclass
class Validation:
    """Everything ``validate`` measured."""

    reference: GradeReport
    notebooks: dict[str, tuple[GradeReport, bool]]
    variants: dict[str, GradeReport | str]
    mutants: list[MutantOutcome]
    seconds: float
    #: the other versions' references (Part B's flow-matching version: ``"b_fm"``)
    references: dict[str, GradeReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """References full, notebooks zero with valid results, variants full, every mutant killed cleanly."""
        return (
            all(r.score == r.max_score for r in [self.reference, *self.references.values()])
            and all(r.score == 0 and clean for r, clean in self.notebooks.values())
            and all(not isinstance(r, str) and r.score == r.max_score for r in self.variants.values())
            and all(o.killed and not o.collateral for o in self.mutants)
        )


def run_all(part: str = "all", only: str | None = None, full: bool = False, zoo_too: bool = True,
            variants_dir: Path | None = None, mutants_dir: Path | None = None) -> Validation:
    """Grade the reference, the student notebooks and the zoo in one batch per Part B version (one sandbox each).

    The DDPM batch holds the reference of ``part`` (Parts A and B), its notebooks and the zoo entries of those
    parts; with Part B included, a second batch grades the flow-matching version the same way (its rendered
    reference, ``part_b_fm.ipynb`` and the entries marked ``PART = 'b_fm'``) as Part B, version ``flow``.
    """
    start = time.monotonic()
    parts = ("a", "b") if part == "all" else (part,)
    batches = [(parts, Options(part=part, part_b="ddpm"))]
    if "b" in parts:
        batches.append((("b_fm",), Options(part="b", part_b="flow")))
    result = Validation(reference=None, notebooks={}, variants={}, mutants=[], seconds=0.0)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="fundiff-validate-") as tmp:
        for batch_parts, options in batches:
            _validate_batch(Path(tmp), batch_parts, options, result, only, full, zoo_too, variants_dir, mutants_dir)
    result.seconds = time.monotonic() - start
    return result


def _validate_batch(tmpdir: Path, parts: tuple[str, ...], options: Options, result: Validation, only: str | None,
                    full: bool, zoo_too: bool, variants_dir: Path | None, mutants_dir: Path | None) -> None:
    """Grade one version's reference, notebooks and zoo entries together; add the outcomes to ``result``."""
    label = "_".join(parts)
    source = render_reference(parts)
    reference_path = tmpdir / f"reference_{label}.py"
    reference_path.write_text(source)
    paths: list[Path] = [reference_path]
    only_names: list[frozenset[str] | None] = [None]
    notebooks = [n for n in (REPO / "assignment" / f"part_{p}.ipynb" for p in parts) if n.exists()]
    paths += notebooks
    only_names += [None] * len(notebooks)
    variants: list[zoo.ZooEntry] = []
    mutants: list[zoo.ZooEntry] = []
    if zoo_too:
        variants = [e for e in zoo.entries(variants_dir or zoo.ZOO_ROOT / "variants") if e.part in parts and (not only or only in e.name)]
        mutants = [e for e in zoo.entries(mutants_dir or zoo.ZOO_ROOT / "mutants") if e.part in parts and (not only or only in e.name)]
    stale: dict[str, str] = {}
    entry_names = []
    for entry in variants + mutants:
        try:
            patched = zoo.apply(source, entry)
        except ValueError as error:
            stale[entry.name] = str(error)
            continue
        path = tmpdir / f"{entry.name}.py"
        path.write_text(patched)
        paths.append(path)
        only_names.append(None if full else frozenset(zoo.reach(patched, entry.within)))
        entry_names.append(entry.name)
    reports = grade_many(paths, options, only_names=only_names)
    if result.reference is None:
        result.reference = reports[0]
    else:
        result.references[label] = reports[0]
    for path, report in zip(notebooks, reports[1:1 + len(notebooks)]):
        result.notebooks[path.name] = (report, _clean(report, tmpdir / f"{path.stem}.json"))
    by_name: dict[str, GradeReport | str] = dict(zip(entry_names, reports[1 + len(notebooks):]))
    by_name.update(stale)
    result.variants.update({e.name: by_name[e.name] for e in variants})
    result.mutants += [mutant_outcome(e, by_name[e.name], source) for e in mutants]


def main(args: argparse.Namespace) -> int:
    """Run the validation and print its tables; exit 0 when every check holds."""
    result = run_all(args.part, args.only, getattr(args, "full", False), not args.skip_zoo,
                     Path(args.variants) if args.variants else None, Path(args.zoo) if args.zoo else None)
    print_validation(result)
    return 0 if result.ok else 1


def print_validation(result: Validation) -> None:
    """The validation's tables."""
    for label, ref in [("", result.reference), *((f" ({k})", v) for k, v in result.references.items())]:
        print(f"reference{label}: {ref.score:g}/{ref.max_score:g} {'OK' if ref.score == ref.max_score else 'NOT FULL MARKS'}")
        for test in ref.tests:
            if not test.passed:
                print(f"    failed: {test.name}: {test.output[:200]}")
    for name, (report, clean) in result.notebooks.items():
        good = report.score == 0 and clean
        print(f"student notebook {name}: {report.score:g}/{report.max_score:g}, results file "
              f"{'valid' if clean else 'INVALID'} {'OK' if good else 'FAIL'}")
    full = 0
    for name, report in result.variants.items():
        if isinstance(report, str):
            print(f"variant {name:<34} STALE: {report}")
            continue
        good = report.score == report.max_score
        full += good
        print(f"variant {name:<34} {report.score:g}/{report.max_score:g} (tests in the patch's reach) {'OK' if good else 'LOST POINTS'}")
        for test in report.tests:
            if not test.passed:
                print(f"    failed: {test.name}: {test.output[:200]}")
    if result.mutants:
        print_mutants(result.mutants)
    killed = sum(o.killed and not o.collateral for o in result.mutants)
    print(f"variants with full marks: {full}/{len(result.variants)}")
    print(f"kill rate: {killed}/{len(result.mutants)} mutants lose points on their target test and no other")
    print(f"validated in {result.seconds:.1f} s")


def grade_source(source: str, path: Path, part: str) -> GradeReport:
    """Write ``source`` as a submission and grade it."""
    path.write_text(source)
    return grade(path, Options(part=part))


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
