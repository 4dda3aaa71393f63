"""``autograder.traces``: DDPM training/sampling traces checked against Algorithms 1–4 for the noise drawn.

Traces are made as the child makes them: the child's own probe (``probes_part_b``, imported flat from
``autograder/child`` as the child does) runs a function on the stand-in ``SpyUNet`` while ``rng_tap``
records every Gaussian draw. The reference's functions must verify (1-based convention); a consistent
0-based variant must verify with convention 0; variants with one known bug must fail with a message that
names that bug. The DDPM groups' ``check`` is run on the same in-process records, so the time-convention
test and the classifier-free-guidance hints (sign flipped, ε_c/ε_u swapped) are covered end to end.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

import autograder
from autograder.child import spies as grader_spies
from autograder.groups.ddpm import DDPMClassCondGroup, DDPMTimeGroup
from autograder.groups.part_b_common import DDPM_T, _schedule_inputs
from autograder.sandbox import ChildRun, Record
from autograder.traces import Verdict, split_trace, verify_sampling, verify_training
from solutions import part_b as ref

CHILD_DIR = Path(autograder.__file__).parent / "child"
FLAT_MODULES = ("protocol", "records", "call_binding", "layers", "rng_tap", "spies", "probes_part_b")
TAPPED = ("randn", "randn_like", "normal")
T = DDPM_T
BATCH = 4


@pytest.fixture(scope="module")
def probes():
    """The child's ``probes_part_b`` with ``rng_tap`` installed; torch, ``sys.path`` and ``sys.modules`` restored after."""
    saved_path = list(sys.path)
    saved_modules = {name: sys.modules.get(name) for name in FLAT_MODULES}
    saved_torch = {name: getattr(torch, name) for name in TAPPED}
    saved_normal_ = torch.Tensor.__dict__.get("normal_")
    sys.path.insert(0, str(CHILD_DIR))
    try:
        module = importlib.import_module("probes_part_b")
        module.rng_tap.install()
        assert module.rng_tap._installed
        yield module
    finally:
        for name, fn in saved_torch.items():
            setattr(torch, name, fn)
        if saved_normal_ is None:
            if "normal_" in torch.Tensor.__dict__:
                delattr(torch.Tensor, "normal_")
        else:
            torch.Tensor.normal_ = saved_normal_
        sys.path[:] = saved_path
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    assert torch.randn is saved_torch["randn"] and torch.Tensor.__dict__.get("normal_") is saved_normal_


class MemoryRecorder:
    """The child's ``records.Recorder`` contract (``run(key, fn)``), kept in memory as the grader reads it back."""

    def __init__(self, probes):
        self.probes = probes
        self.records: dict[str, Record] = {}

    def run(self, key: str, fn: Callable[[], tuple[dict[str, Any], dict[str, Any]]]) -> bool:
        try:
            tensors, meta = fn()
        except Exception as error:
            self.records[key] = Record({}, {"error": self.probes.records.describe_error(error, with_location=False)})
            return False
        plain = {}
        for name, value in tensors.items():
            tensor, problem = self.probes.records.plain_tensor(value)
            assert problem is None, (name, problem)
            plain[name] = tensor
        self.records[key] = Record(plain, json.loads(json.dumps(meta, default=str)))
        return True


def child_run(probes, group, ns: dict[str, Any]) -> ChildRun:
    """What the child would return for ``group`` on a submission whose namespace is ``ns``."""
    spec, inputs = group.plan()
    rec = MemoryRecorder(probes)
    getattr(probes, group.probe)({"device": "cpu", **ns}, spec, inputs, rec)
    return ChildRun(records=rec.records, returncode=0)


def trace(probes, kind: str, fn: Callable, **case: Any) -> dict[str, torch.Tensor]:
    """One ``_ddpm_case`` (the child's call, trace and noise record) of ``fn`` as the submission's ``kind``."""
    schedule = _schedule_inputs()
    inputs = {"x0": digits(), "c": torch.tensor([1, 3, 5, 7])}
    spy = probes.spies.SpyUNet(conditional=kind.endswith("_cond"))
    case = {"key": kind, "kind": kind, "x": "x0", "c": "c", "img_wh": [28, 28], "num_samples": BATCH,
            "guidance_scale": 5.0, "p_uncond": 0.0, "seed": 3, **case}
    tensors, _meta = probes._ddpm_case({kind: fn, "device": "cpu"}, case, inputs, spy, schedule, T)
    return {k: probes.records.plain_tensor(v)[0] for k, v in tensors.items()}


