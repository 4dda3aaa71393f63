"""The shipped reference DDPMs: Part B's time- and class-conditioned models trained with the course's settings.

``python data/build_reference_models.py`` trains them on a CUDA GPU (D = 64, batch 128, 20 epochs, Adam 1e-3 with
``ExponentialLR``, T = 300, seed 0, through :mod:`solutions.fast_training`) and writes
``data/reference_models/{time_ddpm,class_ddpm}.safetensors`` (each DDPM's state dict in fp16) and
``training.json`` (how they were trained and what they scored). The main job draws its headline Part B figures
from them; :func:`load_reference_ddpm` loads one into the reference classes, in fp32, on any device.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet

__all__ = ["REFERENCE_DIR", "KINDS", "checkpoint_path", "available", "record", "save_reference_ddpm",
           "load_reference_ddpm", "new_ddpm"]

# FUNDIFF_REFERENCE_MODELS points elsewhere (e.g. a small smoke-test build), like FUNDIFF_MNIST_ROOT for MNIST.
REFERENCE_DIR = Path(os.environ.get("FUNDIFF_REFERENCE_MODELS", Path(__file__).resolve().parents[1] / "data" / "reference_models"))
KINDS = {"time": TimeConditionalUNet, "class": ClassConditionalUNet}


def checkpoint_path(kind: str, root: str | Path = REFERENCE_DIR) -> Path:
    """``root/{kind}_ddpm.safetensors`` for ``kind`` in ``"time"``, ``"class"``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return Path(root) / f"{kind}_ddpm.safetensors"


def available(root: str | Path = REFERENCE_DIR) -> bool:
    """True when both checkpoints and ``training.json`` are present under ``root``."""
    root = Path(root)
    return all(checkpoint_path(k, root).exists() for k in KINDS) and (root / "training.json").exists()


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


def _num_hiddens(state: dict[str, torch.Tensor]) -> int:
    # the first convolution maps 1 channel to D: its weight is [D, 1, 3, 3]
    first = next(v for k, v in state.items() if k.endswith("weight") and v.dim() == 4 and v.shape[1] == 1)
    return int(first.shape[0])
