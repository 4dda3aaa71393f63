"""results.json format, the terminal table and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from autograder.results import GradeReport, TestResult, format_table, validate_results, write_results


def _report() -> GradeReport:
    return GradeReport(tests=[
        TestResult("forward: formula", 2.0, True, "ok", ["forward"]),
        TestResult("inpaint: mask", 3.0, False, "mask polarity reversed", ["inpaint"], public=False),
        TestResult("nan score", 1.0, False, "x", ["add_noise"], score=float("nan")),
    ], notes=["Graded on cpu."])


def test_gradescope_format(tmp_path):
    path = tmp_path / "results.json"
    write_results(_report(), path)
    data = json.loads(path.read_text())
    assert not validate_results(data)
    assert data["score"] == 2.0 and data["max_score"] == 6.0
    assert data["tests"][1]["visibility"] == "after_published" and data["tests"][1]["tags"] == ["inpaint"]
    assert data["tests"][2]["score"] == 0.0


def test_table_lists_every_test():
    table = format_table(_report())
    assert "forward: formula" in table and "FAIL" in table and "2.0/6.0" in table


def test_validate_results_catches_bad_files():
    assert validate_results([]) and validate_results({"score": 1, "tests": [{"name": "x"}]})


def test_cli_help_and_list():
    out = subprocess.run([sys.executable, "-m", "autograder", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "grade" in out.stdout and "validate" in out.stdout and "release" in out.stdout
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True, text=True)
    assert "--gpu" in out.stdout and "--part" in out.stdout
    out = subprocess.run([sys.executable, "-m", "autograder", "list"], capture_output=True, text=True)
    assert out.returncode == 0 and "ddpm_sample" in out.stdout


def test_cli_grade_exits_zero_and_writes_results(tmp_path):
    sub = tmp_path / "schedule.py"
    sub.write_text("import torch\n\ndef ddpm_schedule(beta1, beta2, num_ts):\n    b = torch.linspace(beta1, beta2, num_ts)\n"
                   "    return {'betas': b, 'alphas': 1 - b, 'alpha_bars': torch.cumprod(1 - b, 0)}\n")
    out_path = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(out_path), "--part", "b"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(out_path.read_text())
    assert not validate_results(data)
    schedule = [t for t in data["tests"] if t["tags"] == ["ddpm_schedule"]]
    assert schedule and schedule[0]["status"] == "passed"
    assert data["score"] == schedule[0]["score"]


def test_cli_grade_of_garbage_still_writes_results(tmp_path):
    sub = tmp_path / "garbage.ipynb"
    sub.write_bytes(b"\x00\x01 not a notebook")
    out_path = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(out_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    data = json.loads(out_path.read_text())
    assert data["score"] == 0 and not validate_results(data) and "not valid JSON" in data["output"]