def digits() -> torch.Tensor:
    return torch.sigmoid(3 * torch.randn(256, 1, 28, 28, generator=torch.Generator().manual_seed(7)))


SPY = grader_spies.SpyUNet()
SPY_C = grader_spies.SpyUNet(conditional=True)
C1H = F.one_hot(torch.tensor([1, 3, 5, 7]), 10).float()


def time_eps(x, t, c=None):
    return SPY.eps(x, t)


def guided(scale: float = 5.0) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def fn(x, t):
        eps_c, eps_u = SPY_C.eps(x, t, C1H), SPY_C.eps(x, t, torch.zeros_like(C1H))
        return eps_u + scale * (eps_c - eps_u)

    return fn


def check_training(probes, fn: Callable) -> Verdict:
    return verify_training(trace(probes, "ddpm_forward", fn), digits(), _schedule_inputs(), time_eps, T)


def check_sampling(probes, fn: Callable) -> Verdict:
    return verify_sampling(trace(probes, "ddpm_sample", fn), _schedule_inputs(), lambda x, t: SPY.eps(x, t), T, BATCH)


# ----------------------------------------------------------------- student-like variants, one knob per bug


def make_forward(*, zero_based=False, use_alphas=False, ab_at_t=False, no_sqrt=False, normalise=True,
                 t_high=None, loss_target="eps", randn_shape=False, over_t_minus_1=False):
    """A ``ddpm_forward`` written independently of the reference, with the chosen mistake."""

    def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
        n = x_0.shape[0]
        if zero_based:
            t = torch.randint(0, num_ts if t_high is None else t_high, (n,))
            index = t
        else:
            t = torch.randint(1, num_ts + 1 if t_high is None else t_high, (n,))
            index = t.clamp(max=num_ts - 1) if ab_at_t else t - 1
        a = ddpm_schedule["alphas" if use_alphas else "alpha_bars"][index].view(n, 1, 1, 1)
        eps = torch.randn(x_0.shape) if randn_shape else torch.randn_like(x_0)
        x_t = (a * x_0 + (1 - a) * eps) if no_sqrt else (a.sqrt() * x_0 + (1 - a).sqrt() * eps)
        t_in = t.float() / (num_ts - over_t_minus_1) if normalise else t.float()
        prediction = unet(x_t, t_in)
        return F.mse_loss(prediction, eps if loss_target == "eps" else x_0)

    return ddpm_forward


def _update(x, eps, betas, alphas, ab, t, *, use_alphas=False, ab_at_t=False, clamp=None):
    """``x_(t−1)``'s mean for 1-based ``t`` (schedule index ``t − 1``), as a student might write it."""
    a = alphas if use_alphas else ab
    if ab_at_t:
        ab_t, ab_prev = a[min(t, len(a) - 1)], a[t - 1]
    else:
        ab_t, ab_prev = a[t - 1], (a[t - 2] if t > 1 else torch.tensor(1.0))
    beta_t, alpha_t = betas[t - 1], alphas[t - 1]
    x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
    if clamp is not None:
        x0_hat = x0_hat.clamp(*clamp)
    return ab_prev.sqrt() * beta_t / (1 - ab_t) * x0_hat + alpha_t.sqrt() * (1 - ab_prev) / (1 - ab_t) * x


def _loop(eps_fn, schedule, shape, num_ts, seed, *, zero_based=False, normalise=True, noise_last=False,
          steps=None, uniform_start=False, posterior_sigma=False, over_t_minus_1=False, clip_images=False, **bugs):
    g = torch.Generator().manual_seed(seed)
    betas, alphas, ab = schedule["betas"], schedule["alphas"], schedule["alpha_bars"]
    x = torch.rand(shape, generator=g) if uniform_start else torch.randn(shape, generator=g)
    frames = [x.clone()]
    for t in range(num_ts, num_ts - (steps or num_ts), -1):
        label = t - 1 if zero_based else t
        t_in = torch.full((shape[0],), label / (num_ts - over_t_minus_1) if normalise else float(label))
        eps = eps_fn(x, t_in)
        z = torch.randn(shape, generator=g) if (t > 1 or noise_last) else torch.zeros(shape)
        ab_prev = ab[t - 2] if t > 1 else torch.tensor(1.0)
        variance = (1 - ab_prev) / (1 - ab[t - 1]) * betas[t - 1] if posterior_sigma else betas[t - 1]
        x = _update(x, eps, betas, alphas, ab, t, **bugs) + variance.sqrt() * z
        frames.append(x.clone())
    return (x.clamp(0, 1) if clip_images else x), frames


