"""Time ``python -m autograder grade`` on the reference (both parts, CPU), as a student submission.

Usage: ``python benchmarks/bench_grade.py [--repeat N] [--part all|a|b] [--stuck] [--class N [--workers W]]``.
``--stuck`` also grades the reference with one function that never returns (``gaussian_denoise`` loops forever) and
reports the extra time a hang costs (the call's time limit plus one re-run of its group). ``--class N`` grades N
distinct copies of the reference both ways — N separate ``grade`` processes, then one ``grade-all`` run — and
reports submissions per minute and the ratio (goal for ``grade-all`` on 2 cores: ≥ 20 a minute). Each run is a
fresh process (no warm caches), exactly what Gradescope runs per submission. Target on a 2-core CPU: ≤ 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per run plus the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="number of timed runs (default: %(default)s)")
    parser.add_argument("--part", choices=("a", "b", "all"), default="all", help="which part (default: %(default)s)")
    parser.add_argument("--stuck", action="store_true",
                        help="also grade a copy whose gaussian_denoise loops forever; report its time beside the honest one")
    parser.add_argument("--class", dest="class_size", type=int, default=0,
                        help="also grade N copies separately and with grade-all, and compare (default: off)")
    parser.add_argument("--workers", type=int, default=1, help="grade-all's --workers for --class (default: %(default)s)")
    args = parser.parse_args(argv)
    from autograder.render import write_reference

    if args.class_size:
        return compare_class(args.class_size, args.part, args.workers)

    with tempfile.TemporaryDirectory() as tmp:
        submission = write_reference(Path(tmp) / "reference.py")
        times = []
        for run in range(args.repeat):
            out = Path(tmp) / f"results-{run}.json"
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(out),
                            "--part", args.part, "--gpu", "off", "--quiet"], check=True)
            elapsed = time.monotonic() - start
            data = json.loads(out.read_text())
            times.append(elapsed)
            print(f"run {run + 1}: {elapsed:.1f} s, score {data['score']:g}/{data['max_score']:g}")
        if args.stuck:
            stuck = Path(tmp) / "stuck.py"
            line = "    return TF.gaussian_blur(im_noisy, [kernel_size, kernel_size], [sigma, sigma])"
            stuck.write_text(submission.read_text().replace(line, "    while True:\n        pass\n" + line, 1))
            out = Path(tmp) / "results-stuck.json"
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "autograder", "grade", str(stuck), "--out", str(out),
                            "--part", args.part, "--gpu", "off", "--quiet"], check=True)
            elapsed = time.monotonic() - start
            data = json.loads(out.read_text())
            honest = statistics.median(times)
            print(f"one function looping forever: {elapsed:.1f} s, score {data['score']:g}/{data['max_score']:g} "
                  f"({elapsed - honest:+.1f} s against the honest median; limit 2 × honest + 15 s = {2 * honest + 15:.0f} s)")
    median = statistics.median(times)
    print(f"median grading time: {median:.1f} s on {os.cpu_count()} CPU cores "
          f"({'within' if median <= TARGET_S else 'ABOVE'} the {TARGET_S:.0f} s target)")
    return 0


def compare_class(n: int, part: str, workers: int) -> int:
    """Grade ``n`` distinct copies of the reference as ``n`` separate ``grade`` runs and as one ``grade-all`` run."""
    from autograder.render import write_reference

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        source = write_reference(Path(tmp) / "reference.py").read_text()
        for k in range(n):  # distinct content: grade-all lists byte-identical files as duplicates
            (folder / f"student{k:03d}.py").write_text(source + f"\n# student {k}\n")
        start = time.monotonic()
        for path in sorted(folder.glob("*.py")):
            subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--out", str(path.with_suffix(".json")),
                            "--part", part, "--gpu", "off", "--quiet"], check=True)
        separate = time.monotonic() - start
        for path in folder.glob("*.json"):
            path.unlink()
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(Path(tmp) / "out"),
                        "--part", part, "--gpu", "off", "--workers", str(workers), "--no-progress", "--no-report"],
                       check=True, stdout=subprocess.DEVNULL)
        together = time.monotonic() - start
        scores = [json.loads(p.read_text())["score"] for p in (Path(tmp) / "out" / "results").glob("*.json")]
    print(f"{n} submissions, part {part}, {os.cpu_count()} CPU cores:")
    print(f"  separate grade runs: {separate:.1f} s ({n * 60 / separate:.1f} submissions/min, {separate / n:.1f} s each)")
    print(f"  grade-all --workers {workers}: {together:.1f} s ({n * 60 / together:.1f} submissions/min, "
          f"{together / n:.1f} s each); {len(scores)} results")
    print(f"  ratio: grade-all is {separate / together:.1f}× faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
