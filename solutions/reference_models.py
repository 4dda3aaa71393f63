"""The shipped reference models: Part B's three models trained with the course's settings on a GPU.

``python data/build_reference_models.py`` trains them on a CUDA GPU and writes, under ``data/reference_models/``:

* ``{time_ddpm,class_ddpm}.safetensors``: the time- and class-conditioned DDPMs (D = 64, batch 128, 20 epochs,
  Adam 1e-3 with ``ExponentialLR``, T = 300, seed 0, through :mod:`solutions.fast_training`);
* ``denoiser.safetensors``: the unconditional one-step denoiser (:class:`UnconditionalUNet`, D = 128, σ = 0.5,
  batch 256, 5 epochs, Adam 1e-4, seed 0, through the notebook loop :func:`solutions.training.train_denoiser`);
* ``training.json``: how they were trained and what they scored.

Each checkpoint is the model's state dict in fp16. The main job draws its headline Part B figures from them;
:func:`load_reference_ddpm` and :func:`load_reference_denoiser` load them into the reference classes, in fp32 and
eval mode, on any device.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet, add_noise

__all__ = ["REFERENCE_DIR", "KINDS", "DENOISER_SIGMA", "checkpoint_path", "denoiser_checkpoint_path", "available",
           "denoiser_available", "record", "save_reference_ddpm", "load_reference_ddpm", "new_ddpm",
           "save_reference_denoiser", "load_reference_denoiser", "denoiser_test_mse"]

# FUNDIFF_REFERENCE_MODELS points elsewhere (e.g. a small smoke-test build), like FUNDIFF_MNIST_ROOT for MNIST.
REFERENCE_DIR = Path(os.environ.get("FUNDIFF_REFERENCE_MODELS", Path(__file__).resolve().parents[1] / "data" / "reference_models"))
KINDS = {"time": TimeConditionalUNet, "class": ClassConditionalUNet}
#: the noise level the one-step denoiser is trained at (Part B 1.2)
DENOISER_SIGMA = 0.5


def checkpoint_path(kind: str, root: str | Path = REFERENCE_DIR) -> Path:
    """``root/{kind}_ddpm.safetensors`` for ``kind`` in ``"time"``, ``"class"``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return Path(root) / f"{kind}_ddpm.safetensors"


def denoiser_checkpoint_path(root: str | Path = REFERENCE_DIR) -> Path:
    """``root/denoiser.safetensors``: the one-step denoiser's checkpoint."""
    return Path(root) / "denoiser.safetensors"


def available(root: str | Path = REFERENCE_DIR) -> bool:
    """True when both DDPM checkpoints and ``training.json`` are present under ``root``."""
    root = Path(root)
    return all(checkpoint_path(k, root).exists() for k in KINDS) and (root / "training.json").exists()


def denoiser_available(root: str | Path = REFERENCE_DIR) -> bool:
    """True when the denoiser checkpoint is present and ``training.json`` records it."""
    root = Path(root)
    return (denoiser_checkpoint_path(root).exists() and (root / "training.json").exists()
            and "denoiser" in record(root).get("models", {}))


def record(root: str | Path = REFERENCE_DIR) -> dict:
    """The training record ``root/training.json`` (settings, data, final losses, scores, GPU, seconds)."""
    return json.loads((Path(root) / "training.json").read_text())


def new_ddpm(kind: str, num_hiddens: int = 64, num_ts: int = 300) -> DDPM:
    """A fresh reference DDPM of ``kind`` (``"time"`` or ``"class"``), 1 channel, 10 classes."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return DDPM(KINDS[kind](1, 10, num_hiddens), num_ts=num_ts)


def save_reference_ddpm(ddpm: DDPM, kind: str, root: str | Path = REFERENCE_DIR) -> Path:
    """Write ``ddpm``'s state dict (floating tensors as fp16, contiguous, CPU) to :func:`checkpoint_path`."""
    from safetensors.torch import save_file

    state = {name: (t.detach().to(torch.float16) if t.is_floating_point() else t.detach()).contiguous().cpu()
             for name, t in ddpm.state_dict().items()}
    num_hiddens = ddpm.unet.num_hiddens if hasattr(ddpm.unet, "num_hiddens") else _num_hiddens(state)
    meta = {"kind": kind, "unet": type(ddpm.unet).__name__, "num_hiddens": str(num_hiddens),
            "num_ts": str(ddpm.num_ts), "betas": json.dumps(list(ddpm.beta_range)), "p_uncond": str(ddpm.p_uncond)}
    path = checkpoint_path(kind, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata=meta)
    return path