def make_sample(**bugs):
    def ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
        with torch.no_grad():
            return _loop(lambda x, t: unet(x, t), ddpm_schedule, (num_samples, 1, *img_wh), num_ts, seed, **bugs)

    return ddpm_sample


def make_sample_cond(*, sign=1.0, swap=False, drop_class=False, **bugs):
    def ddpm_sample_cond(unet, ddpm_schedule, c, img_wh, num_ts, guidance_scale=5.0, seed=0):
        c1h = F.one_hot(c, 10).float()
        mask = torch.zeros(c.shape[0]) if drop_class else torch.ones(c.shape[0])

        def eps_fn(x, t):
            eps_c = unet(x, c1h, t, mask)
            eps_u = unet(x, torch.zeros_like(c1h), t)
            if swap:
                eps_c, eps_u = eps_u, eps_c
            return eps_u + sign * guidance_scale * (eps_c - eps_u)

        with torch.no_grad():
            return _loop(eps_fn, ddpm_schedule, (c.shape[0], 1, *img_wh), num_ts, seed, **bugs)

    return ddpm_sample_cond


# ----------------------------------------------------------------------------------- the recorded trace


def test_trace_records_one_call_and_the_noise(probes):
    tensors = trace(probes, "ddpm_forward", ref.ddpm_forward)
    calls, draws = split_trace(tensors)
    assert len(calls) == 1 and set(calls[0]) == {"x", "t"}
    assert calls[0]["x"].shape == (256, 1, 28, 28)
    assert len(draws) == 1 and draws[0].shape == (256, 1, 28, 28)
    assert tensors["loss"].dim() == 0


def test_split_trace_orders_calls_and_draws_by_number():
    a, b, c = torch.zeros(1), torch.ones(1), torch.full((1,), 2.0)
    calls, draws = split_trace({"call_0002_x": c, "draw_010": b, "call_0000_x": a, "call_0000_t": b,
                                "draw_002": a, "loss": c, "call_0002_t": a})
    assert [sorted(call) for call in calls] == [["t", "x"], ["t", "x"]]
    assert calls[0]["x"] is a and calls[1]["x"] is c
    assert draws == [a, b]


def test_rng_tap_records_only_inside_recording(probes):
    tap = probes.rng_tap
    torch.randn(3)
    with tap.recording() as draws:
        torch.randn(2, 2)
        torch.zeros(4).normal_()
        torch.rand(5)  # uniform: not a Gaussian draw
    assert [tuple(d.shape) for d in draws] == [(2, 2), (4,)]


# ------------------------------------------------------------------------------------ training (Alg. 1)


def test_reference_forward_verifies_with_the_1_based_convention(probes):
    verdict = check_training(probes, ref.ddpm_forward)
    assert verdict.ok, verdict.message
    assert verdict.convention == 1


def test_independent_correct_forward_verifies_however_noise_is_drawn(probes):
    for fn in (make_forward(), make_forward(randn_shape=True)):
        verdict = check_training(probes, fn)
        assert (verdict.ok, verdict.convention) == (True, 1), verdict.message


def test_consistent_0_based_forward_verifies_with_convention_0(probes):
    verdict = check_training(probes, make_forward(zero_based=True))
    assert verdict.ok, verdict.message
    assert verdict.convention == 0


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ({"use_alphas": True}, "α_t was used where ᾱ_t (alpha_bars) belongs"),
        ({"ab_at_t": True}, "ᾱ is indexed off by one"),
        ({"no_sqrt": True}, "the square roots seem to be missing"),
        ({"normalise": False}, "t is not normalised"),
        ({"loss_target": "x0"}, "the loss must compare the UNet's prediction with the noise ε"),
        ({"t_high": T}, "t covered schedule indices 0…28 only; draw t uniformly from {1, …, T}"),
    ],
    ids=["alphas-for-alpha-bars", "alpha-bar-at-t", "no-sqrt", "t-not-normalised", "loss-vs-x0", "t-misses-T"],
)
def test_buggy_forward_fails_with_a_hint_naming_the_bug(probes, bug, fragment):
    verdict = check_training(probes, make_forward(**bug))
    assert not verdict.ok
    assert fragment in verdict.message, verdict.message


