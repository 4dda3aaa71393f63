"""Binary inpainting masks: 1 where new content is generated, 0 where the original is kept.

A mask is a float tensor ``[1, 1, H, W]`` of zeros and ones on the image's device, which broadcasts over the
channels and the batch of an image ``[B, 3, H, W]``.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["rectangle_mask", "load_mask", "check_mask"]


def rectangle_mask(size: int, top: int, left: int, height: int, width: int,
                   device: str | torch.device = "cpu") -> torch.Tensor:
    """``[1, 1, size, size]`` zeros with ones in rows ``top:top+height`` and columns ``left:left+width``."""
    mask = torch.zeros(1, 1, size, size, device=device)
    mask[..., top : top + height, left : left + width] = 1.0
    return mask


def load_mask(path: str | Path, size: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Read a black/white image → ``[1, 1, size, size]`` mask (pixels brighter than half are 1; nearest resize)."""
    from PIL import Image
    from torchvision.transforms import v2 as T

    with Image.open(path) as im:
        grey = T.Compose([T.PILToTensor(), T.Resize(size, interpolation=T.InterpolationMode.NEAREST), T.CenterCrop(size),
                          T.ToDtype(torch.float32, scale=True)])(im.convert("L"))
    return (grey > 0.5).float().unsqueeze(0).to(device)


def check_mask(mask: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Validate ``mask`` against ``image`` ``[B, 3, H, W]`` and return it as a float tensor on the image's device.

    Accepted shapes: ``[H, W]``, ``[1|3, H, W]``, ``[1|B, 1|3, H, W]``. Values must be exactly 0 or 1.
    Raises ``ValueError`` with what was expected otherwise.
    """
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor, got {type(mask).__name__}")
    h, w = image.shape[-2:]
    if mask.dim() < 2 or mask.dim() > 4 or tuple(mask.shape[-2:]) != (h, w):
        raise ValueError(f"mask must be [H, W], [C, H, W] or [B, C, H, W] with H, W = {h}, {w} (the image's); "
                         f"got shape {tuple(mask.shape)}")
    if mask.dim() >= 3 and mask.shape[-3] not in (1, 3):
        raise ValueError(f"mask channels must be 1 or 3, got shape {tuple(mask.shape)}")
    if mask.dim() == 4 and mask.shape[0] not in (1, image.shape[0]):
        raise ValueError(f"mask batch must be 1 or the image's {image.shape[0]}, got shape {tuple(mask.shape)}")
    values = mask.float()
    if not torch.all((values == 0) | (values == 1)):
        raise ValueError("mask must be binary (only 0 and 1: 1 = generate new content, 0 = keep the original); "
                         f"got values in [{values.min().item():.3g}, {values.max().item():.3g}]")
    return values.to(device=image.device, dtype=image.dtype)
