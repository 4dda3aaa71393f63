"""The ``grade-all`` and ``merge-shards`` subcommands (registered in :mod:`autograder.cli`).

Exit codes: 0 when the run worked (whatever the scores), 1 when some submission could not be graded (its row says
why; run again to retry), 2 for a usage error, 130 when interrupted (run the same command again to continue).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import config

SLURM_HINT = "e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT in a Slurm array job"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``grade-all`` and ``merge-shards`` to the command line's subcommands."""
    grade_all = commands.add_parser(
        "grade-all", help="grade a whole class: a folder of submissions → results, grades.csv, report.html",
        description="Grade every submission in a folder (one .ipynb/.py per student, one folder per student with "
                    "part_a/part_b notebooks, or Gradescope's 'Export Submissions' folder or zip) in batches; write "
                    "OUTDIR/results/<id>.json, OUTDIR/grades.csv and OUTDIR/report.html. Re-running skips "
                    "submissions already graded by this grader version and resumes an interrupted run.")
    grade_all.add_argument("submissions", help="folder of submissions, or the zip Gradescope's 'Export Submissions' gives")
    grade_all.add_argument("--out", required=True, help="output folder (created; reused by later runs to skip finished work)")
    grade_all.add_argument("--part", choices=("a", "b", "all"), default="all",
                           help="which part to grade (default: %(default)s; with 'all', a student's part_a and part_b "
                                "notebooks are graded each for its part and merged)")
    grade_all.add_argument("--gpu", choices=("auto", "on", "off"), default="auto",
                           help="run submissions on CUDA when available (auto), require it (on) or never (off)")
    grade_all.add_argument("--workers", type=_positive, default=1,
                           help="batches graded at once, each in its own process (default: %(default)s; each batch "
                                "already runs its test groups in parallel)")
    grade_all.add_argument("--batch", type=_positive, default=8,
                           help="submissions per batch, graded in one sandbox so the imports are paid once "
                                "(default: %(default)s)")
    grade_all.add_argument("--shard", default=None, metavar="I/N",
                           help=f"grade only shard I of N: ids sorted, every N-th from the I-th ({SLURM_HINT}); "
                                "combine the shards' folders with merge-shards")
    grade_all.add_argument("--force", action="store_true", help="grade again even submissions already graded by this grader version")
    grade_all.add_argument("--jobs", type=int, default=0,
                           help="test groups run at once within a batch (default: the cores divided among the workers, at most 4)")
    grade_all.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every group's time limit (slow or busy machines)")
    grade_all.add_argument("--memory-mb", type=int, default=config.MEMORY_MB,
                           help="extra address space per child in MiB (default: %(default)s)")
    grade_all.add_argument("--max-batches", type=_positive, default=None,
                           help="stop after this many batches (a time-boxed session); run again to continue")
    grade_all.add_argument("--no-zoo-match", action="store_true",
                           help="do not match common failures to the bug zoo's mutants (skips grading the mutants once per grader version)")
    grade_all.add_argument("--zoo", default=None, metavar="DIR",
                           help="folder of mutants to match failures against (default: the kit's bug zoo)")
    grade_all.add_argument("--no-similarity", action="store_true", help="do not look for alike submissions")
    grade_all.add_argument("--no-report", action="store_true", help="write results and grades.csv only, no report.html")
    grade_all.add_argument("--no-progress", action="store_true", help="no progress bar")

    merge = commands.add_parser(
        "merge-shards", help="combine the output folders of grade-all --shard runs into one",
        description="Copy the results of several grade-all output folders (one per shard) into one, then rebuild "
                    "grades.csv and report.html over the whole class.")
    merge.add_argument("outdirs", nargs="+", metavar="OUTDIR", help="the shards' output folders")
    merge.add_argument("--out", required=True, help="the merged output folder (may be one of the shards')")
    merge.add_argument("--gpu", choices=("auto", "on", "off"), default="auto",
                       help="device policy for grading the bug zoo's mutants, if their signatures are not cached yet")
    merge.add_argument("--no-zoo-match", action="store_true", help="do not match common failures to the bug zoo's mutants")
    merge.add_argument("--zoo", default=None, metavar="DIR", help="folder of mutants (default: the kit's bug zoo)")
    merge.add_argument("--no-similarity", action="store_true", help="do not look for alike submissions")
    merge.add_argument("--no-report", action="store_true", help="rebuild grades.csv only, no report.html")


def run(args: argparse.Namespace) -> int:
    """Run ``grade-all`` or ``merge-shards``."""
    if args.command == "grade-all":
        return _grade_all(args)
    return _merge_shards(args)


def _grade_all(args: argparse.Namespace) -> int:
    from autograder.classroom.engine import ClassOptions, grade_all, parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as error:
        print(f"autograder grade-all: {error}", file=sys.stderr)
        return 2
    source = Path(args.submissions)
    if not source.exists():
        print(f"autograder grade-all: {source} does not exist", file=sys.stderr)
        return 2
    if source.is_file() and source.suffix.lower() != ".zip":
        print(f"autograder grade-all: {source} is a file; pass the folder of submissions (or a .zip of it); "
              "'autograder grade' grades one file", file=sys.stderr)
        return 2
    options = ClassOptions(part=args.part, gpu=args.gpu, workers=args.workers, batch=args.batch, shard=shard,
                           force=args.force, jobs=args.jobs, timeout_scale=args.timeout_scale, memory_mb=args.memory_mb,
                           max_batches=args.max_batches, zoo_match=not args.no_zoo_match,
                           zoo_dir=Path(args.zoo) if args.zoo else None, similarity=not args.no_similarity,
                           report=not args.no_report, progress=not args.no_progress)
    summary = grade_all(source, Path(args.out), options)
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def _merge_shards(args: argparse.Namespace) -> int:
    from autograder.classroom.report import ReportOptions
    from autograder.classroom.shards import merge_shards

    options = False if args.no_report else ReportOptions(zoo_match=not args.no_zoo_match, gpu=args.gpu,
                                                         zoo_dir=Path(args.zoo) if args.zoo else None,
                                                         similarity=not args.no_similarity)
    try:
        merge_shards(args.outdirs, args.out, options)
    except FileNotFoundError as error:
        print(f"autograder merge-shards: {error}", file=sys.stderr)
        return 2
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