def test_forward_must_call_the_unet_once_and_return_a_scalar(probes):
    def twice(unet, ddpm_schedule, x_0, num_ts):
        return make_forward()(unet, ddpm_schedule, x_0, num_ts) + 0 * unet(x_0, torch.ones(x_0.shape[0])).sum()

    verdict = check_training(probes, twice)
    assert not verdict.ok and "exactly one UNet call" in verdict.message and "saw 2" in verdict.message

    def per_pixel(unet, ddpm_schedule, x_0, num_ts):
        eps = torch.randn_like(x_0)
        return (unet(x_0, torch.ones(x_0.shape[0])) - eps) ** 2

    verdict = check_training(probes, per_pixel)
    assert not verdict.ok and "scalar loss" in verdict.message


def test_noise_not_drawn_by_torch_gaussians_is_not_accepted(probes):
    def uniform_noise(unet, ddpm_schedule, x_0, num_ts):
        t = torch.randint(1, num_ts + 1, (x_0.shape[0],))
        a = ddpm_schedule["alpha_bars"][t - 1].view(-1, 1, 1, 1)
        eps = torch.rand_like(x_0) * 2 - 1
        return F.mse_loss(unet(a.sqrt() * x_0 + (1 - a).sqrt() * eps, t / num_ts), eps)

    verdict = check_training(probes, uniform_noise)
    assert not verdict.ok
    assert "any noise drawn" in verdict.message


# ------------------------------------------------------------------------------------ sampling (Alg. 2)


def test_reference_sample_verifies_with_the_1_based_convention(probes):
    verdict = check_sampling(probes, ref.ddpm_sample)
    assert verdict.ok, verdict.message
    assert verdict.convention == 1
    assert "1-based" in verdict.message and f"all {T} steps" in verdict.message


def test_independent_correct_sample_verifies(probes):
    verdict = check_sampling(probes, make_sample())
    assert (verdict.ok, verdict.convention) == (True, 1), verdict.message


def test_consistent_0_based_sample_verifies_with_convention_0(probes):
    verdict = check_sampling(probes, make_sample(zero_based=True))
    assert verdict.ok, verdict.message
    assert verdict.convention == 0 and "0-based" in verdict.message


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ({"ab_at_t": True}, "ᾱ seems indexed at t instead of t−1"),
        ({"use_alphas": True}, "α_t seems used in place of ᾱ_t"),
        ({"normalise": False}, "t is not normalised"),
        ({"noise_last": True}, "the last step (t = 1) must add no noise"),
        ({"steps": T - 1}, f"expected {T} denoising steps"),
        ({"uniform_start": True}, "x_T must be a fresh draw of N(0, I) noise"),
    ],
    ids=["alpha-bar-at-t", "alphas-for-alpha-bars", "t-not-normalised", "noise-on-last-step", "one-step-short",
         "uniform-start"],
)
def test_buggy_sample_fails_with_a_hint_naming_the_bug(probes, bug, fragment):
    verdict = check_sampling(probes, make_sample(**bug))
    assert not verdict.ok
    assert fragment in verdict.message, verdict.message


@pytest.mark.parametrize(("form", "described"), [({"clamp": (-1.0, 1.0)}, "x̂_0 clamped to [-1, 1]"),
                                                 ({"clamp": (0.0, 1.0)}, "x̂_0 clamped to [0, 1]"),
                                                 ({"posterior_sigma": True}, "σ_t² = β̃_t")],
                         ids=["clamp-minus-one-one", "clamp-zero-one", "posterior-variance"])
def test_sampler_forms_of_the_ddpm_paper_verify_and_are_named(probes, form, described):
    verdict = check_sampling(probes, make_sample(**form))
    assert verdict.ok and described in verdict.message, verdict.message


def test_clamping_to_another_range_is_not_a_sampler_form(probes):
    verdict = check_sampling(probes, make_sample(clamp=(-0.5, 0.5)))
    assert not verdict.ok and "Algorithm-2 update" in verdict.message, verdict.message


def test_clamped_sampler_with_a_bug_still_fails(probes):
    verdict = check_sampling(probes, make_sample(clamp=(-1.0, 1.0), ab_at_t=True))
    assert not verdict.ok and f"step t = {T}:" in verdict.message, verdict.message


@pytest.mark.parametrize("layout", ["list", "numpy list", "stacked N T", "stacked T N"])
def test_frames_meta_accepts_lists_and_stacked_snapshots(probes, layout):
    images = torch.zeros(4, 1, 28, 28)
    snapshots = [images.clone() for _ in range(5)]
    frames = {"list": snapshots, "numpy list": [f.numpy() for f in snapshots],
              "stacked N T": torch.stack(snapshots, dim=1), "stacked T N": torch.stack(snapshots).numpy()}[layout]
    assert probes._frames_meta(frames, tuple(images.shape)) == (5, True)


