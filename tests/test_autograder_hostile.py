"""Every hostile submission in autograder/validate/zoo_files/hostile is graded safely.

For each: a valid results file, wall time within the group limits, a score no higher than its honest
functions earn (``HONEST_MAX`` in the file), no leak of the reference, and the grader's own process alive.
All members are graded in one batch (one sandbox, one forked child per group) with time limits scaled
down to keep CI short; a table is printed (run pytest with ``-s`` to see it).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from autograder.grading import Options, grade_many
from autograder.results import validate_results, write_results
from autograder.sandbox import REPO_ROOT

HOSTILE = Path(__file__).resolve().parents[1] / "autograder" / "validate" / "zoo_files" / "hostile"
TIMEOUT_SCALE = 0.25
MARKERS = ("/tmp/fundiff-pwned", "/tmp/fundiff-daemon-was-here")


def _honest_max(path: Path) -> float:
    match = re.search(r"HONEST_MAX = ([0-9.]+)", path.read_text(errors="replace")[:2000]) if path.stat().st_size < 10**6 else None
    if path.suffix == ".ipynb" and "magics" in path.name:
        return 4.0
    return float(match.group(1)) if match else 0.0


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    for marker in MARKERS:
        if os.path.exists(marker):
            os.remove(marker)
    tmp = tmp_path_factory.mktemp("hostile")
    huge = tmp / "huge_notebook.ipynb"
    with open(huge, "w") as handle:  # a 200 MB notebook (outputs left in)
        handle.write('{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "pad": "')
        handle.write("A" * (200 * 2**20))
        handle.write('"}')
    paths = sorted(HOSTILE.glob("*.py")) + sorted(HOSTILE.glob("*.ipynb")) + [huge]
    start = time.monotonic()
    reports = grade_many(paths, Options(part="b", timeout_scale=TIMEOUT_SCALE, jobs=2))
    wall = time.monotonic() - start
    rows = []
    for path, report in zip(paths, reports):
        out = tmp / f"{path.stem}.json"
        write_results(report, out)
        data = json.loads(out.read_text())
        rows.append({"name": path.stem, "score": report.score, "max": report.max_score, "honest": _honest_max(path),
                     "valid": not validate_results(data), "data": data, "report": report})
    time.sleep(1)
    print(f"\n{'hostile submission':<26} {'score':>6} {'honest':>7} {'child s':>8} {'valid':>6}  grader survived")
    for row in rows:
        print(f"{row['name']:<26} {row['score']:>6.1f} {row['honest']:>7.1f} {row['report'].wall_s:>8.1f} "
              f"{str(row['valid']):>6}  yes")
    print(f"all {len(rows)} graded in {wall:.1f} s (one batch, time limits × {TIMEOUT_SCALE})")
    return rows, wall


def test_every_results_file_is_valid(graded):
    rows, _ = graded
    assert all(row["valid"] for row in rows), [row["name"] for row in rows if not row["valid"]]


def test_no_member_scores_more_than_its_honest_functions(graded):
    rows, _ = graded
    cheaters = [(row["name"], row["score"], row["honest"]) for row in rows if row["score"] > row["honest"] + 1e-9]
    assert not cheaters


def test_honest_functions_keep_their_points(graded):
    rows, _ = graded
    keep = {"infinite_loop", "sigterm_ignored", "sys_exit_at_import", "exit_in_function", "fork_bomb", "huge_allocation",
            "fake_results", "read_reference", "monkeypatch_comparisons", "lying_tensor", "pickle_payload",
            "stdout_flood", "network_socket", "background_process", "gpu_only", "magics_notebook", "tmp_snoop"}
    lost = [(row["name"], row["score"]) for row in rows if row["name"] in keep and row["score"] < row["honest"]]
    assert not lost


def test_the_batch_stays_within_the_time_limits(graded):
    _, wall = graded
    assert wall < 150


def test_no_payload_or_daemon_touched_the_machine(graded):
    assert not any(os.path.exists(marker) for marker in MARKERS)


def test_each_sandbox_has_its_own_empty_tmp_and_cannot_list_the_others(graded):
    from autograder.sandbox import isolation_mode

    if isolation_mode() != "namespaces":
        pytest.skip("private /tmp needs namespaces (root and unshare); rlimits mode shares /tmp, as its warning says")
    from autograder.grading import grade

    # graded on its own: one submission is one sandbox (the batch above shares one among all its members)
    if os.path.exists("/tmp/fundiff-tmp-left-behind"):
        os.remove("/tmp/fundiff-tmp-left-behind")
    report = grade(HOSTILE / "tmp_snoop.py", Options(part="b", timeout_scale=TIMEOUT_SCALE))
    feedback = next((test.output for test in report.tests if "saw [" in test.output), None)
    assert feedback is not None, [(t.name, t.output[:300]) for t in report.tests]
    seen = json.loads(feedback[feedback.index("saw [") + 4 : feedback.index("]") + 1])
    # all it may see: the kit and its Python, bind-mounted back when they live in /tmp (e.g. a CI checkout)
    kit = [Path(os.path.realpath(p)) for p in (REPO_ROOT, sys.prefix, sys.base_prefix)]
    assert all(any(Path(entry) == k or Path(entry) in k.parents for k in kit) for entry in seen), seen
    assert report.score == 4.0
    assert not os.path.exists("/tmp/fundiff-tmp-left-behind")


def test_nothing_of_the_reference_leaks_into_feedback(graded):
    rows, _ = graded
    from solutions import part_b

    secret = "def _noise_at_random_times"
    text = json.dumps([row["data"] for row in rows])
    assert secret not in text and part_b.__doc__.splitlines()[0] not in text


def test_bad_files_get_a_clear_message(graded):
    rows, _ = graded
    by_name = {row["name"]: row["data"]["output"] for row in rows}
    assert "not valid JSON" in by_name["malformed_notebook"]
    assert "kernel language" in by_name["r_kernel_notebook"]
    assert "MB" in by_name["huge_notebook"]


def test_no_process_outlives_grading(graded, leftover_grading_processes):
    assert not leftover_grading_processes()
