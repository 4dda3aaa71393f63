"""DeepFloyd IF and its offline stand-ins, all loaded the diffusers way.

Part A wraps sampling loops around DeepFloyd IF's stage-1 pixel-space denoiser. This module loads it (and stage 2,
the 64→256 upscaler) through ``diffusers.DiffusionPipeline.from_pretrained`` exactly as the course does
(``text_encoder=None``: prompts arrive as precomputed T5 embeddings, see :mod:`assignment.prompts`), and loads the
kit's offline *mini* denoiser — a small IF-compatible pipeline trained on coloured MNIST digits and shipped in
``data/mini_if`` — through the very same ``from_pretrained`` call.

IF-compatible means: a ``UNet2DConditionModel`` with 3 input channels and 6 output channels (``[:3]`` noise ε,
``[3:]`` the learned variance in ``[-1, 1]`` for the scheduler's ``learned_range``), text cross-attention on
``encoder_hidden_states`` ``[B, tokens, width]``, and IF's ``DDPMScheduler`` (1000 steps, ``squaredcos_cap_v2``,
``learned_range``). :func:`make_tiny_if_pipeline` builds a randomly initialised one that runs on a CPU in
milliseconds, for tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = [
    "IF_STAGE_1",
    "IF_STAGE_2",
    "MINI_IF_PATH",
    "IF_SCHEDULER_CONFIG",
    "DeepFloydWeightsMissing",
    "load_stage_1",
    "load_stage_2",
    "load_mini_if",
    "load_pipeline",
    "make_if_scheduler",
    "make_if_unet",
    "make_tiny_if_pipeline",
    "default_device",
]

IF_STAGE_1 = "DeepFloyd/IF-I-XL-v1.0"
IF_STAGE_2 = "DeepFloyd/IF-II-L-v1.0"
MINI_IF_PATH = Path(__file__).resolve().parents[1] / "data" / "mini_if"

#: DeepFloyd IF stage 1's scheduler configuration (``scheduler/scheduler_config.json`` on the hub), minus the
#: thresholding used only by IFPipeline's own ``__call__``.
IF_SCHEDULER_CONFIG: dict = {
    "num_train_timesteps": 1000,
    "beta_schedule": "squaredcos_cap_v2",
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "variance_type": "learned_range",
    "prediction_type": "epsilon",
    "clip_sample": True,
    "clip_sample_range": 1.0,
    "thresholding": True,
    "dynamic_thresholding_ratio": 0.95,
    "sample_max_value": 1.5,
}

_LICENCE_HELP = (
    "DeepFloyd IF's weights are gated on the Hugging Face hub. To get them: (1) make a Hugging Face account and "
    "accept the licence on https://huggingface.co/DeepFloyd/IF-I-XL-v1.0 (and IF-II-L-v1.0 for stage 2); "
    "(2) create an access token (https://huggingface.co/settings/tokens) and run `huggingface-cli login` "
    "(or `hf auth login`); (3) run this again with internet access, so the weights land in the hub cache "
    "(~/.cache/huggingface), or pass a local folder holding the pipeline in save_pretrained layout. "
    "Without them, use the offline mini model: setup_part_a(model='mini')."
)


class DeepFloydWeightsMissing(FileNotFoundError):
    """DeepFloyd IF was asked for but its weights are neither in the hub cache nor in the given folder."""


def default_device() -> torch.device:
    """``cuda`` when a GPU is visible, else ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_pipeline(source: str | Path, device: str | torch.device | None = None, dtype: torch.dtype | None = None,
                  variant: str | None = None, local_files_only: bool | None = None):
    """Load an IF-style pipeline with ``DiffusionPipeline.from_pretrained(source, text_encoder=None, ...)``.

    The one code path shared by DeepFloyd IF and the mini model. ``source`` is a hub id or a local folder in
    ``save_pretrained`` layout. The pipeline is moved to ``device`` (default :func:`default_device`) and
    ``dtype``; ``variant="fp16"`` picks the half-precision weight files DeepFloyd publishes.
    """
    from diffusers import DiffusionPipeline

    device = torch.device(device) if device is not None else default_device()
    kwargs: dict = {"text_encoder": None}
    if dtype is not None:
        kwargs["torch_dtype"] = dtype
    if variant is not None:
        kwargs["variant"] = variant
    if local_files_only is not None:
        kwargs["local_files_only"] = local_files_only
    pipe = DiffusionPipeline.from_pretrained(str(source), **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def load_stage_1(source: str | Path = IF_STAGE_1, device: str | torch.device | None = None):
    """DeepFloyd IF stage 1 (64×64 pixel denoiser, ``IF-I-XL-v1.0``) with no text encoder.

    On a GPU it loads the ``fp16`` variant in ``float16`` (as the course does); on a CPU in ``float32``.
    ``source`` may be the hub id (the weights must already be in the hub cache or downloadable with an
    accepted licence and a login) or a local folder. Raises :class:`DeepFloydWeightsMissing` with instructions
    when the weights can't be found.
    """
    return _load_deepfloyd(source, device)


def load_stage_2(source: str | Path = IF_STAGE_2, device: str | torch.device | None = None):
    """DeepFloyd IF stage 2 (64→256 super-resolution, ``IF-II-L-v1.0``) with no text encoder; see :func:`load_stage_1`."""
    return _load_deepfloyd(source, device)


def load_mini_if(path: str | Path = MINI_IF_PATH, device: str | torch.device | None = None,
                 dtype: torch.dtype = torch.float32):
    """The kit's offline IF-compatible mini denoiser (32×32 coloured MNIST world) from ``data/mini_if``.

    Same ``from_pretrained`` path as DeepFloyd; ``float32`` by default so it runs on a CPU.
    """
    path = Path(path)
    if not (path / "model_index.json").exists():
        raise FileNotFoundError(
            f"the mini IF model is missing: no model_index.json in {path}. It ships with the kit; "
            "rebuild it with `python data/build_mini_if.py` (needs a GPU for a few minutes)."
        )
    return load_pipeline(path, device=device, dtype=dtype)


def make_if_scheduler():
    """A fresh ``DDPMScheduler`` with IF stage 1's configuration (1000 steps, squaredcos_cap_v2, learned_range)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(**IF_SCHEDULER_CONFIG)


def make_if_unet(sample_size: int = 32, block_out_channels: tuple[int, ...] = (64, 128, 128),
                 layers_per_block: int = 1, embed_dim: int = 64, attention_head_dim: int = 32,
                 norm_num_groups: int = 8):
    """A small ``UNet2DConditionModel`` laid out like IF stage 1's, randomly initialised.

    IF's block types (``ResnetDownsampleBlock2D`` then ``SimpleCrossAttn*`` blocks, a simple cross-attention mid
    block, scale-shift ResNets, GELU), 3 → 6 channels, and IF's text interface: ``encoder_hidden_states``
    ``[B, tokens, embed_dim]`` go through a ``text_proj`` (``encoder_hid_dim``) and an attention-pooled ``text``
    addition to the time embedding. Input ``[B, 3, sample_size, sample_size]`` in ``[-1, 1]``.

    ``norm_num_groups`` must leave several channels per group: with one channel per group GroupNorm becomes
    InstanceNorm, which erases each feature map's mean, so the UNet cannot predict the noise's per-channel mean
    (its DC), and the ``1/sqrt(ᾱ_t)`` in the clean estimate turns that error into flat coloured samples.
    """
    from diffusers import UNet2DConditionModel

    n = len(block_out_channels)
    down = ("ResnetDownsampleBlock2D",) + ("SimpleCrossAttnDownBlock2D",) * (n - 1)
    up = ("SimpleCrossAttnUpBlock2D",) * (n - 1) + ("ResnetUpsampleBlock2D",)
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=3,
        out_channels=6,
        down_block_types=down,
        up_block_types=up,
        mid_block_type="UNetMidBlock2DSimpleCrossAttn",
        block_out_channels=block_out_channels,
        layers_per_block=layers_per_block,
        norm_num_groups=norm_num_groups,
        cross_attention_dim=block_out_channels[-1],
        encoder_hid_dim=embed_dim,
        encoder_hid_dim_type="text_proj",
        addition_embed_type="text",
        addition_embed_type_num_heads=max(1, embed_dim // attention_head_dim),
        attention_head_dim=attention_head_dim,
        resnet_time_scale_shift="scale_shift",
        act_fn="gelu",
        only_cross_attention=False,
        upcast_attention=False,
    )


def make_tiny_if_pipeline(seed: int = 0, sample_size: int = 16, embed_dim: int = 16, block_out_channels=(16, 32)):
    """A randomly initialised, tiny IF-compatible pipeline for tests (CPU, float32, milliseconds per UNet call).

    Returns a diffusers ``IFPipeline`` with ``unet`` (3 → 6 channels, cross-attention on ``[B, tokens, embed_dim]``)
    and IF's ``scheduler``; tokenizer, text encoder, safety checker and watermarker are ``None``, as in the course's
    loading. It saves and loads with ``save_pretrained`` / ``DiffusionPipeline.from_pretrained``. ``seed`` fixes the
    weights.
    """

    torch.manual_seed(seed)
    unet = make_if_unet(sample_size=sample_size, block_out_channels=tuple(block_out_channels), embed_dim=embed_dim,
                        attention_head_dim=8)
    pipe = assemble_if_pipeline(unet.eval(), make_if_scheduler())
    pipe.set_progress_bar_config(disable=True)
    return pipe


def assemble_if_pipeline(unet, scheduler):
    """Wrap a UNet and scheduler in ``IFPipeline`` with no text encoder, tokenizer, safety checker or watermarker."""
    from diffusers import IFPipeline

    return IFPipeline(tokenizer=None, text_encoder=None, unet=unet, scheduler=scheduler, safety_checker=None,
                      feature_extractor=None, watermarker=None, requires_safety_checker=False)


def _load_deepfloyd(source: str | Path, device: str | torch.device | None):
    device = torch.device(device) if device is not None else default_device()
    on_gpu = device.type == "cuda"
    local = Path(source).expanduser()
    if local.exists():
        source = local
    elif not _in_hub_cache(str(source)) and os.environ.get("HF_HUB_OFFLINE") == "1":
        raise DeepFloydWeightsMissing(f"{source} is not in the Hugging Face cache and HF_HUB_OFFLINE=1. " + _LICENCE_HELP)
    try:
        return load_pipeline(source, device=device, dtype=torch.float16 if on_gpu else torch.float32,
                             variant="fp16" if on_gpu else None)
    except Exception as error:  # gated repo, no login, no network, or no cache
        if isinstance(error, (OSError, ValueError)) or "401" in str(error) or "gated" in str(error).lower():
            raise DeepFloydWeightsMissing(f"could not load {source}: {type(error).__name__}: {error}\n" + _LICENCE_HELP) from error
        raise


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import scan_cache_dir

        return any(repo.repo_id == repo_id for repo in scan_cache_dir().repos)
    except Exception:
        return False


def cache_deepfloyd(repos: tuple[str, ...] = (IF_STAGE_1, IF_STAGE_2)) -> list[Path]:
    """Download DeepFloyd IF's fp16 weights (no text encoder) into the Hugging Face cache, e.g. while building
    the grading image. Needs a token of an account that accepted the licence (``HF_TOKEN``)."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.txt", "unet/*.fp16.safetensors", "scheduler/*", "watermarker/*fp16*", "safety_checker/*fp16*",
                "feature_extractor/*"]
    paths = []
    for repo in repos:
        try:
            paths.append(Path(snapshot_download(repo, allow_patterns=patterns)))
        except Exception as error:
            raise DeepFloydWeightsMissing(f"could not download {repo}: {type(error).__name__}: {error}\n" + _LICENCE_HELP) from error
    return paths


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m assignment.if_models", description="DeepFloyd IF weights for the kit")
    parser.add_argument("--cache-deepfloyd", action="store_true",
                        help="download IF-I-XL-v1.0 and IF-II-L-v1.0 (fp16 UNets, no T5) into the Hugging Face cache")
    args = parser.parse_args()
    if not args.cache_deepfloyd:
        parser.print_help()
    else:
        for path in cache_deepfloyd():
            print(f"cached {path}")
