"""Part A's loop groups: ``iterative_denoise``, ``iterative_denoise_cfg``, ``sdedit``, ``inpaint``, and the
illusions ``make_flip_illusion`` and ``make_hybrids``; :func:`groups` lists every Part A group in report order.
"""

from __future__ import annotations

import dataclasses

import torch

from autograder import config, strategies
from autograder.child.cases import CallCase, CallSpec, Probe, input_ref
from autograder.compare import matches_a_draw
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.groups.part_a_basics import BasicsGroup
from autograder.groups.part_a_oracle import (
    HYBRID_KERNEL,
    HYBRID_SIGMA,
    SCALE,
    SIZE,
    TIMESTEPS,
    Oracle,
    _all_cases,
    _image,
    _safe,
    oracle,
)
from autograder.groups.part_a_replay import LoopExpected
from autograder.sandbox import ChildRun, Record
from autograder.traces import NOISE_ATOL, split_trace


def groups() -> list[Group]:
    """All Part A groups, in report order."""
    return [BasicsGroup(), LoopsGroup(), IllusionsGroup()]


class LoopsGroup(Group):
    """``iterative_denoise``, ``iterative_denoise_cfg``, ``sdedit`` and ``inpaint``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_loops", part="a", probe_ref=Probe.PART_A_CALLS, timeout_s=config.TIME_LIMITS_S["part_a_loops"])
        self.tests = (
            TestSpec("iterative_denoise: strided DDPM steps with add_variance", 3.0, ("iterative_denoise",)),
            TestSpec("iterative_denoise_cfg: classifier-free guidance at every step", 3.0, ("iterative_denoise_cfg",)),
            TestSpec("sdedit: noise to timesteps[i_start], then the CFG loop", 2.0, ("sdedit",), public=False),
            TestSpec("inpaint: keep the original where mask = 0 at every step", 3.0, ("inpaint",), public=False),
        )

    def plan_spec(self) -> tuple[CallSpec, dict[str, torch.Tensor]]:
        o = oracle()
        i_starts = strategies.examples(strategies.i_starts(len(TIMESTEPS)), 2)
        inputs = {"p1": o.p1, "uncond": o.uncond, "im": _image(80), "noise": torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(81))}
        mask = torch.zeros(SIZE, SIZE)
        mask[4:12, 3:10] = 1
        inputs["mask"] = mask
        p1, uncond, im = input_ref("p1"), input_ref("uncond"), input_ref("im")
        cases = []
        for j, i_start in enumerate(i_starts):
            ab = o.alphas_cumprod[TIMESTEPS[i_start]]
            x = inputs[f"x{j}"] = ab.sqrt() * inputs["im"] + (1 - ab).sqrt() * inputs["noise"]
            self.expected[f"it{j}"] = LoopExpected("iterative_denoise", "plain", i_start, inputs["p1"], x_start=x)
            self.expected[f"cfg{j}"] = LoopExpected("iterative_denoise_cfg", "cfg", i_start, inputs["p1"], x_start=x)
            self.expected[f"sde{j}"] = LoopExpected("sdedit", "cfg", i_start, inputs["p1"], start_from=inputs["im"])
            cases.append(CallCase(key=f"it{j}", fn="iterative_denoise", args=(input_ref(f"x{j}"), i_start, p1, TIMESTEPS),
                                  seed=10 + j))
            cases.append(CallCase(key=f"cfg{j}", fn="iterative_denoise_cfg",
                                  args=(input_ref(f"x{j}"), i_start, p1, uncond, TIMESTEPS), kwargs={"scale": SCALE},
                                  seed=20 + j))
            sde = CallCase(key=f"sde{j}_real", fn="sdedit", args=(im, i_start, p1, uncond, TIMESTEPS),
                           kwargs={"scale": SCALE}, grader_forward=True, seed=30 + j)
            cases.append(dataclasses.replace(sde, key=f"sde{j}_wired", stub_cfg=True))
            cases.append(sde)
        cases.append(CallCase(key="inpaint", fn="inpaint", args=(im, input_ref("mask"), p1, uncond, TIMESTEPS),
                              kwargs={"scale": SCALE}, grader_forward=True, seed=40))
        self.expected["inpaint"] = LoopExpected("inpaint", "cfg", 0, inputs["p1"], inpaint=(inputs["im"], inputs["mask"]))
        return CallSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o = oracle()
        loops = self.expected_of(LoopExpected)
        keys = {fn: [k for k, want in loops.items() if want.fn == fn]
                for fn in ("iterative_denoise", "iterative_denoise_cfg", "sdedit", "inpaint")}
        outcome = {}
        outcome[self.tests[0].name] = _all_cases(run, keys["iterative_denoise"], lambda r, k: loops[k].replay(r, o))
        outcome[self.tests[1].name] = _all_cases(run, keys["iterative_denoise_cfg"], lambda r, k: loops[k].replay(r, o))
        outcome[self.tests[2].name] = _all_cases_either(run, keys["sdedit"], lambda r, k: _check_sdedit_wired(r, o, loops[k]),
                                                        lambda r, k: loops[k].replay(r, o))
        outcome[self.tests[3].name] = _all_cases(run, keys["inpaint"], lambda r, k: loops[k].replay(r, o))
        return outcome


def _all_cases_either(run, keys, wired, real) -> tuple[float, str]:
    for key in keys:
        record, why = record_or_reason(run, f"{key}_wired")
        ok, message = (False, why) if record is None else _safe(wired, record, key)
        if ok:
            continue
        record, why = record_or_reason(run, f"{key}_real")
        ok2, message2 = (False, why) if record is None else _safe(real, record, key)
        if not ok2:
            return 0.0, message2 if record is not None else message
    return 1.0, f"correct on all {len(keys)} cases"


def _check_sdedit_wired(record: Record, o: Oracle, want: LoopExpected) -> tuple[bool, str]:
    im, i_start = want.start_from, want.i_start
    if record.meta.get("cfg_calls", 0) != 1:
        return False, "sdedit should call iterative_denoise_cfg once"
    noisy = record.tensors.get("cfg_im_noisy")
    if noisy is None or noisy.shape != im.shape:
        return False, "sdedit passed no image of the right shape to iterative_denoise_cfg"
    t = TIMESTEPS[i_start]
    ab = o.alphas_cumprod[t].double()
    _, draws = split_trace(record.tensors)
    eps = (noisy.double() - ab.sqrt() * im.double()) / (1 - ab).sqrt()
    if not matches_a_draw(eps, draws, NOISE_ATOL):
        return False, f"the image handed to the loop is not forward(im, timesteps[i_start] = {t})"
    if record.meta.get("cfg_i_start") != i_start or record.meta.get("cfg_timesteps") != TIMESTEPS:
        return False, f"iterative_denoise_cfg must continue from i_start = {i_start} on the same timesteps (got {record.meta.get('cfg_i_start')})"
    if abs(float(record.meta.get("cfg_scale") or 0) - SCALE) > 1e-9:
        return False, f"the guidance scale {record.meta.get('cfg_scale')} was not passed on (expected {SCALE})"
    out = record.tensors.get("out")
    if out is None or float((out - 0.125).abs().max()) > 1e-6:
        return False, "sdedit must return the loop's result"
    return True, ""


class IllusionsGroup(Group):
    """``make_flip_illusion`` and ``make_hybrids``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_illusions", part="a", probe_ref=Probe.PART_A_CALLS, timeout_s=config.TIME_LIMITS_S["part_a_illusions"])
        self.tests = (
            TestSpec("make_flip_illusion: ε = (ε_1 + flip(ε_2(flip(x))))/2 at every step", 3.0, ("make_flip_illusion",), public=False),
            TestSpec("make_hybrids: ε = lowpass(ε_1) + highpass(ε_2) at every step", 3.0, ("make_hybrids",), public=False),
        )

    def plan_spec(self) -> tuple[CallSpec, dict[str, torch.Tensor]]:
        o = oracle()
        inputs = {"p1": o.p1, "p2": o.p2, "uncond": o.uncond,
                  "x": torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(90))}
        i_start = 1
        for key, fn, kind in (("flip", "make_flip_illusion", "flip"), ("hybrid", "make_hybrids", "hybrid")):
            self.expected[key] = LoopExpected(fn, kind, i_start, inputs["p1"], x_start=inputs["x"], p2=inputs["p2"])
        args = (input_ref("x"), i_start, input_ref("p1"), input_ref("p2"), input_ref("uncond"), TIMESTEPS)
        cases = [
            CallCase(key="flip", fn="make_flip_illusion", args=args, kwargs={"scale": SCALE}, seed=50),
            CallCase(key="hybrid", fn="make_hybrids", args=args,
                     kwargs={"scale": SCALE, "kernel_size": HYBRID_KERNEL, "sigma": HYBRID_SIGMA}, seed=51),
        ]
        return CallSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o, loops = oracle(), self.expected_of(LoopExpected)
        return {
            self.tests[0].name: _all_cases(run, ["flip"], lambda r, k: _replay_illusion(r, loops[k], o)),
            self.tests[1].name: _all_cases(run, ["hybrid"], lambda r, k: _replay_illusion(r, loops[k], o)),
        }


def _replay_illusion(record: Record, want: LoopExpected, o: Oracle) -> tuple[bool, str]:
    """An illusion's replay; one without an ``i_start`` parameter was called without it (the probe says so) and
    is expected to start from the same pure noise at ``timesteps[0]``."""
    if record.meta.get("no_i_start"):
        want = dataclasses.replace(want, i_start=0)
    return want.replay(record, o)
