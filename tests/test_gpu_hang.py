"""A hang in the student's GPU training step costs only the convergence tests that train through it (needs CUDA).

The class-conditioned loss loops forever once its input is on the GPU (on the CPU it is the reference, so every
CPU test of it passes). The GPU group's ``class`` call is stopped at its call limit and the group re-run without
it: the time-conditioned model still trains and earns its GPU tests, and no CPU test loses a point.
"""

import pytest
import torch

from autograder.grading import Options, grade
from autograder.render import render_reference

pytestmark = pytest.mark.gpu


def test_a_hanging_gpu_training_step_costs_only_its_own_convergence_tests(tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    source = render_reference(("b",))
    line = "    if not 0.0 <= p_uncond <= 1.0:"
    assert source.count(line) == 1
    path = tmp_path / "hang_on_gpu.py"
    path.write_text(source.replace(line, "    while x_0.is_cuda:\n        pass\n" + line))
    # a quarter of every limit: the GPU group's call limit becomes 60 s, still ~4× an honest training
    report = grade(path, Options(part="b", gpu="on", timeout_scale=0.25))
    lost = {t.name: t.output for t in report.tests if t.score < t.max_score}
    print(lost)
    gpu_class = [t.name for t in report.tests
                 if t.name.startswith("GPU:") and ("class-conditioned" in t.name or "CFG" in t.name)]
    assert len(gpu_class) == 2, [t.name for t in report.tests]
    assert set(lost) == set(gpu_class), lost
    assert all("time limit" in text or "stopped" in text or "did not finish" in text for text in lost.values()), lost
