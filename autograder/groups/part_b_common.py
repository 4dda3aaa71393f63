"""Part B grading's shared pieces: the reference (imported lazily: only the grader's process ever imports it),
seeded generators, the DDPM tests' schedule and stand-in digits, and the tolerance for model outputs.

Each Part B group's :meth:`plan` builds inputs (shapes chosen by derandomised hypothesis) and computes the
reference's expected values in the grader's process; the child only receives inputs.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder import config

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