def test_frames_meta_rejects_snapshots_of_another_shape(probes):
    images = torch.zeros(4, 1, 28, 28)
    assert probes._frames_meta([images[:2]], tuple(images.shape))[1] is False
    assert probes._frames_meta(torch.zeros(4, 1, 28), tuple(images.shape)) == (-1, False)


def test_schedule_reaches_the_student_in_their_own_layout(probes):
    import numpy as np

    def own_schedule(beta1, beta2, num_ts):
        betas = np.linspace(beta1, beta2, num_ts).reshape(num_ts, 1)
        return {"betas": betas, "alphas": torch.zeros(num_ts, 1, 1, 1), "alpha_bars": torch.zeros(num_ts),
                "alpha_bars_prev": "computed by the student"}

    grader = _schedule_inputs()
    laid_out = probes._in_students_format({"ddpm_schedule": own_schedule}, dict(grader), T)
    assert isinstance(laid_out["betas"], np.ndarray) and laid_out["betas"].shape == (T, 1)
    assert np.allclose(laid_out["betas"].ravel(), grader["betas"].numpy())
    assert laid_out["alphas"].shape == (T, 1, 1, 1) and torch.equal(laid_out["alphas"].flatten(), grader["alphas"])
    assert torch.equal(laid_out["alpha_bars"], grader["alpha_bars"])  # the grader's values, not the student's
    assert laid_out["alpha_bars_prev"] == "computed by the student"


def test_schedule_stays_the_graders_when_the_students_function_fails(probes):
    def broken(beta1, beta2, num_ts):
        raise NotImplementedError

    grader = _schedule_inputs()
    assert probes._in_students_format({"ddpm_schedule": broken}, grader, T) is grader
    assert probes._in_students_format({}, grader, T) is grader


def test_sampling_alpha_bar_bug_is_caught_at_the_first_step(probes):
    verdict = check_sampling(probes, make_sample(ab_at_t=True))
    assert f"step t = {T}:" in verdict.message


# ----------------------------------------------------------------- class-conditioned sampling (Alg. 4)


def test_reference_and_independent_cfg_samplers_verify_with_the_guided_eps(probes):
    for fn in (ref.ddpm_sample_cond, make_sample_cond()):
        tensors = trace(probes, "ddpm_sample_cond", fn)
        verdict = verify_sampling(tensors, _schedule_inputs(), guided(), T, BATCH)
        assert (verdict.ok, verdict.convention) == (True, 1), verdict.message


def test_cfg_sign_flip_fails_and_is_exactly_the_negated_guidance(probes):
    tensors = trace(probes, "ddpm_sample_cond", make_sample_cond(sign=-1.0))
    verdict = verify_sampling(tensors, _schedule_inputs(), guided(5.0), T, BATCH)
    assert not verdict.ok
    assert "is not the Algorithm-2 update" in verdict.message
    assert verify_sampling(tensors, _schedule_inputs(), guided(-5.0), T, BATCH).ok


# --------------------------------------------------------------- the groups' checks on the same records


def test_time_group_passes_the_reference_and_agrees_on_convention(probes):
    group = DDPMTimeGroup()
    results = group.check(child_run(probes, group, {"ddpm_forward": ref.ddpm_forward, "ddpm_sample": ref.ddpm_sample}))
    assert [score for score, _ in results.values()] == [1.0, 1.0, 1.0], results


def test_time_group_accepts_0_based_in_both_and_rejects_a_mix(probes):
    group = DDPMTimeGroup()
    both = group.check(child_run(probes, group, {"ddpm_forward": make_forward(zero_based=True),
                                                 "ddpm_sample": make_sample(zero_based=True)}))
    assert [score for score, _ in both.values()] == [1.0, 1.0, 1.0], both
    mixed = group.check(child_run(probes, group, {"ddpm_forward": make_forward(zero_based=True),
                                                  "ddpm_sample": ref.ddpm_sample}))
    (train, _), (sample, _), (consistent, message) = mixed.values()
    assert (train, sample, consistent) == (1.0, 1.0, 0.0)
    assert "training uses 0-based" in message and "sampling uses 1-based" in message


