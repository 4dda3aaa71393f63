"""The weaker sandbox: no namespaces (not root, ``unshare`` refused — e.g. a container without CAP_SYS_ADMIN — or
``FUNDIFF_SANDBOX=rlimits``). Submissions still run in separate processes with limits, as other users when the
grader is root; every results file stays valid, no member gains points, daemons are killed, and an instructor's
log says what this mode does not protect. (Reading the reference is stopped here only by file permissions:
``autograder protect``, which the Docker image runs; tested on a copy below.)"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.grading import Options, grade_many
from autograder.render import render_reference
from autograder.results import validate_results, write_results

HOSTILE = Path(__file__).resolve().parents[1] / "autograder" / "validate" / "zoo_files" / "hostile"
MEMBERS = ("infinite_loop", "sys_exit_at_import", "exit_in_function", "fake_results", "background_process",
           "huge_allocation")
MARKER = "/tmp/fundiff-daemon-was-here"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    if os.path.exists(MARKER):
        os.remove(MARKER)
    patch = pytest.MonkeyPatch()
    patch.setenv("FUNDIFF_SANDBOX", "rlimits")
    sandbox.isolation_mode.cache_clear()
    try:
        tmp = tmp_path_factory.mktemp("rlimits")
        reference = tmp / "reference_b.py"
        reference.write_text(render_reference(("b",)))
        paths = [reference] + [HOSTILE / f"{name}.py" for name in MEMBERS]
        reports = grade_many(paths, Options(part="b", timeout_scale=0.25, jobs=2))
        rows = {}
        for path, report in zip(paths, reports):
            out = tmp / f"{path.stem}.json"
            write_results(report, out)
            rows[path.stem] = (report, json.loads(out.read_text()))
        yield rows
    finally:
        patch.undo()
        sandbox.isolation_mode.cache_clear()


def test_the_reference_keeps_full_marks_and_the_feedback_names_the_mode(graded):
    report, data = graded["reference_b"]
    assert report.score == report.max_score > 0
    assert "rlimits isolation" in data["output"]


def test_every_results_file_is_valid_and_no_member_gains_points(graded):
    for name, (report, data) in graded.items():
        assert not validate_results(data), name
        if name != "reference_b":
            assert report.score <= 4.0, (name, report.score)


def test_honest_functions_keep_their_points_despite_exits_loops_and_fakes(graded):
    assert {name: graded[name][0].score for name in MEMBERS} == {name: 4.0 for name in MEMBERS}


def test_daemons_that_escaped_their_session_are_killed(graded, leftover_grading_processes):
    import time

    time.sleep(1)
    assert not os.path.exists(MARKER)
    assert not leftover_grading_processes()


def test_the_instructor_is_warned_on_stderr(capfd):
    sandbox.isolation_mode.cache_clear()
    patch = pytest.MonkeyPatch()
    patch.setenv("FUNDIFF_SANDBOX", "rlimits")
    try:
        assert sandbox.isolation_mode() == "rlimits"
    finally:
        patch.undo()
        sandbox.isolation_mode.cache_clear()
    err = capfd.readouterr().err
    assert "warning: rlimits isolation" in err and "solutions" in err


def test_protect_makes_the_hidden_folders_unreadable_to_other_users(tmp_path):
    for name in ("solutions", "autograder", "assignment"):
        (tmp_path / name / "sub").mkdir(parents=True)
        (tmp_path / name / "sub" / "x.py").write_text("secret = 1\n")
        (tmp_path / name / "sub" / "x.py").chmod(0o644)
    changed = sandbox.protect_hidden_paths(tmp_path)
    assert sorted(p.name for p in changed) == ["autograder", "solutions"]
    for name in ("solutions", "autograder"):
        for path in [tmp_path / name, *(tmp_path / name).rglob("*")]:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    # the given code stays readable: submissions import it
    assert stat.S_IMODE((tmp_path / "assignment" / "sub" / "x.py").stat().st_mode) == 0o644

