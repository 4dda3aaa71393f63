"""Command line: ``python -m autograder {grade, validate, release, list}``.

``grade SUBMISSION --out results.json`` writes Gradescope's results file and prints a table; it exits 0
whenever grading itself worked, whatever the score (2 for a usage error, 1 only if the grader failed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder import config


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with a help text for every option."""
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Grade 'Fun with Diffusion Models' submissions in isolation and write Gradescope results.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one .ipynb or .py submission",
                                description="Grade one submission; write results.json and print a table.")
    grade.add_argument("submission", help="the student's notebook (.ipynb) or Python file (.py)")
    grade.add_argument("--out", default="results.json", help="where to write Gradescope's results.json (default: %(default)s)")
    grade.add_argument("--part", choices=("a", "b", "all"), default="all", help="which part to grade (default: %(default)s)")
    grade.add_argument("--gpu", choices=("auto", "on", "off"), default="auto",
                       help="run the submission on CUDA when available (auto), require it (on) or never (off)")
    grade.add_argument("--part-b", choices=("auto", "ddpm", "flow"), default="auto",
                       help="Part B's version: DDPM or flow matching; auto tells them apart by the names the submission "
                            "defines (default: %(default)s)")
    grade.add_argument("--public-only", action="store_true", help="run only the tests students see (the in-notebook checks)")
    grade.add_argument("--jobs", type=int, default=0, help="test groups run at once (default: one per core, at most 4)")
    grade.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every group's time limit (slow machines)")
    grade.add_argument("--memory-mb", type=int, default=config.MEMORY_MB, help="extra address space per child in MiB (default: %(default)s)")
    grade.add_argument("--quiet", action="store_true", help="do not print the table")
    grade.add_argument("--json", action="store_true", help="print results.json to stdout instead of the table")

    validate = commands.add_parser("validate", help="prove the grader: reference full marks, stubs zero, bug zoo caught",
                                   description="Grade the reference, the generated student notebooks and the bug zoo.")
    validate.add_argument("--part", choices=("a", "b", "all"), default="all", help="which part to validate (default: %(default)s)")
    validate.add_argument("--zoo", default=None, help="folder of mutants (default: autograder/validate/zoo_files/mutants)")
    validate.add_argument("--variants", default=None, help="folder of correct variants (default: autograder/validate/zoo_files/variants)")
    validate.add_argument("--only", default=None, help="only mutants/variants whose file name contains this text")
    validate.add_argument("--full", action="store_true", help="run every test group for every mutant (slower)")
    validate.add_argument("--skip-zoo", action="store_true", help="grade only the reference and the student notebooks")

    release = commands.add_parser("release", help="regenerate the solution and student notebooks, or pack the students' zip",
                                  description="Regenerate the solution and student notebooks from the single source "
                                              "(release), compare them with the committed ones (release --check), or write "
                                              "the students' zip (release pack).")
    release.add_argument("--part", choices=("a", "b", "all"), default="all", help="which notebooks (default: %(default)s)")
    part_b_help = ("which version of Part B: the DDPM notebook (part_b), the flow-matching one (part_b_fm) or both; "
                   "applies to the notebooks written and to what the students' zip holds (default: both)")
    release.add_argument("--part-b", choices=("ddpm", "flow", "both"), default="both", help=part_b_help)
    release.add_argument("--check", action="store_true", help="only compare with the files on disk; exit 1 on a difference")
    release_commands = release.add_subparsers(dest="release_command", metavar="pack")
    release_pack = release_commands.add_parser("pack", help="write the students' zip (notebooks, given code, data)",
                                               description="Write the students' zip: no solutions, no grader.")
    release_pack.add_argument("--out", type=Path, default=None, help="zip to write (default: dist/<pack name>)")
    release_pack.add_argument("--part-b", choices=("ddpm", "flow", "both"), default=argparse.SUPPRESS, help=part_b_help)

    commands.add_parser("list", help="list every test: part, group, weight, visibility and the names it checks")

    protect = commands.add_parser(
        "protect", help="make the reference's and the grader's folders unreadable to other users (grading images)",
        description="chmod -R go-rwx the folders submissions must never read (solutions, autograder, tests, …), so "
                    "that even without namespaces (rlimits isolation) a submission, which runs as another user, "
                    "cannot read them. Run once, as the owner (root in the grading image).")
    protect.add_argument("--root", default=None, help="the kit's folder (default: this installation's)")
    merge = commands.add_parser("merge-results", help="combine results files of several graded files into one",
                                description="Add up results.json files (e.g. a student's Part A and Part B notebooks).")
    merge.add_argument("results", nargs="+", help="results.json files to combine, in report order")
    merge.add_argument("--out", default="results.json", help="the combined results file (default: %(default)s)")
    from autograder.classroom.commands import add_parsers as add_classroom_parsers

    add_classroom_parsers(commands)  # grade-all, merge-shards: a whole class
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m autograder`` and of the ``autograder`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "release":
        from autograder import release

        return release.run(args)
    if args.command == "grade":
        return _grade(args)
    if args.command == "validate":
        from autograder import validate

        return validate.main(args)
    if args.command == "list":
        return _list()
    if args.command == "merge-results":
        return _merge(args)
    if args.command in ("grade-all", "merge-shards"):
        from autograder.classroom import commands as classroom_commands

        return classroom_commands.run(args)
    if args.command == "protect":
        from pathlib import Path

        from autograder.sandbox import protect_hidden_paths

        for path in protect_hidden_paths(Path(args.root) if args.root else None):
            print(f"protected {path}")
        return 0
    return 2


def _grade(args: argparse.Namespace) -> int:
    from autograder.grading import Options, grade
    from autograder.results import GradeReport, TestResult, format_table, write_results

    options = Options(part=args.part, gpu=args.gpu, public_only=args.public_only, jobs=args.jobs,
                      timeout_scale=args.timeout_scale, memory_mb=args.memory_mb, part_b=args.part_b)
    try:
        report = grade(args.submission, options)
    except Exception as error:  # last line of defence: still a valid results file
        report = GradeReport(notes=[f"The grader failed ({type(error).__name__}: {error}); please contact the course staff."])
        report.tests.append(TestResult("grading", 0.0, False, "the grader failed", []))
        write_results(report, args.out)
        print(f"grader failure: {error}", file=sys.stderr)
        return 1
    write_results(report, args.out)
    if args.json:
        print(json.dumps(report.as_gradescope(), indent=2))
    elif not args.quiet:
        print(format_table(report))
        for note in report.notes:
            print(f"  • {note}")
        print(f"results written to {Path(args.out)}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from autograder.results import merge_results

    parts = []
    for path in args.results:
        try:
            parts.append((Path(path).name, json.loads(Path(path).read_text())))
        except (OSError, ValueError) as error:
            parts.append((Path(path).name, {"score": 0.0, "output": f"not graded: {error}", "tests": []}))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_results(parts), indent=2))
    return 0


def _list() -> int:
    from autograder.grading import all_groups

    seen: set[str] = set()
    for group in all_groups("all") + all_groups("b", part_b="flow"):  # both Part B versions, shared groups once
        if group.name in seen:
            continue
        seen.add(group.name)
        for test in group.tests:
            print(f"{group.part}  {group.name:<22} {test.weight:>4.1f}  {'public' if test.public else 'hidden'}  "
                  f"{','.join(test.tags):<40} {test.name}")
    return 0

