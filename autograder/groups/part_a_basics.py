"""Part A's first test group: ``forward``, ``gaussian_denoise`` and ``one_step_denoise``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision.transforms.functional as TF

from autograder import config, strategies
from autograder.child.cases import CallCase, CallSpec, Probe, input_ref
from autograder.compare import check_tensor, matches_a_draw, max_diff, tensor_problem
from autograder.groups.base import Group, TestSpec
from autograder.groups.part_a_oracle import (
    Oracle,
    _all_cases,
    _as_student_image,
    _image,
    _returned_form,
    _shape_problem,
    _tol,
    _zero_padded_blur,
    oracle,
)
from autograder.sandbox import ChildRun, Record
from autograder.traces import NOISE_ATOL, split_trace


@dataclass(frozen=True)
class ForwardExpected:
    """``forward(im, t)``: the clean image handed in and ``t`` (the noise is the draw the call made)."""

    im: torch.Tensor
    t: int


@dataclass(frozen=True)
class OneStepExpected:
    """``one_step_denoise``: the reference's x̂_0."""

    x0_hat: torch.Tensor


@dataclass(frozen=True)
class BlurExpected:
    """``gaussian_denoise``: the accepted blurs (torchvision's reflect padding, zero padding)."""

    candidates: list[torch.Tensor]


class BasicsGroup(Group):
    """``forward``, ``gaussian_denoise`` and ``one_step_denoise``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_basics", part="a", probe_ref=Probe.PART_A_CALLS, timeout_s=config.TIME_LIMITS_S["part_a_basics"])
        self.tests = (
            TestSpec("forward: x_t = sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε", 2.0, ("forward",)),
            TestSpec("gaussian_denoise: a Gaussian blur with the given kernel size and σ", 1.0, ("gaussian_denoise",)),
            TestSpec("one_step_denoise: x̂_0 from one UNet call", 2.0, ("one_step_denoise",)),
        )

    def plan_spec(self) -> tuple[CallSpec, dict[str, torch.Tensor]]:
        o = oracle()
        inputs = {"p1": o.p1}
        cases = []
        ts = strategies.examples(strategies.timesteps(), 3)
        for j, t in enumerate(ts):
            inputs[f"im{j}"] = _image(60 + j, batch=1 + j % 2)
            cases.append(CallCase(key=f"forward{j}", fn="forward", args=(input_ref(f"im{j}"), t), seed=j))
            self.expected[f"forward{j}"] = ForwardExpected(inputs[f"im{j}"], t)
            x_t = o.alphas_cumprod[t].sqrt() * inputs[f"im{j}"] + (1 - o.alphas_cumprod[t]).sqrt() * torch.randn(
                inputs[f"im{j}"].shape, generator=torch.Generator().manual_seed(70 + j))
            inputs[f"noisy{j}"] = x_t
            inputs[f"noisy1_{j}"] = x_t[:1].clone()  # one image, as in the course: embeddings [1, …] fit it
            eps, _ = o.predict(x_t[:1], t, o.p1)
            ab = o.alphas_cumprod[t]
            self.expected[f"onestep{j}"] = OneStepExpected((x_t[:1] - (1 - ab).sqrt() * eps) / ab.sqrt())
            cases.append(CallCase(key=f"onestep{j}", fn="one_step_denoise", args=(input_ref(f"noisy1_{j}"), t, input_ref("p1"))))
        for j, (k, s) in enumerate(strategies.examples(strategies.blur_settings(), 2)):
            x = inputs[f"noisy{j}"]
            self.expected[f"blur{j}"] = BlurExpected([TF.gaussian_blur(x, [k, k], [s, s]), _zero_padded_blur(x, k, s)])
            cases.append(CallCase(key=f"blur{j}", fn="gaussian_denoise", args=(input_ref(f"noisy{j}"), k, s)))
        return CallSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o = oracle()
        outcome: dict[str, tuple[float, str]] = {}
        forward, blur, onestep = (self.expected_of(kind) for kind in (ForwardExpected, BlurExpected, OneStepExpected))
        outcome[self.tests[0].name] = _all_cases(run, list(forward),
                                                 lambda r, k: _check_forward(r, forward[k].im, forward[k].t, o))
        outcome[self.tests[1].name] = _all_cases(run, list(blur), lambda r, k: _check_blur(r, blur[k].candidates))
        outcome[self.tests[2].name] = _all_cases(run, list(onestep),
                                                 lambda r, k: _check_plain(r, onestep[k].x0_hat, "x̂_0",
                                                                           "x̂_0 = (x_t − sqrt(1−ᾱ_t)·ε̂)/sqrt(ᾱ_t), ε̂ = the UNet's first 3 channels, ᾱ_t = alphas_cumprod[t]"))
        return outcome


def _check_forward(record: Record, im: torch.Tensor, t: int, o: Oracle) -> tuple[bool, str]:
    out = record.tensors.get("out")
    problem = tensor_problem(out, tuple(im.shape), f"forward(im, {t})")
    if problem:
        return False, problem
    _, draws = split_trace(record.tensors)
    ab = o.alphas_cumprod[t].double()
    eps = (out.double() - ab.sqrt() * im.double()) / (1 - ab).sqrt()
    if matches_a_draw(eps, draws, NOISE_ATOL):
        return True, ""
    alternatives = {
        "the square roots are missing": (ab, 1 - ab),
        "ᾱ is indexed at t−1 or t+1": None,
    }
    a, b = alternatives["the square roots are missing"]
    if matches_a_draw((out.double() - a * im.double()) / b, draws, NOISE_ATOL):
        return False, f"t = {t}: x_t ≠ sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε — hint: the square roots are missing"
    for shift in (-1, 1):
        ab_s = o.alphas_cumprod[min(999, max(0, t + shift))].double()
        if matches_a_draw((out.double() - ab_s.sqrt() * im.double()) / (1 - ab_s).sqrt(), draws, NOISE_ATOL):
            return False, f"t = {t}: hint: ᾱ is indexed at t{shift:+d}; use alphas_cumprod[t]"
    return False, f"t = {t}: x_t is not sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε for any noise drawn — use ᾱ_t = alphas_cumprod[t] (not α_t) and draw ε with randn_like"


def _check_blur(record: Record, candidates: list[torch.Tensor]) -> tuple[bool, str]:
    out = record.tensors.get("out")
    problem = tensor_problem(out, tuple(candidates[0].shape), "gaussian_denoise output")
    if problem:
        return False, problem
    if any(max_diff(out, c) <= 1e-4 for c in candidates):
        return True, ""
    return False, f"the blur differs from a Gaussian blur with this kernel size and σ (max |Δ| = {min(max_diff(out, c) for c in candidates):.3g}); use torchvision's gaussian_blur(im, kernel_size, sigma)"


def _check_plain(record: Record, expected: torch.Tensor, what: str, hint: str) -> tuple[bool, str]:
    """The returned image equals ``expected`` (or ``expected`` clamped to ``[-1, 1]``, which SPEC §4 allows)."""
    out = record.tensors.get("out")
    problem = _shape_problem(out, _as_student_image(expected, record), what, record)
    if problem:
        return False, problem
    best = None
    for candidate in (expected, expected.clamp(-1, 1)):
        converted = _as_student_image(candidate, record)
        ok, message = check_tensor(out, converted, what, _tol(converted))
        if ok:
            return True, message
        best = best or message
    return False, f"{best}{_returned_form(record)}. Hint: {hint}"
