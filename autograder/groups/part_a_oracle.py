"""Part A grading's shared pieces: the grader's own copy of the tiny IF pipeline (:class:`Oracle`), the
constants of the graded calls, and how a returned image is read.

The child runs the student's functions with recording wrappers; the grader rebuilds the same tiny pipeline here
and re-derives each step. Loops may return what the course's starter returns (``image.cpu().detach().numpy()``:
numpy ``[B, 3, H, W]`` in ``[-1, 1]``) or the older numpy ``[H, W, 3]`` in ``[0, 1]`` (clipped); told apart by shape,
the expected image is converted the same way before comparing. Images are 32×32 so that the course's own constants
(a 33-tap blur with σ = 2 in the hybrids) run; every function that takes prompt embeddings gets one image.

Tolerances: float32 on the CPU on both sides; images are compared with ``atol = 1e-4 · (1 + max|expected|)``
(the CFG scale 7 and ``1/sqrt(ᾱ_990)`` magnify float32 rounding of ~1e-7 to ~1e-5); recovered noise with 2e-3.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F

from autograder import config
from autograder.child import protocol
from autograder.compare import tensor_problem
from autograder.groups.base import record_or_reason
from autograder.sandbox import ChildRun, Record

TIMESTEPS = protocol.PART_A_TIMESTEPS  # [990, 825, 660, 495, 330, 165, 0]: six strided steps


SCALE = 7.0


HYBRID_KERNEL = 33  # the course's constants (make_hybrids may hard-code them)


HYBRID_SIGMA = 2.0


SIZE = protocol.PART_A_SIZE


IMAGES_NOTE = f"the grader runs your function on {SIZE}×{SIZE} images from a small random IF-compatible model"


@functools.lru_cache(maxsize=1)
def oracle() -> Oracle:
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


def _image(seed: int, batch: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 3, SIZE, SIZE, generator=g) * 2 - 1).clamp(-1, 1)


def _tol(expected: torch.Tensor) -> float:
    return config.PART_A_RTOL * (1.0 + float(expected.abs().max()))


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


def _flip(x: torch.Tensor) -> torch.Tensor:
    return x.flip(2)


def _safe(fn, record, key) -> tuple[bool, str]:
    try:
        return fn(record, key)
    except Exception as error:
        return False, f"could not check the result ({type(error).__name__}: {error})"
