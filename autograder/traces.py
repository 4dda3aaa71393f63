"""Check a DDPM training loss or sampling loop from its trace, whatever noise the submission drew.

The child records every call to the stand-in UNet (inputs ``x``, ``t``, class vector) and every Gaussian
draw. From these the grader re-derives what each step *should* have produced under the course's formulas,
solves for the noise the step must have used, and requires that noise to be one the submission drew. Both
time conventions of SPEC §4 are accepted (1-based: index ``t−1``, UNet input ``t/T``; 0-based: index ``t``,
input ``t/T``), and the 0-based one normalised by ``T − 1`` (:data:`CONVENTIONS`), as long as the same one is used in
training and sampling. A sampling trace may also follow the update with ``x̂_0`` clamped to the images' range or with
the posterior variance ``β̃_t`` (:data:`SAMPLER_FORMS`), and return its last step clipped to ``[0, 1]`` or ``[-1, 1]``.

Tolerances: all arithmetic is float32 on both sides; recovered noise is compared with ``atol = 2e-3``
(division by ``sqrt(β_t) ≥ 0.01`` magnifies float32 rounding ~1e-6 to ≤ 1e-4), losses with ``rtol = 1e-4``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from autograder import config
from autograder.compare import matches_a_draw, max_diff

NOISE_ATOL = config.NOISE_ATOL
X_ATOL = 1e-4


@dataclass
class Verdict:
    """Outcome of a trace check: pass/fail, feedback, and the time convention seen (a :data:`CONVENTIONS` code, or
    None)."""

    ok: bool
    message: str
    convention: int | None = None


@dataclass(frozen=True)
class TimeConvention:
    """How a submission labels time: schedule index ``label − offset`` and UNet input ``label / (T − shift)``."""

    code: int
    short: str
    name: str
    offset: int
    shift: int = 0

    def unet_input(self, index: int, num_ts: int) -> float:
        """The UNet's time input at schedule index ``index``."""
        return (index + self.offset) / (num_ts - self.shift)


# SPEC §4's two conventions, and the 0-based one normalised by T − 1 (UNet input in [0, 1] as well): each is correct
# when training and sampling use the same one (the groups' consistency test).
CONVENTIONS = (
    TimeConvention(1, "1-based", "1-based (t ∈ 1…T, index t−1)", 1),
    TimeConvention(0, "0-based", "0-based (t ∈ 0…T−1, index t)", 0),
    TimeConvention(2, "0-based, t/(T−1)", "0-based normalised by T−1 (t ∈ 0…T−1, index t, UNet input t/(T−1))", 0, 1),
)
CONVENTION_NAMES = {c.code: c.name for c in CONVENTIONS}


def split_trace(tensors: dict[str, torch.Tensor]) -> tuple[list[dict[str, torch.Tensor]], list[torch.Tensor]]:
    """``(calls, draws)`` from a record's tensors (``call_0001_x``…, ``draw_003``…)."""
    calls: dict[int, dict[str, torch.Tensor]] = {}
    draws: dict[int, torch.Tensor] = {}
    for key, value in tensors.items():
        if key.startswith("call_"):
            _, index, name = key.split("_", 2)
            calls.setdefault(int(index), {})[name] = value
        elif key.startswith("draw_"):
            draws[int(key[5:])] = value
    return [calls[i] for i in sorted(calls)], [draws[i] for i in sorted(draws)]


def loss_matches(loss: torch.Tensor, expected: torch.Tensor) -> bool:
    """A returned loss equals the recomputed one (``rtol = 1e-4``, absolute below 1)."""
    return abs(float(loss) - float(expected)) <= 1e-4 * max(1.0, float(expected))


def sampling_steps(tensors: dict[str, torch.Tensor]) -> Verdict | tuple[list, list[torch.Tensor], torch.Tensor]:
    """A sampling record's UNet calls grouped into steps (consecutive calls at one ``t``: batched or two-call CFG),
    its draws and its images; or a failed :class:`Verdict` when there are no images or no UNet call."""
    calls, draws = split_trace(tensors)
    images = tensors.get("images")
    if images is None:
        return Verdict(False, "no images were returned")
    steps = _group_steps(calls)
    if not steps:
        return Verdict(False, "the UNet was never called")
    return steps, draws, images


