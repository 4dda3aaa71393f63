"""The in-notebook checks' failure messages name the bug.

Each case is the reference implementation (``solutions/part_b.py``, ``solutions/part_a.py``) with one typical
student bug — a missing BatchNorm2d, ReLU for GELU, a schedule off by one, σ² for σ, the guidance sign flipped, … —
run through the public ``check``; the ❌ line of the check that catches it must say what is wrong. Source bugs are
made in a fresh copy of the reference module (one replacement inside one function), so the copy's functions see
its own globals exactly as notebook code sees the notebook's; the same copy without the bug passes every check.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_checks_behaviour import assert_passes, outcome, spec_name
from torch import nn

from assignment.checks import CHECKS
from solutions import part_b as pb

REPO = Path(__file__).resolve().parents[1]


def reference_copy(part: str, name: str, old: str | None = None, new: str | None = None) -> Callable:
    """``name`` from a fresh copy of ``solutions/part_{part}.py``, with ``old`` replaced by ``new`` inside it.

    ``old`` must occur exactly once in ``name``'s source (so the bug is one edit of one function).
    """
    path = REPO / "solutions" / f"part_{part}.py"
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    node = next((n for n in ast.parse(source).body if getattr(n, "name", None) == name), None)
    assert node is not None, f"solutions/part_{part}.py defines no {name}"
    start, end = node.lineno - 1, node.end_lineno
    body = "".join(lines[start:end])
    if old is not None:
        assert body.count(old) == 1, (f"the reference {name} should contain {old!r} exactly once (found "
                                      f"{body.count(old)}): update this case to the reference's current code")
        body = body.replace(old, new)
    module = types.ModuleType(f"solutions.part_{part}_copy")
    module.__file__, module.__package__ = str(path), "solutions"
    code = compile("".join(lines[:start]) + body + "".join(lines[end:]), str(path), "exec")
    exec(code, module.__dict__)  # noqa: S102  (the reference, one edit made above)
    return getattr(module, name)


def failing_line(obj, check: str) -> str:
    """The ❌ line of ``obj``'s public check whose description contains ``check``."""
    passed, total, text = outcome(obj)
    assert passed < total, f"the bug went unnoticed:\n{text}"
    lines = [line for line in text.splitlines() if line.startswith("❌ ") and check in line]
    assert lines, f"the check {check!r} should be the one failing:\n{text}"
    return lines[0]


# ------------------------------------------------------------------------------------------------ Part B


@spec_name("Conv")
class ConvWithoutBatchNorm(pb.Conv):
    """The reference Conv with its BatchNorm2d taken out: Conv2d → GELU."""

    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.net = nn.Sequential(self.net[0], self.net[2])


@spec_name("FCBlock")
class FCBlockWithReLU(pb.FCBlock):
    """The reference FCBlock with ReLU between its Linear layers."""

    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.net[1] = nn.ReLU()


@dataclass(frozen=True)
class Case:
    """A known-wrong implementation, the check that must catch it and what its message must say."""

    id: str
    build: Callable[[], object]
    check: str  # part of the failing check's description
    says: tuple[str, ...]  # parts of its message


