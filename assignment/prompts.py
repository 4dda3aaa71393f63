"""Prompt-embedding dictionaries: prompt text → the tensor the denoiser is conditioned on.

DeepFloyd IF conditions on T5-XXL embeddings ``[1, 77, 4096]``. The T5 encoder is large, so the course hands students
*precomputed* embeddings; this module does the same: :func:`load_prompt_embeds` reads a safetensors file (keys are
the prompt texts; ``""`` is the unconditional prompt), and :func:`encode_prompts_t5` builds one with IF's own T5
encoder when it is available.

The offline mini model's world (coloured MNIST digits) has its own small vocabulary, :data:`MINI_PROMPTS`, with fixed
seeded random embeddings ``[1, MINI_TOKENS, MINI_EMBED_DIM]`` (:func:`mini_prompt_embedding`): the model learned to
associate each vector with its meaning, like IF did with T5's. They ship in ``data/mini_if_prompt_embeds.safetensors``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import torch

__all__ = [
    "UNCONDITIONAL",
    "DIGIT_PROMPTS",
    "MINI_PROMPTS",
    "MINI_TOKENS",
    "MINI_EMBED_DIM",
    "MINI_PROMPT_EMBEDS_PATH",
    "DEEPFLOYD_PROMPT_EMBEDS_PATH",
    "SEED_PROMPTS",
    "digit_prompt",
    "mini_prompt_embedding",
    "make_mini_prompt_embeds",
    "save_prompt_embeds",
    "load_prompt_embeds",
    "encode_prompts_t5",
    "deepfloyd_prompt_embeds",
]

UNCONDITIONAL = ""
#: ``DIGIT_PROMPTS[k]`` is the prompt for digit ``k``.
DIGIT_PROMPTS: tuple[str, ...] = tuple(f"a photo of the digit {k}" for k in range(10))
#: Everything the mini model was trained on: any digit for ``""`` and ``"a high quality photo"``.
MINI_PROMPTS: tuple[str, ...] = (UNCONDITIONAL, "a high quality photo") + DIGIT_PROMPTS
MINI_TOKENS = 8
MINI_EMBED_DIM = 64

_DATA = Path(__file__).resolve().parents[1] / "data"
MINI_PROMPT_EMBEDS_PATH = _DATA / "mini_if_prompt_embeds.safetensors"
#: Where a course staff puts DeepFloyd's precomputed T5 embeddings (not shipped: they need the T5 weights).
DEEPFLOYD_PROMPT_EMBEDS_PATH = _DATA / "deepfloyd_prompt_embeds.safetensors"

#: The prompts the course uses with DeepFloyd IF.
SEED_PROMPTS: tuple[str, ...] = (
    UNCONDITIONAL,
    "a high quality photo",
    "an oil painting of a snowy mountain village",
    "a man wearing a hat",
    "a rocket ship",
    "a pencil",
    "a lithograph of waterfalls",
    "a lithograph of a skull",
    "an oil painting of people around a campfire",
    "an oil painting of an old man",
    "a photo of the amalfi cost",
    "a photo of a man",
    "a photo of a dog",
    "a photo of a hipster barista",
)


def digit_prompt(k: int) -> str:
    """The mini model's prompt for digit ``k`` (0-9)."""
    if not 0 <= int(k) <= 9:
        raise ValueError(f"digit must be in 0..9, got {k}")
    return DIGIT_PROMPTS[int(k)]


def mini_prompt_embedding(prompt: str, tokens: int = MINI_TOKENS, width: int = MINI_EMBED_DIM) -> torch.Tensor:
    """The mini model's fixed embedding of ``prompt``: ``[1, tokens, width]`` float32, N(0, 1) entries.

    Seeded by the SHA-256 of the text, so it is the same on every machine and does not depend on list order.
    """
    seed = int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "little")
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, tokens, width, generator=g)


def make_mini_prompt_embeds(prompts: Iterable[str] = MINI_PROMPTS, tokens: int = MINI_TOKENS,
                            width: int = MINI_EMBED_DIM) -> dict[str, torch.Tensor]:
    """``{prompt: mini_prompt_embedding(prompt)}`` for each prompt (CPU, float32)."""
    return {p: mini_prompt_embedding(p, tokens, width) for p in prompts}


def save_prompt_embeds(embeds: dict[str, torch.Tensor], path: str | Path) -> Path:
    """Write a prompt → ``[1, tokens, width]`` dictionary as safetensors (keys are the prompt texts)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in embeds.items()}, str(path))
    return path


def load_prompt_embeds(path: str | Path, device: str | torch.device = "cpu",
                       dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """Read a prompt-embedding safetensors file; each value ``[1, tokens, width]`` on ``device`` (and ``dtype``)."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no prompt-embedding file at {path}")
    embeds = load_file(str(path), device="cpu")
    return {k: v.to(device=device, dtype=dtype or v.dtype) for k, v in embeds.items()}


@torch.no_grad()
def encode_prompts_t5(prompts: Iterable[str], device: str | torch.device | None = None,
                      source: str = "DeepFloyd/IF-I-XL-v1.0") -> dict[str, torch.Tensor]:
    """Embed ``prompts`` with DeepFloyd IF's T5-XXL encoder (``[1, 77, 4096]`` each), as the course's staff did.

    Loads IF stage 1's pipeline with ``unet=None`` and calls its ``encode_prompt``. Needs the gated weights (see
    :mod:`assignment.if_models`) and ~10 GB of memory (8-bit on a GPU needs bitsandbytes; float16 is used here).
    """
    from diffusers import DiffusionPipeline

    device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    pipe = DiffusionPipeline.from_pretrained(source, unet=None, torch_dtype=dtype,
                                             variant="fp16" if device.type == "cuda" else None).to(device)
    out = {}
    for prompt in prompts:
        embeds, _ = pipe.encode_prompt(prompt, do_classifier_free_guidance=False)
        out[prompt] = embeds.detach()
    return out


def deepfloyd_prompt_embeds(device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
                            path: str | Path = DEEPFLOYD_PROMPT_EMBEDS_PATH) -> dict[str, torch.Tensor]:
    """DeepFloyd IF's prompt embeddings: from ``path`` when present, else computed with T5 for :data:`SEED_PROMPTS`.

    Raises ``FileNotFoundError`` explaining both routes when neither works.
    """
    path = Path(path)
    if path.exists():
        return load_prompt_embeds(path, device, dtype)
    try:
        embeds = encode_prompts_t5(SEED_PROMPTS, device=device)
    except Exception as error:
        raise FileNotFoundError(
            f"no precomputed DeepFloyd prompt embeddings at {path}, and the T5 encoder could not be loaded "
            f"({type(error).__name__}: {error}). Put the course's embedding file there (safetensors, prompt → "
            "[1, 77, 4096]), or get the DeepFloyd weights (accept the licence on "
            "https://huggingface.co/DeepFloyd/IF-I-XL-v1.0 and run `huggingface-cli login`)."
        ) from error
    save_prompt_embeds(embeds, path)
    return {k: v.to(device=device, dtype=dtype or v.dtype) for k, v in embeds.items()}