def verify_training(
    tensors: dict[str, torch.Tensor],
    x0: torch.Tensor,
    schedule: dict[str, torch.Tensor],
    eps_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor],
    num_ts: int,
) -> Verdict:
    """Algorithm 1/3: one UNet call on ``x_t = sqrt(ᾱ) x_0 + sqrt(1−ᾱ) ε`` with ``t/T``; loss ``MSE(ε̂, ε)``."""
    calls, draws = split_trace(tensors)
    loss = tensors.get("loss")
    loss = loss.detach() if loss is not None else None
    if loss is None or loss.numel() != 1:
        return Verdict(False, "the function must return the scalar loss (a 0-dim tensor)")
    if not torch.isfinite(loss).all():
        return Verdict(False, "the loss is NaN or inf")
    if len(calls) != 1:
        return Verdict(False, f"expected exactly one UNet call per loss, saw {len(calls)}")
    call = calls[0]
    x_t, t_in = call["x"].double(), call["t"].double()
    if x_t.shape != x0.shape:
        return Verdict(False, f"the UNet received x_t of shape {list(x_t.shape)}, expected {list(x0.shape)}")
    if float(t_in.max()) > 1.0 + 1e-6:
        return Verdict(False, f"the UNet received t up to {float(t_in.max()):g}: t is not normalised — pass t / T (in [0, 1])")
    labelled = [(c, _integer_labels(t_in * (num_ts - c.shift))) for c in CONVENTIONS]
    labelled = [(c, labels) for c, labels in labelled if labels is not None]
    if not labelled:
        return Verdict(False, "t / T · T is not an integer: t must be drawn from the integers {1, …, T}")
    steps = labelled[0][1]
    ab = schedule["alpha_bars"].double()
    failures = []
    for time_convention, labels in labelled:
        convention = time_convention.code
        index = labels - time_convention.offset
        if int(index.min()) < 0 or int(index.max()) >= num_ts:
            continue
        a = ab[index].view(-1, *[1] * (x0.dim() - 1))
        eps = (x_t - a.sqrt() * x0.double()) / (1 - a).sqrt()
        if not matches_a_draw(eps, draws, NOISE_ATOL):
            failures.append(convention)
            continue
        predicted = eps_fn(call["x"], call["t"], call.get("c")).detach().double()
        expected_loss = torch.mean((predicted - eps) ** 2)
        if not loss_matches(loss, expected_loss):
            return Verdict(False, f"loss {float(loss):.6g} ≠ MSE(unet(x_t, t/T), ε) = {float(expected_loss):.6g}: "
                                  "the loss must compare the UNet's prediction with the noise ε you added", convention)
        low, high = int(index.min()), int(index.max())
        if low != 0 or high != num_ts - 1:
            span = "{1, …, T}" if time_convention.offset == 1 else "{0, …, T−1}"
            return Verdict(False, f"t covered schedule indices {low}…{high} only; draw t uniformly from {span}", convention)
        return Verdict(True, "x_t, t/T and the loss match Algorithm 1 for the noise you drew", convention)
    hint = _training_hint(x_t, x0.double(), steps, schedule, draws)
    return Verdict(False, "x_t is not sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε for the t passed to the UNet and any noise drawn. " + hint)


def verify_sampling(
    tensors: dict[str, torch.Tensor],
    schedule: dict[str, torch.Tensor],
    guided_eps: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_ts: int,
    batch: int,
) -> Verdict:
    """Algorithm 2/4 from ``x_T ~ N(0, I)``: each step's result must be the course's update with a drawn ``z``."""
    traced = sampling_steps(tensors)
    if isinstance(traced, Verdict):
        return traced
    steps, draws, images = traced
    t_values = [float(s[0]["t"][0]) for s in steps]
    if max(t_values) > 1.0 + 1e-6:
        return Verdict(False, f"the UNet received t = {max(t_values):g}: t is not normalised — pass t / T")
    if len(steps) != num_ts:
        return Verdict(False, f"expected {num_ts} denoising steps (t = T … 1), saw {len(steps)}: check the loop's range (off by one?)")
    convention = _sampling_convention(t_values, num_ts)
    if convention is None:
        return Verdict(False, f"the first step used t/T = {t_values[0]:.4g}; it should start at t = T (t/T = 1)")
    x = steps[0][0]["x"][:batch].double()
    if not matches_a_draw(x, draws, NOISE_ATOL):
        return Verdict(False, "x_T must be a fresh draw of N(0, I) noise of shape [N, C, H, W]", convention.code)
    first_verdict = None
    for form in SAMPLER_FORMS:
        verdict = _replay_steps(steps, draws, images, schedule, guided_eps, num_ts, batch, convention, form)
        if verdict.ok:
            return verdict
        first_verdict = first_verdict or verdict
    return first_verdict