def test_time_group_accepts_0_based_over_t_minus_1_in_both_and_rejects_a_mix(probes):
    group = DDPMTimeGroup()
    over = {"zero_based": True, "over_t_minus_1": True}
    both = group.check(child_run(probes, group, {"ddpm_forward": make_forward(**over), "ddpm_sample": make_sample(**over)}))
    assert [score for score, _ in both.values()] == [1.0, 1.0, 1.0], both
    assert "t/(T−1)" in list(both.values())[1][1]
    mixed = group.check(child_run(probes, group, {"ddpm_forward": make_forward(**over),
                                                  "ddpm_sample": make_sample(zero_based=True)}))
    (train, _), (sample, _), (consistent, message) = mixed.values()
    assert (train, sample, consistent) == (1.0, 1.0, 0.0)
    assert "training uses 0-based normalised by T−1" in message and "sampling uses 0-based (" in message


def test_t_over_t_minus_1_with_1_based_labels_is_still_a_mix(probes):
    verdict = check_sampling(probes, make_sample(over_t_minus_1=True))  # labels T…1 over T−1: t > 1 at the start
    assert not verdict.ok and "not normalised" in verdict.message, verdict.message


def test_last_image_clipped_to_mnist_range_verifies_but_noise_on_it_does_not(probes):
    assert check_sampling(probes, make_sample(clip_images=True)).ok
    verdict = check_sampling(probes, make_sample(clip_images=True, noise_last=True))
    assert not verdict.ok and "the last step (t = 1) must add no noise" in verdict.message


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ({"sign": -1.0}, "sign error in classifier-free guidance"),
        ({"swap": True}, "ε_c and ε_u are swapped"),
        ({"drop_class": True}, "the class was dropped (zeroed) on conditional calls while sampling"),
    ],
    ids=["sign-flipped", "swapped", "class-dropped"],
)
def test_cond_group_names_the_guidance_bug(probes, bug, fragment):
    group = DDPMClassCondGroup()
    results = group.check(child_run(probes, group, {"ddpm_forward_cond": ref.ddpm_forward_cond,
                                                    "ddpm_sample_cond": make_sample_cond(**bug)}))
    (loss, _), (dropout, _), (sample, message) = results.values()
    assert (loss, dropout, sample) == (1.0, 1.0, 0.0), results
    assert fragment in message, message


def test_cond_group_passes_the_reference(probes):
    group = DDPMClassCondGroup()
    results = group.check(child_run(probes, group, {"ddpm_forward_cond": ref.ddpm_forward_cond,
                                                    "ddpm_sample_cond": ref.ddpm_sample_cond}))
    assert [score for score, _ in results.values()] == [1.0, 1.0, 1.0], results


# ------------------------------------------------------------------------------- building the student's blocks


def test_build_repeats_the_channel_count_for_an_in_out_unflatten(probes):
    class InOut(torch.nn.Module):
        def __init__(self, in_channels: int, out_channels: int):
            super().__init__()
            self.shape = (in_channels, out_channels)

    assert probes._build(InOut, [6]).shape == (6, 6)


def test_build_keeps_other_constructor_errors(probes):
    class NeedsSize(torch.nn.Module):
        def __init__(self, in_channels: int, size: int):
            super().__init__()

    class Broken(torch.nn.Module):
        def __init__(self, in_channels: int):
            raise TypeError("broken inside")

    with pytest.raises(TypeError, match="size"):
        probes._build(NeedsSize, [6])
    with pytest.raises(TypeError, match="broken inside"):
        probes._build(Broken, [6])


def test_build_leaves_out_num_classes_for_a_time_unet_without_it(probes):
    class TwoArgs(torch.nn.Module):
        def __init__(self, in_channels: int, num_hiddens: int):
            super().__init__()
            self.args = (in_channels, num_hiddens)

    assert probes._build(TwoArgs, [1, 10, 64]).args == (1, 64)


def test_noise_drawn_once_and_reused_at_every_step_fails(probes):
    def reused(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
        g = torch.Generator().manual_seed(seed)
        shape = (num_samples, 1, *img_wh)
        betas, alphas, ab = ddpm_schedule["betas"], ddpm_schedule["alphas"], ddpm_schedule["alpha_bars"]
        x, z_once = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        with torch.no_grad():
            for t in range(num_ts, 0, -1):
                eps = unet(x, torch.full((num_samples,), t / num_ts))
                z = z_once if t > 1 else torch.zeros(shape)
                x = _update(x, eps, betas, alphas, ab, t) + betas[t - 1].sqrt() * z
        return x, [x]

    verdict = check_sampling(probes, reused)
    assert not verdict.ok and "reused noise drawn for an earlier step" in verdict.message, verdict.message
