"""Bad submissions are graded, not crashed on: wrong signatures, NaN/inf, wrong shapes, dtypes or types.

One batch (one sandbox) for all of them. Also: grading is deterministic (the same file twice, same scores).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.grading import Options, grade_many
from autograder.results import validate_results, write_results

SCHEDULE = """
import torch

def ddpm_schedule(beta1, beta2, num_ts):
    b = torch.linspace(beta1, beta2, num_ts)
    return {"betas": b, "alphas": 1 - b, "alpha_bars": torch.cumprod(1 - b, 0)}
"""
CASES = {
    "wrong_signature": SCHEDULE + "\ndef add_noise(x):\n    return x\n\ndef ddpm_forward(unet, x_0):\n    return x_0.mean()\n",
    "nan_outputs": SCHEDULE + "\ndef add_noise(x, sigma):\n    return x * float('nan')\n\ndef ddpm_forward(unet, s, x_0, T):\n    return torch.tensor(float('inf'))\n",
    "wrong_shapes": SCHEDULE + "\ndef add_noise(x, sigma):\n    return (x + sigma * torch.randn_like(x))[:, :1]\n\nclass Conv(torch.nn.Module):\n"
                    "    def __init__(self, i, o):\n        super().__init__()\n        self.c = torch.nn.Conv2d(i, o, 3)\n"
                    "    def forward(self, x):\n        return self.c(x)\n",
    "wrong_types": SCHEDULE + "\ndef add_noise(x, sigma):\n    return x.long()\n\ndef ddpm_sample(unet, s, wh, T, seed=0, num_samples=40):\n"
                   "    return 'images', None\n\ndef ddpm_forward(unet, s, x_0, T):\n    return [1, 2, 3]\n",
    "numpy_instead_of_tensor": SCHEDULE.replace('return {"betas": b', 'return {"betas": b.numpy()') ,
    "deterministic_a": Path(__file__).parents[1].joinpath("autograder", "validate", "zoo_files", "hostile", "gpu_only.py").read_text()
                       + "\ndef ddpm_forward(unet, sched, x_0, num_ts):\n    t = torch.randint(1, num_ts + 1, (x_0.shape[0],))\n"
                       "    ab = sched['alpha_bars'][t - 1].view(-1, 1, 1, 1)\n    e = torch.randn_like(x_0)\n"
                       "    return ((unet(ab.sqrt() * x_0 + (1 - ab).sqrt() * e, t / num_ts) - e) ** 2).mean()\n",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inputs")
    paths = []
    for name, text in CASES.items():
        path = tmp / f"{name}.py"
        path.write_text(text)
        paths.append(path)
    twin = tmp / "deterministic_b.py"
    twin.write_text(CASES["deterministic_a"])
    paths.append(twin)
    reports = grade_many(paths, Options(part="b", timeout_scale=0.5))
    out = {}
    for path, report in zip(paths, reports):
        write_results(report, tmp / f"{path.stem}.json")
        out[path.stem] = (report, json.loads((tmp / f"{path.stem}.json").read_text()))
    return out


def _test(report, tag):
    return [t for t in report.tests if tag in t.tags]


def test_all_results_files_are_valid(graded):
    assert all(not validate_results(data) for _, data in graded.values())


def test_the_correct_schedule_always_keeps_its_points(graded):
    for name, (report, _) in graded.items():
        if name != "numpy_instead_of_tensor":
            assert _test(report, "ddpm_schedule")[0].passed, name


def test_wrong_signature_is_explained(graded):
    report, _ = graded["wrong_signature"]
    assert "TypeError" in _test(report, "add_noise")[0].output


def test_nan_and_inf_are_reported(graded):
    report, _ = graded["nan_outputs"]
    assert not _test(report, "add_noise")[0].passed
    assert "NaN" in _test(report, "ddpm_forward")[0].output or "inf" in _test(report, "ddpm_forward")[0].output


def test_wrong_shapes_are_reported(graded):
    report, _ = graded["wrong_shapes"]
    assert "shape" in _test(report, "add_noise")[0].output
    assert not _test(report, "Conv")[0].passed


def test_wrong_types_are_reported(graded):
    report, _ = graded["wrong_types"]
    assert not any(t.passed for t in report.tests if t.tags[0] in ("add_noise", "ddpm_sample", "ddpm_forward"))


def test_grading_is_deterministic(graded):
    a, _ = graded["deterministic_a"]
    b, _ = graded["deterministic_b"]
    assert [t.score for t in a.tests] == [t.score for t in b.tests]
    assert [t.output for t in a.tests] == [t.output for t in b.tests]
    assert _test(a, "ddpm_forward")[0].passed and _test(a, "add_noise")[0].passed