@dataclass(frozen=True)
class SamplerForm:
    """One accepted way of writing the DDPM update: ``x̂_0`` clamped to ``clamp`` (or not), and the noise scaled by
    ``sqrt(β_t)`` (the seeds' Algorithm 2) or by the posterior's ``sqrt(β̃_t)``, ``β̃_t = (1−ᾱ_(t−1))/(1−ᾱ_t)·β_t``
    (the DDPM paper's other choice of σ_t², "both had similar results")."""

    clamp: tuple[float, float] | None = None
    posterior_sigma: bool = False

    def describe(self) -> str:
        """A few words for the feedback, empty for the seeds' own form."""
        parts = [f"x̂_0 clamped to [{self.clamp[0]:g}, {self.clamp[1]:g}]"] if self.clamp else []
        parts += ["σ_t² = β̃_t"] if self.posterior_sigma else []
        return f" ({', '.join(parts)})" if parts else ""


# The seeds' form first: its failure message is the one reported. Clamping x̂_0 to the images' range ([-1, 1] as in
# the DDPM authors' code and diffusers, or MNIST's [0, 1]) only changes steps where x̂_0 leaves that range.
SAMPLER_FORMS = tuple(SamplerForm(clamp, posterior) for posterior in (False, True)
                      for clamp in (None, (-1.0, 1.0), (0.0, 1.0)))


def _replay_steps(steps, draws, images, schedule, guided_eps, num_ts: int, batch: int, time_convention: TimeConvention,
                  form: SamplerForm) -> Verdict:
    """Each traced step against the update in ``form``, starting from the traced ``x_T``."""
    convention = time_convention.code
    t_values = [float(s[0]["t"][0]) for s in steps]
    betas, alphas, ab = (schedule[k].double() for k in ("betas", "alphas", "alpha_bars"))
    x = steps[0][0]["x"][:batch].double()
    used = [x]  # x_T and each step's z: Algorithm 2 draws every one afresh
    for k, step in enumerate(steps):
        index = num_ts - 1 - k
        t_expected = time_convention.unet_input(index, num_ts)
        if abs(t_values[k] - t_expected) > 1e-5:
            return Verdict(False, f"step {k}: the UNet received t/T = {t_values[k]:.4g}, expected {t_expected:.4g}", convention)
        x_in = step[0]["x"][:batch].double()
        if max_diff(x_in, x) > X_ATOL * 10:
            return Verdict(False, f"step {k}: the UNet was not called on the current x_t", convention)
        t_vec = torch.full((batch,), t_expected, dtype=torch.float32)
        eps = guided_eps(x.float(), t_vec).double()
        ab_t, ab_prev = ab[index], (ab[index - 1] if index > 0 else torch.ones((), dtype=torch.float64))
        x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
        if form.clamp is not None:
            x0_hat = x0_hat.clamp(*form.clamp)
        mean = ab_prev.sqrt() * betas[index] / (1 - ab_t) * x0_hat + alphas[index].sqrt() * (1 - ab_prev) / (1 - ab_t) * x
        nxt = steps[k + 1][0]["x"][:batch].double() if k + 1 < len(steps) else images.double()
        if nxt.shape != mean.shape:
            return Verdict(False, f"the images have shape {list(nxt.shape)}, expected {list(mean.shape)}", convention)
        if index == 0:
            if max_diff(nxt, closest_returned_form(nxt, mean)) > 1e-3:
                return Verdict(False, "the last step (t = 1) must add no noise (z = 0) and return x_0 from the update", convention)
            break
        variance = (1 - ab_prev) / (1 - ab_t) * betas[index] if form.posterior_sigma else betas[index]
        z = (nxt - mean) / variance.sqrt()
        if not matches_a_draw(z, draws, NOISE_ATOL):
            return Verdict(False, f"step t = {index + 1}: x_(t−1) is not the Algorithm-2 update of x_t with any noise z you drew "
                                  f"({_sampling_hint(x, eps, nxt, index, schedule, draws)})", convention)
        if any(max_diff(z, earlier) <= NOISE_ATOL for earlier in used):
            return Verdict(False, f"step t = {index + 1} reused noise drawn for an earlier step (or x_T): draw a fresh "
                                  "z ~ N(0, I) at every step (a z drawn once before the loop, or the RNG re-seeded "
                                  "with the same seed inside it)", convention)
        used.append(z)
        x = nxt
    return Verdict(True, f"all {num_ts} steps follow the algorithm{form.describe()} "
                         f"(t convention: {time_convention.short})", convention)


