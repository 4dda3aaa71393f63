"""Image helpers for Part A: load, resize and crop to the model's size, convert to and from ``[-1, 1]``, save.

DeepFloyd IF stage 1 (and the mini model) work on images ``[B, 3, S, S]`` float in ``[-1, 1]`` where ``S`` is
``stage_1.unet.config.sample_size`` (64 for IF, 32 for the mini model). PIL and torchvision do the work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import v2 as T

__all__ = [
    "DATA_DIR",
    "TEST_IMAGE_PATH",
    "TEST_MASK_PATH",
    "SCRIBBLE_PATH",
    "model_size",
    "load_image",
    "to_model_range",
    "to_unit_range",
    "to_hwc_numpy",
    "save_image",
]

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "part_a"
#: The mini world's "Campanile": a coloured test-split digit, with its inpainting mask and a hand-drawn-like scribble.
TEST_IMAGE_PATH = DATA_DIR / "test_digit.png"
TEST_MASK_PATH = DATA_DIR / "test_mask.png"
SCRIBBLE_PATH = DATA_DIR / "scribble.png"


def model_size(stage_1) -> int:
    """The square image size the pipeline's UNet works at (``unet.config.sample_size``)."""
    size = stage_1.unet.config.sample_size
    return int(size if isinstance(size, int) else size[0])


def load_image(path: str | Path, size: int, device: str | torch.device = "cpu",
               dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Read an image file → ``[1, 3, size, size]`` in ``[-1, 1]`` on ``device``.

    The shorter side is resized to ``size`` (antialiased bilinear), then the centre is cropped; any PIL mode is
    converted to RGB.
    """
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        tensor = T.Compose([T.PILToTensor(), T.Resize(size, antialias=True), T.CenterCrop(size),
                            T.ToDtype(torch.float32, scale=True)])(im)
    return to_model_range(tensor.unsqueeze(0)).to(device=device, dtype=dtype)


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """``[0, 1]`` → ``[-1, 1]`` (``2x - 1``); any shape, same device and dtype."""
    return images * 2 - 1


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """``[-1, 1]`` → ``[0, 1]``, clipped; any shape, same device and dtype."""
    return ((images + 1) / 2).clamp(0, 1)


def to_hwc_numpy(image: torch.Tensor) -> np.ndarray:
    """One image ``[1, 3, H, W]`` or ``[3, H, W]`` in ``[-1, 1]`` → numpy ``[H, W, 3]`` float32 in ``[0, 1]`` (clipped).

    This is the original course notebooks' return convention.
    """
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {image.shape[0]}")
        image = image[0]
    return to_unit_range(image.detach().float().cpu()).permute(1, 2, 0).numpy()


def save_image(images: torch.Tensor, path: str | Path, nrow: int = 8) -> Path:
    """Save ``[B, 3, H, W]`` (or ``[3, H, W]``) in ``[-1, 1]`` as a PNG (a grid when ``B > 1``)."""
    from torchvision.utils import save_image as tv_save_image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tv_save_image(to_unit_range(images.detach().float().cpu()), str(path), nrow=nrow, padding=2 if images.dim() == 4 and images.shape[0] > 1 else 0)
    return path
