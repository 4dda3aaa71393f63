"""The GPU convergence group's scoring, checked on the CPU with records a child could have sent."""

import torch

from assignment.mnist import load_mnist, mnist_tensors
from autograder.grading import all_groups
from autograder.groups.gpu import LIMITS, GPUConvergenceGroup
from autograder.sandbox import ChildRun, Record


def _run(class_samples, time_samples, class_loss=0.03, time_loss=0.03):
    def record(samples, loss):
        return Record(tensors={"losses": torch.full((300,), loss), "samples": samples},
                      meta={"mode": "eager", "train_s": 30.0, "img_per_s": 9000})
    return ChildRun(records={"_load": Record({}, {}), "class": record(class_samples, class_loss),
                             "time": record(time_samples, time_loss)}, returncode=0)


def _digits_in_asked_order(n=200):
    x, y = mnist_tensors(load_mnist(train=False))
    rows = [x[y == k] for k in range(10)]
    return torch.stack([rows[i % 10][i // 10] for i in range(n)])


def test_gpu_groups_are_planned_only_on_cuda():
    assert not any(isinstance(g, GPUConvergenceGroup) for g in all_groups("b", gpu=False))
    assert any(isinstance(g, GPUConvergenceGroup) for g in all_groups("b", gpu=True))
    assert not any(isinstance(g, GPUConvergenceGroup) for g in all_groups("a", gpu=True))


def test_real_digits_in_the_asked_order_earn_every_point():
    group = GPUConvergenceGroup()
    outcome = group.check(_run(_digits_in_asked_order(), _digits_in_asked_order()))
    assert all(score == 1.0 for score, _ in outcome.values()), outcome


def test_noise_and_a_high_loss_earn_nothing_and_say_why():
    group = GPUConvergenceGroup()
    noise = torch.rand(200, 1, 28, 28)
    outcome = group.check(_run(noise, noise, class_loss=0.2, time_loss=LIMITS["time_loss"] * 2))
    assert all(score == 0.0 for score, _ in outcome.values()), outcome
    feedback = " ".join(text for _, text in outcome.values())
    assert "final loss 0.2000" in feedback and "chance 10 %" in feedback


def test_digits_of_the_wrong_class_fail_only_the_class_accuracy_test():
    group = GPUConvergenceGroup()
    shifted = torch.roll(_digits_in_asked_order(), shifts=1, dims=0)  # every sample is the previous digit
    outcome = group.check(_run(shifted, shifted))
    scores = {name.split(":")[1].strip()[:20]: score for name, (score, _) in outcome.items()}
    assert sorted(scores.values()) == [0.0, 1.0, 1.0, 1.0]
    failed = [name for name, (score, _) in outcome.items() if score == 0.0]
    assert failed == [group.tests[1].name]


def test_flow_version_plans_the_flow_functions_and_its_limits():
    from autograder.config import FLOW_CONVERGENCE_THRESHOLDS

    group = GPUConvergenceGroup("flow")
    tags = {tag for test in group.tests for tag in test.tags}
    assert {"class_fm_forward", "class_fm_sample", "time_fm_forward", "time_fm_sample"} <= tags
    assert not any(tag.startswith("ddpm") for tag in tags)
    assert group.limits is FLOW_CONVERGENCE_THRESHOLDS and f"≤ {FLOW_CONVERGENCE_THRESHOLDS['class_loss']}" in group.tests[0].name
    assert any(isinstance(g, GPUConvergenceGroup) and g.version == "flow" for g in all_groups("b", gpu=True, part_b="flow"))


def test_each_part_b_version_gets_its_own_gpu_plan():
    """The GPU groups of both versions share a name; a process grading both (grade-all, the test suite) must not
    hand one version the other's cached plan."""
    from autograder.grading import _cached_plan

    flow = _cached_plan(GPUConvergenceGroup("flow"))[0]
    ddpm = _cached_plan(GPUConvergenceGroup("ddpm"))[0]
    assert {c["version"] for c in flow["cases"]} == {"flow"}
    assert {c["version"] for c in ddpm["cases"]} == {"ddpm"}