CASES = [
    Case("Conv without BatchNorm2d", lambda: ConvWithoutBatchNorm, "Conv computes",
         ("blind to the input's scale", "is BatchNorm2d missing after the first convolution")),
    Case("FCBlock with ReLU", lambda: FCBlockWithReLU, "FCBlock is Linear",
         ("ReLU is between them: use GELU",)),
    Case("ddpm_schedule betas off by one",
         lambda: reference_copy("b", "ddpm_schedule", "torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)",
                                "torch.linspace(beta1, beta2, num_ts + 1, dtype=torch.float32)[1:]"),
         "betas evenly spaced", ("betas should run from 1e-4 to 0.02 inclusive", "got 0.000166")),
    Case("ddpm_schedule alpha_bars shifted by one",
         lambda: reference_copy("b", "ddpm_schedule", "torch.cumprod(alphas, dim=0)",
                                "torch.cat([torch.ones(1), torch.cumprod(alphas, dim=0)[:-1]])"),
         "ᾱ = cumprod", ("alpha_bars[0] should equal alphas[0] (t = 1)",)),
    Case("add_noise with σ²", lambda: reference_copy("b", "add_noise", "x + sigma * eps", "x + sigma**2 * eps"),
         "standard deviation σ", ("σ = 0.2: the noise std should be ≈ 0.2, got 0.04",)),
    Case("ddpm_forward without t/T",
         lambda: reference_copy("b", "ddpm_forward", "t.to(x_0.dtype) / num_ts", "t.to(x_0.dtype)"),
         "perfect noise predictor gives loss 0", ("outside the range of a 10-step schedule", "is t normalised by T?")),
    Case("ddpm_forward_cond dropout inverted",
         lambda: reference_copy("b", "ddpm_forward_cond", ">= p_uncond", "< p_uncond"),
         "drops the class", ("p_uncond = 0.0: 100.0% of the classes were dropped",)),
    Case("ddpm_sample_cond guidance sign flipped",
         lambda: reference_copy("b", "ddpm_sample_cond", "eps_u + guidance_scale * (eps_c - eps_u)",
                                "eps_u - guidance_scale * (eps_c - eps_u)"),
         "perfect noise predictor", ("γ = 1 should follow the conditional estimate", "ε = ε_u + γ (ε_c − ε_u)")),
    # ------------------------------------------------------------------------- Part B, flow-matching version
    Case("time_fm_forward with the target's sign flipped",
         lambda: reference_copy("b_fm", "time_fm_forward", "unet(x_t, t), target)", "unet(x_t, t), -target)"),
         "exact velocity predictor gives loss 0", ("expected 0 for a UNet that predicts the true velocity",
                                                   "the target x_1 − x_0")),
    Case("class_fm_forward without class dropout",
         lambda: reference_copy("b_fm", "class_fm_forward", "(torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond)",
                                "torch.ones(x_1.shape[0], device=x_1.device, dtype=torch.bool)"),
         "drops the class", ("p_uncond = 1.0: 0.0% of the classes were dropped",)),
    Case("time_fm_sample with twice the step",
         lambda: reference_copy("b_fm", "time_fm_sample", "lambda x, t: unet(x, t)", "lambda x, t: 2 * unet(x, t)"),
         "constant velocity u moves", ("x moved by 2·u on average", "check the step size")),
    Case("class_fm_sample with the CFG branches swapped",
         lambda: reference_copy("b_fm", "class_fm_sample", "u_u + guidance_scale * (u_c - u_u)",
                                "u_c + guidance_scale * (u_u - u_c)"),
         "lands on the data point", ("γ = 1 should follow the conditional velocity", "u = u_u + γ (u_c − u_u)")),
    # ------------------------------------------------------------------------------------------ Part A
    Case("forward with 1 − ᾱ_t instead of its root",
         lambda: reference_copy("a", "forward", "(1 - alpha_cumprod).sqrt() * noise", "(1 - alpha_cumprod) * noise"),
         "forward(im, t)", ("should be standard normal noise", "std 0.499", "the roots")),
    Case("iterative_denoise_cfg guidance sign flipped",
         lambda: reference_copy("a", "iterative_denoise_cfg", "noise_est_uncond + scale *", "noise_est_uncond - scale *"),
         "ε = ε_u + γ(ε_c − ε_u)", ("with scale = 1 the result should follow the conditional estimate",)),
    Case("make_flip_illusion rotated instead of flipped",
         lambda: reference_copy("a", "make_flip_illusion", "flipped = image.flip(2)", "flipped = image.flip(2, 3)"),
         "flip = upside down", ("flip the rows (dim 2)", "not a 180° rotation")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_message_names_the_bug(case):
    line = failing_line(case.build(), case.check)
    missing = [part for part in case.says if part not in line]
    assert not missing, f"{case.id}: the message should say {missing}:\n{line}"


COPIED = sorted({("b", "ddpm_schedule"), ("b", "add_noise"), ("b", "ddpm_forward"), ("b", "ddpm_forward_cond"),
                 ("b", "ddpm_sample_cond"), ("b_fm", "time_fm_forward"), ("b_fm", "class_fm_forward"),
                 ("b_fm", "time_fm_sample"), ("b_fm", "class_fm_sample"), ("a", "forward"), ("a", "iterative_denoise_cfg"),
                 ("a", "make_flip_illusion")})


@pytest.mark.parametrize("part, name", COPIED, ids=lambda value: value)
def test_the_copy_without_the_bug_passes(part, name):
    """The failures above come from the bug, not from running a copy of the reference."""
    assert name in CHECKS
    assert_passes(reference_copy(part, name))


def test_every_case_is_a_named_check():
    assert len(CASES) >= 6
    names = {getattr(case.build(), "__name__", None) for case in CASES}
    assert names <= set(CHECKS), names - set(CHECKS)


def test_check_finds_the_anagram_under_the_courses_deliverable_name(capsys):
    """``check(visual_anagrams)`` runs ``make_flip_illusion``'s checks (it said "no public checks" before)."""
    from assignment.checks import check

    def visual_anagrams(image, i_start, prompt_embeds_1, prompt_embeds_2, uncond_prompt_embeds, timesteps, scale=7):
        raise NotImplementedError

    check(visual_anagrams)
    printed = capsys.readouterr().out
    assert "no public checks" not in printed and "make_flip_illusion" in printed, printed


def test_a_check_that_could_not_run_is_not_counted_as_passed(capsys):
    """Before the setup cell has run, ``check(forward)`` said "✅ forward: 1/1 public checks passed" under a ➖ line."""
    from assignment.checks import check

    def forward(im, t):
        return im

    forward.__globals__.pop("stage_1", None)  # this test module has no setup: the check cannot run yet
    check(forward)
    printed = capsys.readouterr().out
    assert "➖" in printed and "passed" not in printed.splitlines()[-1], printed
