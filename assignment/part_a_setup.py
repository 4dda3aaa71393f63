"""The names Part A gives students, built in one place for notebooks, demos and the grader.

:func:`setup_part_a` returns ``{"stage_1", "device", "strided_timesteps", "add_variance", "prompt_embeds_dict"}``,
the globals the course's setup cells define and that students' sampling loops use. ``add_variance`` is the
course's own: the scheduler's learned-range variance ``stage_1.scheduler._get_variance(t, predicted_variance)`` (a
log-variance) turned into noise ``image + exp(0.5 · variance) · randn_like(image)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["SEED", "GIVEN_NAMES", "MODELS", "make_strided_timesteps", "make_add_variance", "setup_part_a"]

#: The seed the course uses for every Part A experiment.
SEED = 42
GIVEN_NAMES = ("stage_1", "device", "strided_timesteps", "add_variance", "prompt_embeds_dict")
#: ``"mini"``: the shipped offline denoiser (32×32); ``"deepfloyd"``: IF stage 1 (64×64, gated weights);
#: ``"tiny"``: a random tiny IF-compatible pipeline (16×16) for fast tests — its outputs mean nothing.
MODELS = ("mini", "deepfloyd", "tiny")


def make_strided_timesteps(start: int = 990, stride: int = 30) -> list[int]:
    """``list(range(start, -1, -stride))``: ``[990, 960, …, 30, 0]`` for IF, noisiest first, ending at 0."""
    return list(range(start, -1, -stride))


def make_add_variance(stage_1) -> Callable[[torch.Tensor, int, torch.Tensor], torch.Tensor]:
    """The course's ``add_variance(predicted_variance, t, image)`` for ``stage_1``'s scheduler.

    ``predicted_variance`` is the UNet's output channels ``[3:]`` ``[B, 3, H, W]`` (in ``[-1, 1]``), ``t`` the current
    timestep (int), ``image`` ``[B, 3, H, W]`` the mean of the next sample. Returns
    ``image + exp(0.5 · v) · ε``, ``ε = randn_like(image)``, with ``v`` the learned-range log-variance
    ``frac · log β_t + (1 − frac) · log β̃_t``, ``frac = (predicted_variance + 1) / 2`` (one-step values of the
    1000-step schedule, as in the course).
    """

    def add_variance(predicted_variance: torch.Tensor, t: int, image: torch.Tensor) -> torch.Tensor:
        variance = stage_1.scheduler._get_variance(t, predicted_variance=predicted_variance)
        variance_noise = torch.randn_like(image)
        variance = torch.exp(0.5 * variance) * variance_noise
        return image + variance.to(image.dtype)

    return add_variance


def setup_part_a(model: str = "mini", device: str | torch.device | None = None, tiny_size: int = 16) -> dict:
    """Load a model and build Part A's given names.

    Args:
        model: ``"mini"`` (default; offline, runs on a CPU), ``"deepfloyd"`` (IF-I-XL-v1.0, fp16 on a GPU; raises
            with instructions when the weights are missing) or ``"tiny"`` (random, for tests).
        device: where the model runs; default CUDA when available, else CPU.
        tiny_size: the tiny model's ``sample_size`` (the grader uses 32, for the course's 33-tap blur).

    Returns:
        ``{"stage_1": pipeline, "device": torch.device, "strided_timesteps": list[int],
        "add_variance": callable, "prompt_embeds_dict": {prompt: [1, tokens, width] tensor on device}}``;
        embeddings have the UNet's dtype; ``""`` is the unconditional prompt.
    """
    from . import if_models, prompts

    device = torch.device(device) if device is not None else if_models.default_device()
    if model == "mini":
        stage_1 = if_models.load_mini_if(device=device)
        embeds = prompts.load_prompt_embeds(prompts.MINI_PROMPT_EMBEDS_PATH, device, stage_1.unet.dtype)
    elif model == "deepfloyd":
        stage_1 = if_models.load_stage_1(device=device)
        embeds = prompts.deepfloyd_prompt_embeds(device, stage_1.unet.dtype)
    elif model == "tiny":
        stage_1 = if_models.make_tiny_if_pipeline(seed=0, sample_size=tiny_size).to(device)
        width = stage_1.unet.config.encoder_hid_dim
        embeds = {k: v.to(device) for k, v in prompts.make_mini_prompt_embeds(tokens=4, width=width).items()}
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {MODELS}")
    return {
        "stage_1": stage_1,
        "device": device,
        "strided_timesteps": make_strided_timesteps(),
        "add_variance": make_add_variance(stage_1),
        "prompt_embeds_dict": embeds,
    }
