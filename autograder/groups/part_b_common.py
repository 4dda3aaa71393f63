"""Part B grading's shared pieces: the reference (imported lazily: only the grader's process ever imports it),
seeded generators, the DDPM tests' schedule and stand-in digits, the tolerance for model outputs, and the checks the
DDPM and flow-matching groups share (class dropout in a traced loss, a traced check that never crashes the grader).

Each Part B group's :meth:`plan_spec` builds inputs (shapes chosen by derandomised hypothesis) and computes the
reference's expected values in the grader's process; the child only receives inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F

from autograder import config
from autograder.groups.base import record_or_reason
from autograder.sandbox import ChildRun
from autograder.traces import Verdict, split_trace

MODEL_ATOL = config.MODEL_ATOL


def reference() -> Any:
    """The reference module (imported lazily: only the grader's process ever imports it)."""
    from solutions import part_b

    return part_b


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


DDPM_T = 30


def _schedule_inputs() -> dict[str, torch.Tensor]:
    return reference().ddpm_schedule(1e-4, 0.02, DDPM_T)


def _digits(n: int, seed: int) -> torch.Tensor:
    """Stand-in clean images in [0, 1] (smooth blobs, like digits' intensity range)."""
    g = _generator(seed)
    return torch.sigmoid(3 * torch.randn(n, 1, 28, 28, generator=g))


def verdict_of(run: ChildRun, key: str, fn: Callable[[Any], Verdict]) -> Verdict:
    """``fn(record)`` for the record ``key``, or a failed verdict saying why there is none; never raises."""
    record, why = record_or_reason(run, key)
    if record is None:
        return Verdict(False, why)
    try:
        return fn(record)
    except Exception as error:  # malformed traces: report, never crash the grader
        return Verdict(False, f"could not check the result ({type(error).__name__}: {error})")


def dropout_outcome(run: ChildRun, cases: Iterable[tuple[str, torch.Tensor, float]]) -> tuple[float, str]:
    """Class dropout in a traced class-conditioned loss: for each ``(record key, class indices [N], p_uncond)``, the
    UNet's one call received each one-hot class or the zero vector, the zero one for a share ``p_uncond`` of them."""
    for key, classes, p in cases:
        record, why = record_or_reason(run, key)
        if record is None:
            return 0.0, why
        calls, _ = split_trace(record.tensors)
        if len(calls) != 1 or "c" not in calls[0]:
            return 0.0, f"expected one UNet call with the class input, saw {len(calls)} calls"
        cvec = calls[0]["c"]
        one_hot = F.one_hot(classes, 10).float()
        if cvec.shape != one_hot.shape:
            return 0.0, f"class vectors of shape {list(cvec.shape)}, expected {list(one_hot.shape)}"
        kept = (cvec - one_hot).abs().amax(dim=1) < 1e-6
        dropped = cvec.abs().amax(dim=1) < 1e-6
        if not bool((kept | dropped).all()):
            digit_zero = (cvec - F.one_hot(torch.zeros_like(classes), 10).float()).abs().amax(dim=1) < 1e-6
            if bool((kept | digit_zero).all()):
                return 0.0, ("dropped classes became digit 0 (the one-hot of class 0), not the zero vector: drop a class "
                             "by zeroing its one-hot vector (the UNet's mask = 0), not by multiplying the class index")
            return 0.0, "each class vector must be the one-hot class or all zeros (dropped)"
        fraction = float(dropped.float().mean())
        n = one_hot.shape[0]
        # 5 standard deviations of a binomial proportion: false failure < 1e-6 for a correct draw.
        slack = 5 * (p * (1 - p) / n) ** 0.5
        if p == 0.0 and fraction > 0:
            return 0.0, f"with p_uncond = 0, {fraction:.0%} of the classes were dropped; none should be"
        if abs(fraction - p) > slack:
            extra = " — class dropout not applied?" if fraction == 0 else ""
            return 0.0, f"with p_uncond = {p}, {fraction:.1%} of the classes were dropped; expected {p:.0%} ± {slack:.1%}{extra}"
    return 1.0, "classes dropped at the rate p_uncond (0.3 → within 5σ; 0 → none)"


def dropped_at_sampling(record: Any) -> bool:
    """Whether most class vectors a traced sampler passed to the UNet were zero (class dropout at sampling)."""
    calls, _ = split_trace(record.tensors)
    rows = torch.cat([c["c"] for c in calls if "c" in c]) if calls else torch.zeros(0, 10)
    if rows.numel() == 0:
        return False
    return float((rows.abs().amax(dim=1) < 1e-6).float().mean()) > 0.55
