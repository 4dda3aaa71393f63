"""Time ``python -m autograder grade`` on the reference (both parts, CPU), as a student submission.

Usage: ``python benchmarks/bench_grade.py [--repeat N] [--part all|a|b] [--stuck]``. ``--stuck`` also grades the
reference with one function that never returns (``gaussian_denoise`` loops forever) and reports the extra time a
hang costs (the call's time limit plus one re-run of its group). Each run is a fresh process (no
warm caches), exactly what Gradescope runs per submission. Target on a 2-core CPU: ≤ 60 s.
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
    args = parser.parse_args(argv)
    from autograder.render import write_reference

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


if __name__ == "__main__":
    sys.exit(main())
