"""Tensor comparisons in the grader's process, with messages a student can act on.

Every check returns ``(ok, message)``. Outputs from the child are plain CPU tensors (already stripped of
subclasses); here they are also checked for shape, dtype class, NaN/inf before values are compared.
"""

from __future__ import annotations

import torch

Check = tuple[bool, str]


def check_tensor(got: torch.Tensor | None, expected: torch.Tensor, what: str, atol: float, rtol: float = 0.0) -> Check:
    """``got`` has ``expected``'s shape, is finite, and is within ``atol + rtol·|expected|`` everywhere."""
    problem = tensor_problem(got, tuple(expected.shape), what)
    if problem:
        return False, problem
    got64, exp64 = got.double(), expected.double()
    diff = (got64 - exp64).abs()
    bound = atol + rtol * exp64.abs()
    if bool((diff <= bound).all()):
        return True, f"{what}: matches (max |Δ| = {float(diff.max()):.2e}, tolerance {atol:g})"
    worst = int(diff.argmax())
    return False, (
        f"{what}: values differ (max |Δ| = {float(diff.max()):.3g} > tolerance {atol:g}; "
        f"at flat index {worst}: expected {float(exp64.flatten()[worst]):.5g}, got {float(got64.flatten()[worst]):.5g})"
    )


def tensor_problem(got: torch.Tensor | None, shape: tuple[int, ...] | None, what: str) -> str | None:
    """Why ``got`` cannot be compared (missing, wrong shape, not float, NaN/inf), or ``None``."""
    if got is None:
        return f"{what}: no tensor was returned"
    if not isinstance(got, torch.Tensor):
        return f"{what}: expected a tensor, got {type(got).__name__}"
    if shape is not None and tuple(got.shape) != tuple(shape):
        return f"{what}: expected shape {list(shape)}, got {list(got.shape)}"
    if not (got.is_floating_point()):
        return f"{what}: expected a float tensor, got {got.dtype}"
    finite = torch.isfinite(got)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        return f"{what}: contains {bad} NaN/inf value(s)"
    return None


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max |a − b|`` (inf when the shapes differ)."""
    if a.shape != b.shape:
        return float("inf")
    return float((a.detach().double() - b.detach().double()).abs().max())


def matches_a_draw(candidate: torch.Tensor, draws: list[torch.Tensor], atol: float) -> bool:
    """Whether ``candidate`` equals one of the recorded Gaussian draws (or an equal-size slice of one).

    This is how noise is checked fairly: the value a formula needs for ε (or z) is solved for from the
    student's outputs, then it must be noise the student's code actually drew — however it drew it.
    """
    flat = candidate.reshape(-1).double()
    n = flat.numel()
    if n == 0:
        return False
    for draw in draws:
        d = draw.reshape(-1).double()
        if d.numel() % n or d.numel() == 0:
            continue
        chunks = d.view(-1, n)
        if bool(((chunks - flat).abs().max(dim=1).values <= atol).any()):
            return True
    return False