def load_reference_ddpm(kind: str, device: str | torch.device = "cpu", root: str | Path = REFERENCE_DIR) -> DDPM:
    """The shipped ``kind`` DDPM (``"time"`` or ``"class"``) in fp32 and eval mode on ``device``."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = checkpoint_path(kind, root)
    if not path.exists():
        raise FileNotFoundError(f"no reference checkpoint at {path}; run `python data/build_reference_models.py` on a GPU")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    state = load_file(str(path))
    num_hiddens = int(meta.get("num_hiddens", _num_hiddens(state)))
    ddpm = DDPM(KINDS[kind](1, 10, num_hiddens), betas=tuple(json.loads(meta.get("betas", "[0.0001, 0.02]"))),
                num_ts=int(meta.get("num_ts", 300)), p_uncond=float(meta.get("p_uncond", 0.1)))
    ddpm.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return ddpm.to(device).eval()


def save_reference_denoiser(unet: UnconditionalUNet, root: str | Path = REFERENCE_DIR,
                            sigma: float = DENOISER_SIGMA) -> Path:
    """Write the one-step denoiser's state dict (floating tensors as fp16) to :func:`denoiser_checkpoint_path`."""
    from safetensors.torch import save_file

    state = {name: (t.detach().to(torch.float16) if t.is_floating_point() else t.detach()).contiguous().cpu()
             for name, t in unet.state_dict().items()}
    meta = {"kind": "denoiser", "unet": type(unet).__name__, "in_channels": str(unet.in_channels),
            "num_hiddens": str(unet.num_hiddens), "sigma": str(sigma)}
    path = denoiser_checkpoint_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata=meta)
    return path


def load_reference_denoiser(device: str | torch.device = "cpu", root: str | Path = REFERENCE_DIR) -> UnconditionalUNet:
    """The shipped one-step denoiser (:class:`UnconditionalUNet`, trained at σ = 0.5) in fp32 and eval mode.

    It maps noisy digits ``[N, 1, 28, 28]`` (clean digits in ``[0, 1]`` plus σ·ε) to denoised ``[N, 1, 28, 28]``.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = denoiser_checkpoint_path(root)
    if not path.exists():
        raise FileNotFoundError(f"no reference denoiser at {path}; run "
                                "`python data/build_reference_models.py --models denoiser` on a GPU")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    state = load_file(str(path))
    unet = UnconditionalUNet(int(meta.get("in_channels", 1)), int(meta.get("num_hiddens", _num_hiddens(state))))
    unet.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return unet.to(device).eval()


@torch.inference_mode()
def denoiser_test_mse(unet: torch.nn.Module, images: torch.Tensor, sigma: float = DENOISER_SIGMA, seed: int = 0,
                      batch_size: int = 100) -> dict[str, float]:
    """Mean squared error of the one-step denoiser on ``images`` noised at ``sigma`` (noise from a CPU generator).

    Args:
        unet: ``[N, 1, 28, 28] → [N, 1, 28, 28]``, on any device; run in eval mode (its mode is restored).
        images: clean test digits ``[N, 1, 28, 28]`` in ``[0, 1]`` (CPU); ``add_noise(images, sigma, Generator(seed))``
            is the noisy input, the same on every device.
    Returns:
        ``{"mse": ‖unet(noisy) − images‖² mean, "noisy_mse": ‖noisy − images‖² mean}`` (the second is ≈ σ²).
    """
    device = next(unet.parameters()).device
    noisy = add_noise(images.float(), sigma, generator=torch.Generator().manual_seed(seed))
    was_training = unet.training
    unet.eval()
    try:
        denoised = torch.cat([unet(chunk.to(device)).float().cpu() for chunk in noisy.split(batch_size)])
    finally:
        unet.train(was_training)
    return {"mse": torch.mean((denoised - images) ** 2).item(), "noisy_mse": torch.mean((noisy - images) ** 2).item()}


def _num_hiddens(state: dict[str, torch.Tensor]) -> int:
    # the first convolution maps 1 channel to D: its weight is [D, 1, 3, 3]
    first = next(v for k, v in state.items() if k.endswith("weight") and v.dim() == 4 and v.shape[1] == 1)
    return int(first.shape[0])
