"""GPU convergence of Part B's flow-matching version, through the grader's own GPU group (skipped without CUDA).

The flow-matching reference earns every GPU test; the flipped-target mutant of the bug zoo loses them. Budget and
limits: ``autograder.config.FLOW_CONVERGENCE_THRESHOLDS`` (evidence: ``benchmarks/bench_flow_convergence.py``).
"""

import pytest
import torch

from autograder.grading import Options, grade
from autograder.render import render_reference
from autograder.validate import zoo

pytestmark = pytest.mark.gpu


def _gpu_tests(tmp_path, source: str, name: str):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    report = grade(path, Options(part="b", part_b="flow", gpu="on"))
    tests = [t for t in report.tests if t.name.startswith("GPU:")]
    for t in tests:
        print(f"{name}: {t.name}: {t.score}/{t.max_score} — {t.output}")
    assert len(tests) == 4, [t.name for t in report.tests]
    return tests


def test_flow_matching_reference_converges_on_the_gpu(tmp_path):
    tests = _gpu_tests(tmp_path, render_reference(("b_fm",)), "reference_fm")
    assert all(t.score == t.max_score for t in tests), [(t.name, t.output) for t in tests if t.score < t.max_score]


def test_flipped_target_mutant_fails_the_gpu_tests(tmp_path):
    entry = zoo.read_entry(zoo.ZOO_ROOT / "mutants" / "b_fm_target_sign.py")
    tests = _gpu_tests(tmp_path, zoo.apply(render_reference(("b_fm",)), entry), "target_sign")
    failed = [t.name for t in tests if t.score < t.max_score]
    assert any("CFG samples" in n for n in failed) and any("time-conditioned samples" in n for n in failed), failed
