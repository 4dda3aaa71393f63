"""Re-derive every step of a student's Part A sampling loop from what the child recorded.

For each step the grader recomputes the UNet predictions for the image the loop actually held, the strided
DDPM update ``timesteps[i] → timesteps[i+1]`` (``x̂_0`` clamped or not), the variance handed to ``add_variance``
(also when it is added to the mean as ``mean + add_variance(v, t, zeros_like(mean))``), and for inpainting that
the kept region is the original re-noised at ``t'`` with noise the code drew. Common bugs are recognised only
when a step fails, to name them in the feedback.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision.transforms.functional as TF

from autograder.compare import matches_a_draw, max_diff
from autograder.groups.part_a_oracle import (
    HYBRID_KERNEL,
    HYBRID_SIGMA,
    SCALE,
    TIMESTEPS,
    Oracle,
    _as_student_image,
    _flip,
    _returned_form,
    _shape_problem,
    _tol,
    _zero_padded_blur,
)
from autograder.sandbox import Record
from autograder.traces import NOISE_ATOL, split_trace


@dataclass(frozen=True)
class LoopExpected:
    """What re-deriving one loop call needs: the student function (``fn``), the loop's :func:`replay` kind, where it
    starts (``x_start``; SDEdit's ``start_from``; inpainting's ``(original, mask)``) and the prompt embeddings."""

    fn: str
    kind: str
    i_start: int
    p1: torch.Tensor
    x_start: torch.Tensor | None = None
    p2: torch.Tensor | None = None
    start_from: torch.Tensor | None = None
    inpaint: tuple[torch.Tensor, torch.Tensor] | None = None

    def replay(self, record: Record, o: Oracle) -> tuple[bool, str]:
        """:func:`replay` of ``record`` with these settings."""
        return replay(record, o, self.kind, self.x_start, self.i_start, self.p1, self.p2, start_from=self.start_from,
                      inpaint=self.inpaint)


def replay(record: Record, o: Oracle, kind: str, x_start: torch.Tensor | None, i_start: int, p1: torch.Tensor,
           p2: torch.Tensor | None = None, start_from: torch.Tensor | None = None,
           inpaint: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[bool, str]:
    """Re-derive every step of a loop from its records; ``(ok, feedback)``.

    ``kind``: ``plain`` (conditional only), ``cfg``, ``flip`` or ``hybrid``. ``start_from`` (SDEdit): the loop
    starts from ``forward(start_from, timesteps[i_start])`` with drawn noise. ``inpaint``: ``(original, mask)``;
    the loop starts from drawn noise and re-imposes the original where the mask is 0.
    """
    av, draws, unet_calls = _av_calls(record)
    n_steps = len(TIMESTEPS) - 1 - i_start
    if not av:
        return False, "add_variance was never called: every step must end with image = add_variance(variance, t, image)"
    if len(av) != n_steps:
        got_t = [int(c["t"]) for c in av][:8]
        return False, (f"add_variance was called {len(av)} times with t = {got_t}; expected {n_steps} steps "
                       f"t = {TIMESTEPS[i_start:-1]} (from timesteps[i_start] to timesteps[-2]): off by one in the loop?")
    x = x_start
    forced_first = False  # inpainting that re-imposes the original at the start of each step, at its own t
    if inpaint is not None or start_from is not None:
        if not unet_calls:
            return False, "the UNet was never called"
        x = unet_calls[0]["x"][:1]
        if inpaint is not None and not matches_a_draw(x, draws, NOISE_ATOL):
            forced_first = _forced_noise(x, *inpaint, TIMESTEPS[0], o, draws)
            if not forced_first and _forced_noise(x, *inpaint, TIMESTEPS[1], o, draws):
                return False, (f"the original is re-noised at the wrong timestep: blending at the top of the step at "
                               f"t = {TIMESTEPS[0]}, use forward(original_image, t), not t' = {TIMESTEPS[1]}")
            if not forced_first:
                return False, "inpainting must start from pure noise (randn_like(original_image)) at timesteps[0]"
        if start_from is not None:
            ab = o.alphas_cumprod[TIMESTEPS[i_start]].double()
            if not matches_a_draw((x.double() - ab.sqrt() * start_from.double()) / (1 - ab).sqrt(), draws, NOISE_ATOL):
                return False, f"the loop does not start from forward(im, timesteps[i_start] = {TIMESTEPS[i_start]})"
    for k, call in enumerate(av):
        i = i_start + k
        t, t_prev = TIMESTEPS[i], TIMESTEPS[i + 1]
        if int(round(float(call["t"]))) != t:
            return False, f"step {k}: add_variance received t = {float(call['t']):g}, expected t = {t} (the current timestep, before the step)"
        accepted, variances, alternatives = _predictions(o, kind, x, t, p1, p2)
        var = variances[0]
        # x̂_0 may be clamped to [-1, 1] before the update (SPEC §4)
        means = [o.update(x, eps, t, t_prev, clamp=clamp) for eps in accepted for clamp in (False, True)]
        pre = means[0]
        got = call["image"]
        after = call["out"]
        if float(got.abs().max()) == 0.0 and float(pre.abs().max()) > 0.0:
            # the course's other form: mean + add_variance(variance, t, zeros_like(mean)); the mean is what the
            # loop holds next minus the noise add_variance returned
            nxt = _next_state(record, unet_calls, t_prev, k + 1 == len(av), after, means)
            if nxt is None:
                return False, (f"step t = {t} → {t_prev}: add_variance was called on zeros, and the next image is not "
                               "the DDPM update plus the noise it returned")
            got, after = nxt - after, nxt
        if min(max_diff(got, mean) for mean in means) > _tol(pre):
            return False, f"step t = {t} → {t_prev}: " + _hint(o, got, x, t, t_prev, alternatives(), kind)
        if min(max_diff(call["var"], v) for v in variances) > _tol(var):
            alternatives = alternatives()
            if "guided variance" in alternatives and max_diff(call["var"], alternatives["guided variance"][1]) <= _tol(var):
                return False, f"step t = {t}: guidance was applied to the variance; pass the conditional prediction's variance (channels 3:) to add_variance"
            for label, (_, wrong) in alternatives.items():
                if label.startswith(_VARIANCE_HINT) and max_diff(call["var"], wrong) <= _tol(var):
                    return False, f"step t = {t}: {label[len(_VARIANCE_HINT):]}"
            return False, f"step t = {t}: the variance passed to add_variance is not {_VARIANCE_WANTED.get(kind, _VARIANCE_WANTED['cfg'])}"
        x = after
        if inpaint is not None and not (forced_first and k + 1 == len(av)):
            # (a loop that forces at the start of each step leaves its last step's image as it is)
            original, mask = inpaint
            nxt = unet_calls[_first_call_at(unet_calls, TIMESTEPS[i + 1], k + 1)]["x"][:1] if k + 1 < len(av) else record.tensors.get("out")
            if k + 1 == len(av) and nxt is not None and nxt.dim() == 3:  # the numpy [H, W, 3] image in [0, 1]
                final = _blended_as_hw3(nxt, x, original, mask, t_prev, o, draws)
                if final is None:
                    return False, (f"after step t = {t} → {t_prev}: the returned image is not the new content where "
                                   f"mask = 1 and forward(original_image, t') where mask = 0{_returned_form(record)}")
                x = final
                continue
            if nxt is None or tuple(nxt.shape) != tuple(x.shape):
                return False, "inpaint returned no image of the input's shape" if k + 1 == len(av) else "the UNet input has the wrong shape"
            problem = _check_inpaint_step(nxt, x, original, mask, t, t_prev, o, draws)
            if problem:
                return False, f"after step t = {t} → {t_prev}: {problem}"
            x = nxt
    out = record.tensors.get("out")
    expected = _as_student_image(x, record)
    problem = _shape_problem(out, expected, "the returned image", record)
    if problem:
        return False, problem
    if max_diff(out, expected) > _tol(expected):
        return False, ("the returned image is not the result of the last step (return the image after the final "
                       "add_variance)" + _returned_form(record))
    return True, ""


def _next_state(record: Record, unet_calls: list[dict[str, torch.Tensor]], t_prev: int, last: bool,
                noise: torch.Tensor, means: list[torch.Tensor]) -> torch.Tensor | None:
    """The image the loop holds after a step whose variance was added to zeros: the UNet input at ``t'`` (or the
    returned image after the last step) that equals one of ``means`` plus ``noise``."""
    out = record.tensors.get("out")
    if last:
        if out is None:
            return None
        candidates = [out.permute(2, 0, 1)[None] * 2 - 1] if out.dim() == 3 else [out]
    else:
        candidates = [c["x"][: noise.shape[0]] for c in unet_calls if int(round(float(c["t"]))) == t_prev]
    for candidate in candidates:
        if candidate.shape != noise.shape:
            continue
        for mean in means:
            if max_diff(candidate - noise, mean) <= _tol(mean):
                return candidate
            if last and out.dim() == 3 and max_diff(candidate, ((mean + noise) / 2 + 0.5).clamp(0, 1) * 2 - 1) <= _tol(mean):
                return mean + noise  # the [H, W, 3] return was clipped: the state before clipping
    return None


def _av_calls(record: Record) -> tuple[list[dict[str, torch.Tensor]], list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    av: dict[int, dict[str, torch.Tensor]] = {}
    unet: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in record.tensors.items():
        if key.startswith("av_"):
            _, index, name = key.split("_", 2)
            av.setdefault(int(index), {})[name] = value
        elif key.startswith("unet_"):
            _, index, name = key.split("_", 2)
            unet.setdefault(int(index), {})[name] = value
    _, draws = split_trace(record.tensors)
    return [av[i] for i in sorted(av)], draws, [unet[i] for i in sorted(unet)]


def _first_call_at(calls: list[dict[str, torch.Tensor]], t: int, step: int) -> int:
    for index, call in enumerate(calls):
        if int(round(float(call["t"]))) == t:
            return index
    raise ValueError(f"no UNet call at t = {t} (step {step})")


#: Labels of ``alternatives()`` entries that name a wrong variance (their ε is the correct one).
_VARIANCE_HINT = "variance: "
#: What the feedback asks add_variance to receive, per loop kind.
_VARIANCE_WANTED = {
    "cfg": "the conditional prediction’s channels 3:",
    "flip": ("the mean of the two conditional predictions (channels 3:, the upside-down one flipped back), or one "
             "prompt's conditional prediction (the upside-down one flipped back)"),
    "hybrid": "the mean of the two conditional predictions (channels 3:), or one prompt's conditional prediction",
}


def _predictions(o: Oracle, kind: str, x: torch.Tensor, t: int, p1: torch.Tensor, p2: torch.Tensor | None):
    """``(accepted ε's, accepted variances, alternatives)`` for a loop kind.

    ``accepted``: the ε's of correct implementations (for the hybrid, torchvision's reflect-padded blur or a
    zero-padded convolution, both allowed by SPEC §4). The variances: the conditional prediction's; for the two
    illusions the mean of the two conditional predictions first, then either prompt's own (the course leaves the
    illusions' variance open, and real submissions pass prompt 1's). ``alternatives()`` computes, only when a step
    fails, ``{hint: (ε_bug, variance_bug)}`` for common bugs, so a correct submission costs no extra UNet calls.
    """
    if kind == "plain":
        eps, var = o.predict(x, t, p1)
        return [eps], [var], dict
    if kind == "cfg":
        eps, var, eps_c, eps_u = o.guided(x, t, p1)

        def cfg_alternatives() -> dict:
            _, var_u = o.predict(x, t, o.uncond)
            return {
                "ε_c and ε_u are swapped in the CFG formula (ε = ε_u + γ(ε_c − ε_u))": (eps_c + SCALE * (eps_u - eps_c), var),
                "sign error in CFG (ε = ε_u + γ(ε_c − ε_u))": (eps_u - SCALE * (eps_c - eps_u), var),
                "guidance is missing: ε should be ε_u + γ(ε_c − ε_u), not the conditional ε_c": (eps_c, var),
                "guidance is γ + 1, not γ: ε = ε_u + γ(ε_c − ε_u) with γ = scale, not (1 + γ)ε_c − γε_u": (
                    (1 + SCALE) * eps_c - SCALE * eps_u, var),
                "guided variance": (eps, var_u + SCALE * (var - var_u)),
            }

        return [eps], [var], cfg_alternatives
    if kind == "flip":
        e1, v1, _, _ = o.guided(x, t, p1)
        e2, v2, _, _ = o.guided(_flip(x), t, p2)

        def flip_alternatives() -> dict:
            alt = {}
            e2h, v2h, _, _ = o.guided(x.flip(3), t, p2)
            alt["flip the rows (dim 2, upside down), not the columns (dim 3)"] = ((e1 + e2h.flip(3)) / 2, (v1 + v2h.flip(3)) / 2)
            e2r, v2r, _, _ = o.guided(x.flip(2, 3), t, p2)
            alt["flip upside down (reverse dim 2); a 180° rotation also mirrors left-right"] = ((e1 + e2r.flip(2, 3)) / 2, (v1 + v2r.flip(2, 3)) / 2)
            alt["flip ε_2 back after the UNet call: ε_2 = flip(ε̂(flip(x_t), p_2))"] = ((e1 + e2) / 2, (v1 + v2) / 2)
            _, v1u = o.predict(x, t, o.uncond)
            alt["guided variance"] = ((e1 + _flip(e2)) / 2, v1u + SCALE * (v1 - v1u))
            unflipped = "the upside-down call's variance is passed on upside down: flip its channels 3: back, as ε_2"
            alt[_VARIANCE_HINT + unflipped] = ((e1 + _flip(e2)) / 2, v2)
            alt[_VARIANCE_HINT + unflipped + " (in the mean)"] = ((e1 + _flip(e2)) / 2, (v1 + v2) / 2)
            return alt

        return [(e1 + _flip(e2)) / 2], [(v1 + _flip(v2)) / 2, v1, _flip(v2)], flip_alternatives
    e1, v1, _, _ = o.guided(x, t, p1)
    e2, v2, _, _ = o.guided(x, t, p2)
    low = lambda e: TF.gaussian_blur(e, [HYBRID_KERNEL, HYBRID_KERNEL], [HYBRID_SIGMA, HYBRID_SIGMA])  # noqa: E731
    zlow = lambda e: _zero_padded_blur(e, HYBRID_KERNEL, HYBRID_SIGMA)  # noqa: E731
    return [low(e1) + e2 - low(e2), zlow(e1) + e2 - zlow(e2)], [(v1 + v2) / 2, v1, v2], lambda: {
        "low-pass and high-pass are swapped: ε = lowpass(ε_1) + highpass(ε_2)": (low(e2) + e1 - low(e1), (v1 + v2) / 2),
    }


def _hint(o: Oracle, got: torch.Tensor, x: torch.Tensor, t: int, t_prev: int, alternatives: dict, kind: str) -> str:
    for label, (eps_alt, _) in alternatives.items():
        if label in ("guided variance",) or label.startswith(_VARIANCE_HINT):
            continue
        if max_diff(got, o.update(x, eps_alt, t, t_prev)) <= _tol(got):
            return "hint: " + label
    return ("the image handed to add_variance is not the DDPM update x_{t'} = sqrt(ᾱ_{t'})β_t/(1−ᾱ_t)·x̂_0 + "
            "sqrt(α_t)(1−ᾱ_{t'})/(1−ᾱ_t)·x_t with α_t = ᾱ_t/ᾱ_{t'}, x̂_0 = (x_t − sqrt(1−ᾱ_t)ε̂)/sqrt(ᾱ_t)"
            + ("; the noise estimate is ε = ε_u + γ(ε_c − ε_u)" if kind != "plain" else ""))


def _check_inpaint_step(nxt, x_after, original, mask, t, t_prev, o: Oracle, draws) -> str:
    m = mask.bool().expand_as(nxt)
    keep = ~m
    if max_diff(nxt[m], x_after[m]) > _tol(x_after):
        if max_diff(nxt[keep], x_after[keep]) <= _tol(x_after):
            return "the mask polarity is reversed: generate where mask = 1, keep the original where mask = 0"
        return "where mask = 1 the image must be the loop's new x_{t'}"
    for label, tt in (("", t_prev), (f" — forced at t = {t} instead of t' = {t_prev}: use forward(original, timesteps[i+1])", t)):
        ab = o.alphas_cumprod[tt].double()
        eps = (nxt.double() - ab.sqrt() * original.double()) / (1 - ab).sqrt()
        if _matches_on(eps, draws, keep):
            return "" if not label else "where mask = 0 the original is re-noised at the wrong timestep" + label
    return "where mask = 0 the image must be forward(original_image, t') with fresh noise"


def _blended_as_hw3(out: torch.Tensor, x_after: torch.Tensor, original: torch.Tensor, mask: torch.Tensor, t: int,
                    o: Oracle, draws: list[torch.Tensor]) -> torch.Tensor | None:
    """The last inpainting step's blend ``m x + (1 − m) forward(original, t)`` (``[1, 3, H, W]``) with the drawn noise
    that makes it equal ``out``, a numpy ``[H, W, 3]`` image in ``[0, 1]`` (clipped, so compared in that form); or
    None when no draw fits."""
    m = mask.bool().expand_as(x_after)
    ab = o.alphas_cumprod[t]
    for draw in draws:
        if draw.shape != x_after.shape:
            continue
        blended = torch.where(m, x_after, ab.sqrt() * original + (1 - ab).sqrt() * draw)
        as_hw3 = (blended[0].permute(1, 2, 0) / 2 + 0.5).clamp(0, 1)
        if max_diff(out, as_hw3) <= _tol(as_hw3):
            return blended
    return None


def _forced_noise(x: torch.Tensor, original: torch.Tensor, mask: torch.Tensor, t: int, o: Oracle,
                  draws: list[torch.Tensor]) -> bool:
    """Whether ``x`` is drawn noise where ``mask = 1`` and ``forward(original, t)`` (with drawn noise) where it is 0:
    the start of a loop that writes the course's ``x_t ← m x_t + (1 − m) forward(x_orig, t)`` at the top of each
    step, before the UNet call at ``t``, instead of after the step at ``t'``."""
    m = mask.bool().expand_as(x)
    ab = o.alphas_cumprod[t].double()
    eps = (x.double() - ab.sqrt() * original.double()) / (1 - ab).sqrt()
    return _matches_on(x.double(), draws, m) and _matches_on(eps, draws, ~m)


def _matches_on(candidate: torch.Tensor, draws: list[torch.Tensor], where: torch.Tensor) -> bool:
    for draw in draws:
        if draw.shape == candidate.shape and float((draw.double() - candidate)[where].abs().max()) <= NOISE_ATOL:
            return True
    return False