def closest_returned_form(returned: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """Of the forms a sampler may return its last step ``last`` in — as it is, or clipped to MNIST's ``[0, 1]`` or the
    model's ``[-1, 1]`` for display — the one closest to ``returned`` (DDPM and flow-matching samplers alike)."""
    return min((last, last.clamp(0, 1), last.clamp(-1, 1)), key=lambda form: max_diff(returned, form))


def _integer_labels(scaled: torch.Tensor) -> torch.Tensor | None:
    """``scaled`` rounded to integers, or None when it is not integer-valued (to 1e-3)."""
    if float((scaled - scaled.round()).abs().max()) > 1e-3:
        return None
    return scaled.round().long()


def _sampling_convention(t_values: list[float], num_ts: int) -> TimeConvention | None:
    """The convention whose UNet inputs every step's ``t`` equals (the steps run from the last index down), else the
    one the first step's ``t`` names (its later mismatches are reported step by step), else None."""
    for convention in CONVENTIONS:
        expected = [convention.unet_input(num_ts - 1 - k, num_ts) for k in range(len(t_values))]
        if all(abs(got - want) <= 1e-5 for got, want in zip(t_values, expected)):
            return convention
    first = round(t_values[0] * num_ts)
    return next((c for c in CONVENTIONS[:2] if c.offset + num_ts - 1 == first), None)


def _group_steps(calls: list[dict[str, torch.Tensor]]) -> list[list[dict[str, torch.Tensor]]]:
    steps: list[list[dict[str, torch.Tensor]]] = []
    for call in calls:
        if steps and abs(float(steps[-1][0]["t"][0]) - float(call["t"][0])) < 1e-7:
            steps[-1].append(call)
        else:
            steps.append([call])
    return steps


def _training_hint(x_t, x0, steps, schedule, draws) -> str:
    for convention in (1, 0):
        index = (steps - convention).clamp(0, len(schedule["alphas"]) - 1)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        alpha = schedule["alphas"].double()[index].view(shape)
        ab = schedule["alpha_bars"].double()[index].view(shape)
        candidates = {
            "it looks like α_t was used where ᾱ_t (alpha_bars) belongs": (alpha.sqrt(), (1 - alpha).sqrt()),
            "the square roots seem to be missing: x_t = sqrt(ᾱ)·x_0 + sqrt(1−ᾱ)·ε": (ab, 1 - ab),
        }
        for message, (a, b) in candidates.items():
            if matches_a_draw((x_t - a * x0) / b, draws, NOISE_ATOL):
                return "Hint: " + message + "."
        for shift in (1, -1):
            shifted = (index + shift).clamp(0, len(schedule["alphas"]) - 1)
            ab_s = schedule["alpha_bars"].double()[shifted].view(shape)
            if matches_a_draw((x_t - ab_s.sqrt() * x0) / (1 - ab_s).sqrt(), draws, NOISE_ATOL):
                return "Hint: ᾱ is indexed off by one relative to the t you pass to the UNet (t/T)."
    return "Hint: check ᾱ_t (alpha_bars, not alphas), its index (t−1 for t in 1…T) and the square roots."


def _sampling_hint(x, eps, nxt, index, schedule, draws) -> str:
    betas, alphas, ab = (schedule[k].double() for k in ("betas", "alphas", "alpha_bars"))
    variants = {
        "α_t seems used in place of ᾱ_t": (alphas[index], alphas[index - 1]),
        "ᾱ seems indexed at t instead of t−1": (ab[index + 1] if index + 1 < len(ab) else ab[index], ab[index]),
    }
    for message, (a_t, a_prev) in variants.items():
        x0_hat = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        mean = a_prev.sqrt() * betas[index] / (1 - a_t) * x0_hat + alphas[index].sqrt() * (1 - a_prev) / (1 - a_t) * x
        if matches_a_draw((nxt - mean) / betas[index].sqrt(), draws, NOISE_ATOL):
            return "hint: " + message
    return "hint: check x̂_0 = (x_t − sqrt(1−ᾱ_t) ε̂)/sqrt(ᾱ_t), the two coefficients with ᾱ_(t−1), β_t, α_t, and σ_t = sqrt(β_t); for guidance, ε = ε_u + γ(ε_c − ε_u)"
