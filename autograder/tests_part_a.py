"""Part A test groups: the forward process, denoisers and every sampling loop, on the tiny IF pipeline.

The child runs the student's functions with recording wrappers; here the grader rebuilds the same tiny
pipeline and re-derives each step: the UNet predictions for the images the loop actually held, the update
for ``timesteps[i] → timesteps[i+1]``, the variance handed to ``add_variance``, and (for SDEdit/inpainting)
that the forward-process noise is noise the code drew. Loops may return what the course's starter returns
(``image.cpu().detach().numpy()``: numpy ``[B, 3, H, W]`` in ``[-1, 1]``) or the older numpy ``[H, W, 3]`` in
``[0, 1]`` (clipped); told apart by shape, the expected image is converted the same way before comparing.
``x̂_0`` may be clamped to ``[-1, 1]`` before the update, and the variance may be added to the mean as
``mean + add_variance(v, t, zeros_like(mean))``. Images are 32×32 so that the course's own constants (a 33-tap
blur with σ = 2 in the hybrids) run; every function that takes prompt embeddings gets one image, as in the course.

Tolerances: float32 on the CPU on both sides; images are compared with ``atol = 1e-4 · (1 + max|expected|)``
(the CFG scale 7 and ``1/sqrt(ᾱ_990)`` magnify float32 rounding of ~1e-7 to ~1e-5); recovered noise with 2e-3.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from autograder import strategies
from autograder.child import part_a_constants
from autograder.compare import check_tensor, matches_a_draw, max_diff, tensor_problem
from autograder.registry import Group, TestSpec, record_or_reason
from autograder.sandbox import ChildRun, Record
from autograder.traces import NOISE_ATOL, split_trace

TIMESTEPS = list(range(990, -1, -165))  # [990, 825, 660, 495, 330, 165, 0]: six strided steps
SCALE = 7.0
HYBRID_KERNEL, HYBRID_SIGMA = 33, 2.0  # the course's constants (make_hybrids may hard-code them)
SIZE = part_a_constants.SIZE
IMAGES_NOTE = f"the grader runs your function on {SIZE}×{SIZE} images from a small random IF-compatible model"


@functools.lru_cache(maxsize=1)
def oracle() -> "Oracle":
    """The grader's own copy of the tiny pipeline (same seed as the child's)."""
    return Oracle()


class Oracle:
    """UNet predictions and schedule of the tiny IF pipeline, computed in the grader's process."""

    def __init__(self) -> None:
        from assignment import setup_part_a

        given = setup_part_a("tiny", "cpu", tiny_size=SIZE)
        self.unet = given["stage_1"].unet
        self.alphas_cumprod = given["stage_1"].scheduler.alphas_cumprod.to(torch.float32)
        embeds = given["prompt_embeds_dict"]
        names = [k for k in embeds if k]
        self.uncond = embeds[""].float()
        self.p1, self.p2 = embeds[names[0]].float(), embeds[names[1]].float()

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, embeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ε̂, variance)``: the UNet's first 3 and last 3 output channels for ``x`` ``[B, 3, S, S]``."""
        out = self.unet(x.float(), t, encoder_hidden_states=embeds.expand(x.shape[0], -1, -1), return_dict=False)[0]
        return out[:, :3], out[:, 3:]

    def guided(self, x: torch.Tensor, t: int, embeds: torch.Tensor, scale: float = SCALE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(ε_cfg, v_c, ε_c, ε_u, v_u)``-style tuple: guided ε, conditional variance, ε_c, ε_u."""
        eps_c, var_c = self.predict(x, t, embeds)
        eps_u, _ = self.predict(x, t, self.uncond)
        return eps_u + scale * (eps_c - eps_u), var_c, eps_c, eps_u

    def update(self, x: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int, alpha_bars: torch.Tensor | None = None,
               clamp: bool = False) -> torch.Tensor:
        """The strided DDPM step ``x_t → x_{t'}`` before ``add_variance`` (``clamp``: ``x̂_0`` clamped to ``[-1, 1]``
        first, as diffusers' scheduler does and SPEC §4 allows)."""
        ab = self.alphas_cumprod if alpha_bars is None else alpha_bars
        a_t, a_p = ab[t].double(), ab[t_prev].double()
        alpha = a_t / a_p
        x, eps = x.double(), eps.double()
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        if clamp:
            x0 = x0.clamp(-1, 1)
        return (a_p.sqrt() * (1 - alpha) / (1 - a_t) * x0 + alpha.sqrt() * (1 - a_p) / (1 - a_t) * x).float()


def groups() -> list[Group]:
    """All Part A groups, in report order."""
    return [BasicsGroup(), LoopsGroup(), IllusionsGroup()]


def _image(seed: int, batch: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 3, SIZE, SIZE, generator=g) * 2 - 1).clamp(-1, 1)


def _tol(expected: torch.Tensor) -> float:
    return 1e-4 * (1.0 + float(expected.abs().max()))


def _as_student_image(expected: torch.Tensor, record: Record) -> torch.Tensor:
    """``expected`` ``[B, 3, H, W]`` in the form the student's function returned it, told apart by shape: as it is
    (a tensor, or the course starter's ``image.cpu().detach().numpy()``), or the older numpy ``[H, W, 3]`` in
    ``[0, 1]`` (clipped) for one image."""
    out = record.tensors.get("out")
    if record.meta.get("numpy") and out is not None and out.dim() == 3 and expected.shape[0] == 1 \
            and tuple(out.shape) == (expected.shape[2], expected.shape[3], expected.shape[1]):
        return (expected[0].permute(1, 2, 0) / 2 + 0.5).clamp(0, 1)
    return expected


def _returned_form(record: Record) -> str:
    """How the grader read the returned image, for feedback."""
    if not record.meta.get("numpy"):
        return ""
    out = record.tensors.get("out")
    if out is not None and out.dim() == 3:
        return " (your function returned a numpy [H, W, 3] image; the grader compared it with the expected image converted to [H, W, 3] in [0, 1])"
    return " (your function returned a numpy array; the grader compared it as [B, 3, H, W] in [-1, 1], the course's image.cpu().detach().numpy())"


def _shape_problem(out: torch.Tensor | None, expected: torch.Tensor, what: str, record: Record) -> str | None:
    """``tensor_problem`` with the forms a returned image may take, said in the message."""
    problem = tensor_problem(out, tuple(expected.shape), what)
    if problem and out is not None and "expected shape" in problem:
        b, c, h, w = ([1] * 4 + list(expected.shape))[-4:]
        return (f"{what}: got shape {list(out.shape)}; expected [{b}, {c}, {h}, {w}] (a tensor, or the course's "
                f"image.cpu().detach().numpy())" + (f" or a numpy [{h}, {w}, {c}] image in [0, 1]" if b == 1 else "")
                + f" — {IMAGES_NOTE}")
    return problem


# ------------------------------------------------------------------------------------------- basics


class BasicsGroup(Group):
    """``forward``, ``gaussian_denoise`` and ``one_step_denoise``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_basics", part="a", probe_module="probes_part_a", probe="run_calls", timeout_s=90)
        self.tests = (
            TestSpec("forward: x_t = sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε", 2.0, ("forward",)),
            TestSpec("gaussian_denoise: a Gaussian blur with the given kernel size and σ", 1.0, ("gaussian_denoise",)),
            TestSpec("one_step_denoise: x̂_0 from one UNet call", 2.0, ("one_step_denoise",)),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        o = oracle()
        inputs = {"p1": o.p1}
        cases = []
        ts = strategies.examples(strategies.timesteps(), 3)
        for j, t in enumerate(ts):
            inputs[f"im{j}"] = _image(60 + j, batch=1 + j % 2)
            cases.append({"key": f"forward{j}", "fn": "forward", "args": [f"@im{j}", t], "seed": j})
            self.expected[f"forward{j}"] = (inputs[f"im{j}"], t)
            x_t = o.alphas_cumprod[t].sqrt() * inputs[f"im{j}"] + (1 - o.alphas_cumprod[t]).sqrt() * torch.randn(
                inputs[f"im{j}"].shape, generator=torch.Generator().manual_seed(70 + j))
            inputs[f"noisy{j}"] = x_t
            inputs[f"noisy1_{j}"] = x_t[:1].clone()  # one image, as in the course: embeddings [1, …] fit it
            eps, _ = o.predict(x_t[:1], t, o.p1)
            ab = o.alphas_cumprod[t]
            self.expected[f"onestep{j}"] = (x_t[:1] - (1 - ab).sqrt() * eps) / ab.sqrt()
            cases.append({"key": f"onestep{j}", "fn": "one_step_denoise", "args": [f"@noisy1_{j}", t, "@p1"]})
        for j, (k, s) in enumerate(strategies.examples(strategies.blur_settings(), 2)):
            x = inputs[f"noisy{j}"]
            self.expected[f"blur{j}"] = [TF.gaussian_blur(x, [k, k], [s, s]), _zero_padded_blur(x, k, s)]
            cases.append({"key": f"blur{j}", "fn": "gaussian_denoise", "args": [f"@noisy{j}", k, s]})
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        o = oracle()
        outcome: dict[str, tuple[float, str]] = {}
        outcome[self.tests[0].name] = _all_cases(run, [k for k in self.expected if k.startswith("forward")],
                                                 lambda r, k: _check_forward(r, *self.expected[k], o))
        outcome[self.tests[1].name] = _all_cases(run, [k for k in self.expected if k.startswith("blur")],
                                                 lambda r, k: _check_blur(r, self.expected[k]))
        outcome[self.tests[2].name] = _all_cases(run, [k for k in self.expected if k.startswith("onestep")],
                                                 lambda r, k: _check_plain(r, self.expected[k], "x̂_0",
                                                                           "x̂_0 = (x_t − sqrt(1−ᾱ_t)·ε̂)/sqrt(ᾱ_t), ε̂ = the UNet's first 3 channels, ᾱ_t = alphas_cumprod[t]"))
        return outcome


def _zero_padded_blur(x: torch.Tensor, k: int, s: float) -> torch.Tensor:
    half = (k - 1) * 0.5
    grid = torch.linspace(-half, half, k)
    kernel1d = torch.exp(-0.5 * (grid / s) ** 2)
    kernel1d = kernel1d / kernel1d.sum()
    kernel = (kernel1d[:, None] * kernel1d[None, :]).expand(x.shape[1], 1, k, k)
    return F.conv2d(x, kernel, padding=k // 2, groups=x.shape[1])


def _all_cases(run: ChildRun, keys: list[str], fn: Callable[[Record, str], tuple[bool, str]]) -> tuple[float, str]:
    for key in keys:
        record, why = record_or_reason(run, key)
        if record is None:
            return 0.0, why
        try:
            ok, message = fn(record, key)
        except Exception as error:  # malformed output: feedback, not a grader crash
            ok, message = False, f"could not check the result ({type(error).__name__}: {error})"
        if not ok:
            return 0.0, message
    return 1.0, f"correct on all {len(keys)} cases"


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


# -------------------------------------------------------------------------------------------- loops


def _flip(x: torch.Tensor) -> torch.Tensor:
    return x.flip(2)


class LoopsGroup(Group):
    """``iterative_denoise``, ``iterative_denoise_cfg``, ``sdedit`` and ``inpaint``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_loops", part="a", probe_module="probes_part_a", probe="run_calls", timeout_s=120)
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


def _safe(fn, record, key) -> tuple[bool, str]:
    try:
        return fn(record, key)
    except Exception as error:
        return False, f"could not check the result ({type(error).__name__}: {error})"


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
    if inpaint is not None or start_from is not None:
        if not unet_calls:
            return False, "the UNet was never called"
        x = unet_calls[0]["x"][:1]
        if inpaint is not None and not matches_a_draw(x, draws, NOISE_ATOL):
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
        accepted, var, alternatives = _predictions(o, kind, x, t, p1, p2)
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
        if max_diff(call["var"], var) > _tol(var):
            alternatives = alternatives()
            if "guided variance" in alternatives and max_diff(call["var"], alternatives["guided variance"][1]) <= _tol(var):
                return False, f"step t = {t}: guidance was applied to the variance; pass the conditional prediction's variance (channels 3:) to add_variance"
            return False, f"step t = {t}: the variance passed to add_variance is not {'the mean of the two conditional predictions (channels 3:, the upside-down one flipped back)' if kind == 'flip' else 'the mean of the two conditional predictions (channels 3:)' if kind == 'hybrid' else 'the conditional prediction’s channels 3:'}"
        x = after
        if inpaint is not None:
            original, mask = inpaint
            nxt = unet_calls[_first_call_at(unet_calls, TIMESTEPS[i + 1], k + 1)]["x"][:1] if k + 1 < len(av) else record.tensors.get("out")
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
    seen = -1
    for index, call in enumerate(calls):
        if int(round(float(call["t"]))) == t:
            return index
    raise ValueError(f"no UNet call at t = {t} (step {step})")


def _predictions(o: Oracle, kind: str, x: torch.Tensor, t: int, p1: torch.Tensor, p2: torch.Tensor | None):
    """``(accepted ε's, variance, alternatives)`` for a loop kind.

    ``accepted``: the ε's of correct implementations (for the hybrid, torchvision's reflect-padded blur or a
    zero-padded convolution, both allowed by SPEC §4). ``alternatives()`` computes, only when a step fails,
    ``{hint: (ε_bug, variance_bug)}`` for common bugs, so a correct submission costs no extra UNet calls.
    """
    if kind == "plain":
        eps, var = o.predict(x, t, p1)
        return [eps], var, dict
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

        return [eps], var, cfg_alternatives
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
            return alt

        return [(e1 + _flip(e2)) / 2], (v1 + _flip(v2)) / 2, flip_alternatives
    e1, v1, _, _ = o.guided(x, t, p1)
    e2, v2, _, _ = o.guided(x, t, p2)
    low = lambda e: TF.gaussian_blur(e, [HYBRID_KERNEL, HYBRID_KERNEL], [HYBRID_SIGMA, HYBRID_SIGMA])  # noqa: E731
    zlow = lambda e: _zero_padded_blur(e, HYBRID_KERNEL, HYBRID_SIGMA)  # noqa: E731
    return [low(e1) + e2 - low(e2), zlow(e1) + e2 - zlow(e2)], (v1 + v2) / 2, lambda: {
        "low-pass and high-pass are swapped: ε = lowpass(ε_1) + highpass(ε_2)": (low(e2) + e1 - low(e1), (v1 + v2) / 2),
    }


def _hint(o: Oracle, got: torch.Tensor, x: torch.Tensor, t: int, t_prev: int, alternatives: dict, kind: str) -> str:
    for label, (eps_alt, _) in alternatives.items():
        if label in ("guided variance",):
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


def _matches_on(candidate: torch.Tensor, draws: list[torch.Tensor], where: torch.Tensor) -> bool:
    for draw in draws:
        if draw.shape == candidate.shape and float((draw.double() - candidate)[where].abs().max()) <= NOISE_ATOL:
            return True
    return False


# ---------------------------------------------------------------------------------------- illusions


class IllusionsGroup(Group):
    """``make_flip_illusion`` and ``make_hybrids``."""

    def __init__(self) -> None:
        super().__init__(name="part_a_illusions", part="a", probe_module="probes_part_a", probe="run_calls", timeout_s=120)
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
