"""Check a flow-matching training loss or Euler sampler from its trace, whatever noise the submission drew.

The same idea as :mod:`autograder.traces` for DDPM: the child records every call to the stand-in UNet (``x``,
``t``, class vector) and every Gaussian draw; the grader solves for the noise a step must have used and requires
it to be one the submission drew, then recomputes the loss or the next Euler step with the stand-in's (pure)
velocity function.

Two time conventions are accepted when used consistently (docs/spec.md §5): the course's (``t = 0`` noise,
``x_t = (1 − t) x_0 + t x_1``, target ``x_1 − x_0``, Euler steps ``x ← x + u/T`` at ``t = i/T``) and the reversed
one (``t = 0`` data, ``x_t = t x_0 + (1 − t) x_1``, target ``x_0 − x_1``, steps ``x ← x − u/T`` at ``t = 1 − i/T``):
both integrate the same flow from noise to data. :attr:`Verdict.convention` is ``1`` (course) or ``-1`` (reversed).

The returned images may be the last step's result clipped to ``[0, 1]`` or ``[-1, 1]`` (for display), as in the
DDPM version.

Tolerances: recovering ``x_0 = (x_t − s x_1) / (1 − s)`` divides float32 rounding by ``1 − s``; rows with
``1 − s < 0.02`` are left out of that solve (the draw found on the other rows is then used for all of them) and
noise is compared with ``config.NOISE_ATOL``; losses with ``rtol = 1e-4``; Euler steps with ``X_ATOL``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from autograder import config
from autograder.compare import matches_a_draw, max_diff
from autograder.traces import Verdict, closest_returned_form, loss_matches, sampling_steps, split_trace

NOISE_ATOL = config.NOISE_ATOL
X_ATOL = 1e-4
COURSE, REVERSED = 1, -1
_NAMES = {COURSE: "t = 0 is noise, t = 1 data", REVERSED: "t = 0 is data, t = 1 noise (reversed)"}

Velocity = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def verify_fm_training(tensors: dict[str, torch.Tensor], x1: torch.Tensor, velocity: Velocity) -> Verdict:
    """One UNet call on ``x_t`` with ``t ~ U[0, 1)`` per image and noise the submission drew; loss ``MSE(u, target)``."""
    calls, draws = split_trace(tensors)
    loss = tensors.get("loss")
    if loss is None or loss.numel() != 1:
        return Verdict(False, "the function must return the scalar loss (a 0-dim tensor)")
    if not torch.isfinite(loss).all():
        return Verdict(False, "the loss is NaN or inf")
    if len(calls) != 1:
        return Verdict(False, f"expected exactly one UNet call per loss, saw {len(calls)}")
    call = calls[0]
    x_t, t = call["x"].double(), call["t"].double()
    n = x1.shape[0]
    if x_t.shape != x1.shape:
        return Verdict(False, f"the UNet received x_t of shape {list(x_t.shape)}, expected {list(x1.shape)}")
    if float(t.min()) < 0 or float(t.max()) > 1 + 1e-6:
        return Verdict(False, f"the UNet received t from {float(t.min()):.4g} to {float(t.max()):.4g}; t must be in [0, 1]")
    distinct = t.unique().numel()
    if distinct < 0.9 * n:
        return Verdict(False, f"only {distinct} distinct values of t among {n} images: draw one t ~ U[0, 1) per image "
                              "(continuous, e.g. torch.rand(N)), not a shared or discrete t")
    # 5 standard deviations of the mean of N uniforms: a correct draw fails with probability < 1e-6.
    if abs(float(t.mean()) - 0.5) > 5 * (1 / 12 / n) ** 0.5 or float(t.min()) > 0.05 or float(t.max()) < 0.95:
        return Verdict(False, f"t is not uniform on [0, 1): mean {float(t.mean()):.3f}, range "
                              f"{float(t.min()):.3f} … {float(t.max()):.3f}")
    x1d = x1.double()
    for convention in (COURSE, REVERSED):
        noise = _recover_noise(x_t, x1d, t, convention, draws)
        if noise is None:
            continue
        predicted = velocity(call["x"], call["t"], call.get("c")).detach().double()
        target = (x1d - noise) * convention
        expected = torch.mean((predicted - target) ** 2)
        if loss_matches(loss, expected):
            return Verdict(True, f"x_t, t and the loss match flow matching for the noise you drew ({_NAMES[convention]})",
                           convention)
        return Verdict(False, f"loss {float(loss):.6g} ≠ MSE(unet(x_t, t), target) = {float(expected):.6g}. "
                              + _target_hint(loss, predicted, x1d, noise, convention), convention)
    return Verdict(False, "x_t is not (1 − t)·x_0 + t·x_1 for the t passed to the UNet and any noise x_0 drawn. "
                          "Hint: t = 0 is pure noise, t = 1 the data, and the UNet must get the same t used in x_t.")


def verify_fm_sampling(
    tensors: dict[str, torch.Tensor], velocity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], num_ts: int,
) -> Verdict:
    """Euler sampling from drawn noise: ``num_ts`` steps of ``±u(x, t)/num_ts`` at the convention's times."""
    traced = sampling_steps(tensors)
    if isinstance(traced, Verdict):
        return traced
    steps, draws, images = traced
    batch = images.shape[0]
    times = [float(step[0]["t"][0]) for step in steps]
    if len(steps) != num_ts:
        return Verdict(False, f"expected {num_ts} Euler steps (one per t = i/num_ts, i = 0 … num_ts − 1), saw {len(steps)}: "
                              "check the loop's range")
    convention = COURSE if abs(times[0]) < 1e-6 else REVERSED if abs(times[0] - 1) < 1e-6 else None
    if convention is None:
        return Verdict(False, f"the first step used t = {times[0]:.4g}; sampling starts from noise at t = 0")
    x = steps[0][0]["x"][:batch].double()
    if not matches_a_draw(x, draws, NOISE_ATOL):
        return Verdict(False, "the starting x must be a fresh draw of N(0, I) noise of shape [N, C, H, W]", convention)
    for i, step in enumerate(steps):
        t_expected = i / num_ts if convention == COURSE else 1 - i / num_ts
        if abs(times[i] - t_expected) > 1e-5:
            return Verdict(False, f"step {i}: the UNet received t = {times[i]:.4g}, expected {t_expected:.4g} "
                                  "(t = i / num_ts: the Euler steps start at t = 0 and stop one step short of 1)", convention)
        if max_diff(step[0]["x"][:batch].double(), x) > X_ATOL * 10:
            return Verdict(False, f"step {i}: the UNet was not called on the current x", convention)
        u = velocity(x.float(), torch.full((batch,), t_expected, dtype=torch.float32)).double()
        nxt = steps[i + 1][0]["x"][:batch].double() if i + 1 < len(steps) else images.double()
        if nxt.shape != x.shape:
            return Verdict(False, f"the images have shape {list(nxt.shape)}, expected {list(x.shape)}", convention)
        wanted = x + convention * u / num_ts
        if i + 1 == len(steps):  # the returned images
            wanted = closest_returned_form(nxt, wanted)
        if max_diff(nxt, wanted) > 1e-3:
            return Verdict(False, f"step {i}: the new x is not the Euler step x + u(x, t)/num_ts "
                                  f"({_step_hint(x, u, nxt, num_ts, convention)})", convention)
        x = nxt
    return Verdict(True, f"all {num_ts} Euler steps follow the flow ({_NAMES[convention]})", convention)


