"""Part A's loop groups: ``iterative_denoise``, ``iterative_denoise_cfg``, ``sdedit``, ``inpaint``, and the
illusions ``make_flip_illusion`` and ``make_hybrids``; :func:`groups` lists every Part A group in report order.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder import config, strategies
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
from autograder.groups.part_a_replay import replay
from autograder.sandbox import ChildRun, Record
from autograder.traces import NOISE_ATOL, split_trace


def groups() -> list[Group]:
    """All Part A groups, in report order."""
    return [BasicsGroup(), LoopsGroup(), IllusionsGroup()]


class LoopsGroup(Group):
    """``iterative_denoise``, ``iterative_denoise_cfg``, ``sdedit`` and ``inpaint``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_loops", part="a", probe_module="probes_part_a", probe="run_calls", timeout_s=config.TIME_LIMITS_S["part_a_loops"])
        self.tests = (
            TestSpec("iterative_denoise: strided DDPM steps with add_variance", 3.0, ("iterative_denoise",)),
            TestSpec("iterative_denoise_cfg: classifier-free guidance at every step", 3.0, ("iterative_denoise_cfg",)),
            TestSpec("sdedit: noise to timesteps[i_start], then the CFG loop", 2.0, ("sdedit",), public=False),
            TestSpec("inpaint: keep the original where mask = 0 at every step", 3.0, ("inpaint",), public=False),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        o = oracle()
        i_starts = strategies.examples(strategies.i_starts(len(TIMESTEPS)), 2)
        inputs = {"p1": o.p1, "uncond": o.uncond, "im": _image(80), "noise": torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(81))}
        mask = torch.zeros(SIZE, SIZE)
        mask[4:12, 3:10] = 1
        inputs["mask"] = mask
        cases = []
        for j, i_start in enumerate(i_starts):
            ab = o.alphas_cumprod[TIMESTEPS[i_start]]
            inputs[f"x{j}"] = ab.sqrt() * inputs["im"] + (1 - ab).sqrt() * inputs["noise"]
            self.expected[f"it{j}"] = self.expected[f"cfg{j}"] = self.expected[f"sde{j}"] = i_start
            cases.append({"key": f"it{j}", "fn": "iterative_denoise", "args": [f"@x{j}", i_start, "@p1", TIMESTEPS], "seed": 10 + j})
            cases.append({"key": f"cfg{j}", "fn": "iterative_denoise_cfg", "args": [f"@x{j}", i_start, "@p1", "@uncond", TIMESTEPS],
                          "kwargs": {"scale": SCALE}, "seed": 20 + j})
            sde = {"fn": "sdedit", "args": ["@im", i_start, "@p1", "@uncond", TIMESTEPS], "kwargs": {"scale": SCALE},
                   "grader_forward": True, "seed": 30 + j}
            cases.append({"key": f"sde{j}_wired", "stub_cfg": True, **sde})
            cases.append({"key": f"sde{j}_real", **sde})
        cases.append({"key": "inpaint", "fn": "inpaint", "args": ["@im", "@mask", "@p1", "@uncond", TIMESTEPS],
                      "kwargs": {"scale": SCALE}, "grader_forward": True, "seed": 40})
        self.expected["inputs"] = inputs
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o = oracle()
        x = self.expected["inputs"]
        outcome = {}
        outcome[self.tests[0].name] = _all_cases(run, [k for k in self.expected if k.startswith("it")],
            lambda r, k: replay(r, o, "plain", x[f"x{k[2:]}"], self.expected[k], x["p1"]))
        outcome[self.tests[1].name] = _all_cases(run, [k for k in self.expected if k.startswith("cfg")],
            lambda r, k: replay(r, o, "cfg", x[f"x{k[3:]}"], self.expected[k], x["p1"]))
        sde_keys = [k for k in self.expected if k.startswith("sde")]
        outcome[self.tests[2].name] = _all_cases_either(run, sde_keys, lambda r, k: _check_sdedit_wired(r, o, x, self.expected[k]),
                                                        lambda r, k: replay(r, o, "cfg", None, self.expected[k], x["p1"], start_from=x["im"]))
        outcome[self.tests[3].name] = _all_cases(run, ["inpaint"],
            lambda r, k: replay(r, o, "cfg", None, 0, x["p1"], inpaint=(x["im"], x["mask"])))
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


def _check_sdedit_wired(record: Record, o: Oracle, x: dict[str, torch.Tensor], i_start: int) -> tuple[bool, str]:
    if record.meta.get("cfg_calls", 0) != 1:
        return False, "sdedit should call iterative_denoise_cfg once"
    noisy = record.tensors.get("cfg_im_noisy")
    if noisy is None or noisy.shape != x["im"].shape:
        return False, "sdedit passed no image of the right shape to iterative_denoise_cfg"
    t = TIMESTEPS[i_start]
    ab = o.alphas_cumprod[t].double()
    _, draws = split_trace(record.tensors)
    eps = (noisy.double() - ab.sqrt() * x["im"].double()) / (1 - ab).sqrt()
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
        super().__init__(name="part_a_illusions", part="a", probe_module="probes_part_a", probe="run_calls", timeout_s=config.TIME_LIMITS_S["part_a_illusions"])
        self.tests = (
            TestSpec("make_flip_illusion: ε = (ε_1 + flip(ε_2(flip(x))))/2 at every step", 3.0, ("make_flip_illusion",), public=False),
            TestSpec("make_hybrids: ε = lowpass(ε_1) + highpass(ε_2) at every step", 3.0, ("make_hybrids",), public=False),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        o = oracle()
        inputs = {"p1": o.p1, "p2": o.p2, "uncond": o.uncond,
                  "x": torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(90))}
        i_start = 1
        self.expected["i_start"] = i_start
        self.expected["inputs"] = inputs
        cases = [
            {"key": "flip", "fn": "make_flip_illusion", "args": ["@x", i_start, "@p1", "@p2", "@uncond", TIMESTEPS],
             "kwargs": {"scale": SCALE}, "seed": 50},
            {"key": "hybrid", "fn": "make_hybrids", "args": ["@x", i_start, "@p1", "@p2", "@uncond", TIMESTEPS],
             "kwargs": {"scale": SCALE, "kernel_size": HYBRID_KERNEL, "sigma": HYBRID_SIGMA}, "seed": 51},
        ]
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o, x, i = oracle(), self.expected["inputs"], self.expected["i_start"]
        return {
            self.tests[0].name: _all_cases(run, ["flip"], lambda r, k: replay(r, o, "flip", x["x"], i, x["p1"], x["p2"])),
            self.tests[1].name: _all_cases(run, ["hybrid"], lambda r, k: _replay_hybrid(r, o, x, i)),
        }


def _replay_hybrid(record: Record, o: Oracle, x: dict[str, torch.Tensor], i_start: int) -> tuple[bool, str]:
    return replay(record, o, "hybrid", x["x"], i_start, x["p1"], x["p2"])
