"""A function that never returns (or ends the process) costs only its own tests.

Four submissions, honest except for one function in each Part A group (``gaussian_denoise``, ``inpaint``,
``make_hybrids``) and one in a Part B group (``ddpm_sample``), which (a) loops forever, (b) ignores SIGTERM and
loops, (c) allocates memory until it fails, or (d) calls ``os._exit(0)``. The harness stops a call that runs past
its own time limit (``config.CALL_LIMIT_S``), the grader finds the call from the child's journal and re-runs the
group without it: every test that does not check the broken function keeps exactly the reference's points.
"""

from __future__ import annotations

import pytest

from autograder.grading import Options, grade_many
from autograder.render import render_reference

BROKEN = {  # a line inside each broken function, and what replaces it (the honest line kept after the bad code)
    "gaussian_denoise": "    return TF.gaussian_blur(im_noisy, [kernel_size, kernel_size], [sigma, sigma])",
    "inpaint": "    image = torch.randn_like(original_image)",
    "make_hybrids": "    embeds = torch.cat([p1, p2, uncond])",
    "ddpm_sample": "    return _sample(lambda x, t: unet(x, t), unet, ddpm_schedule, img_wh, num_ts, num_samples, seed, frame_every)",
}
BEHAVIOURS = {
    "loops_forever": "while True:\n        pass",
    "ignores_sigterm": "import signal\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True:\n        pass",
    "allocates": "hoard = []\n    while True:\n        hoard.append(torch.ones(2 ** 24))",
    "exits": "import os\n    os._exit(0)",
}


def _broken(source: str, behaviour: str) -> str:
    for line in BROKEN.values():
        assert source.count(line) == 1, line
        source = source.replace(line, "    " + BEHAVIOURS[behaviour] + "\n" + line)
    return source


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stuck")
    reference = render_reference()
    paths = [tmp / "reference.py"]
    paths[0].write_text(reference)
    for behaviour in BEHAVIOURS:
        path = tmp / f"{behaviour}.py"
        path.write_text(_broken(reference, behaviour))
        paths.append(path)
    reports = grade_many(paths, Options(part="all", gpu="off"))
    return reports[0], dict(zip(BEHAVIOURS, reports[1:]))


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_only_the_broken_functions_lose_points(graded, behaviour):
    honest, reports = graded
    report = reports[behaviour]
    assert honest.score == honest.max_score
    honest_scores = {t.name: t.score for t in honest.tests}
    for test in report.tests:
        if set(test.tags) & set(BROKEN):
            assert test.score == 0, (test.name, test.output)
        else:
            assert test.score == honest_scores[test.name], (behaviour, test.name, test.output)


def test_the_feedback_says_the_call_did_not_finish(graded):
    _, reports = graded
    stuck = next(t for t in reports["loops_forever"].tests if t.name.startswith("gaussian_denoise"))
    assert "did not finish" in stuck.output and "time limit" in stuck.output, stuck.output
    exited = next(t for t in reports["exits"].tests if t.name.startswith("inpaint"))
    assert "did not finish" in exited.output and "os._exit" in exited.output, exited.output