def conventions_agree(train: Verdict, sample: Verdict) -> tuple[float, str]:
    """The consistency test's outcome: both functions passed with the same time convention."""
    if train.convention is None or sample.convention is None or not (train.ok and sample.ok):
        return 0.0, "cannot be checked until the training loss and the sampler both pass (see those tests)"
    if train.convention != sample.convention:
        return 0.0, (f"t is reversed between training ({_NAMES[train.convention]}) and sampling "
                     f"({_NAMES[sample.convention]}): use one convention in both")
    return 1.0, "training and sampling agree on the direction of t"


def _recover_noise(x_t, x1, t, convention, draws) -> torch.Tensor | None:
    """The drawn noise ``x_0`` that makes ``x_t`` the interpolation at ``t`` (None if no draw fits)."""
    s = (t if convention == COURSE else 1 - t).view(-1, *[1] * (x1.dim() - 1))
    rows = (1 - s).reshape(-1) >= 0.02
    if int(rows.sum()) == 0:
        return None
    solved = ((x_t - s * x1) / (1 - s))[rows]
    for draw in draws:
        if draw.numel() != x1.numel():
            continue
        d = draw.double().reshape(x1.shape)
        if max_diff(d[rows], solved) <= NOISE_ATOL:
            return d if max_diff((1 - s) * d + s * x1, x_t) <= NOISE_ATOL else None
    return None


def _target_hint(loss, predicted, x1, noise, convention) -> str:
    candidates = {
        "the target's sign is flipped: the velocity is x_1 − x_0 (data minus noise)": (noise - x1) * convention,
        "the target is the clean image x_1; flow matching regresses the velocity x_1 − x_0": x1,
        "the target is the noise x_0; flow matching regresses the velocity x_1 − x_0": noise,
    }
    for message, target in candidates.items():
        if loss_matches(loss, torch.mean((predicted - target) ** 2)):
            return "Hint: " + message + "."
    return "Hint: the loss is the MSE between the UNet's output and x_1 − x_0."


def _step_hint(x, u, nxt, num_ts, convention) -> str:
    delta = (nxt - x).reshape(-1)
    flat_u = u.reshape(-1)
    scale = float(delta @ flat_u / (flat_u @ flat_u).clamp_min(1e-12))
    if max_diff(nxt, x + scale * u) <= 1e-3:
        if abs(scale + convention / num_ts) < 1e-6 and convention == REVERSED:
            return ("hint: t runs from 1 down to 0, but x moves as if t = 0 were noise (x ← x + u/num_ts): with the "
                    "training's t = 0 as noise, sample at t = i/num_ts, i = 0 … num_ts − 1")
        if abs(scale + convention / num_ts) < 1e-6:
            return "hint: the step moves against the velocity; x ← x + u/num_ts"
        return f"hint: the step size is {abs(scale):.4g}, it should be 1/num_ts = {1 / num_ts:.4g}"
    return "hint: check x ← x + (1/num_ts)·u(x, t); for guidance u = u_u + γ(u_c − u_u)"
