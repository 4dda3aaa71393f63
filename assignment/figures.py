"""Figures students and the demo produce: image grids, loss curves and sampling GIFs.

Images are ``[N, C, H, W]`` float tensors; ``value_range`` says how pixel values map to black and white
(``(0, 1)`` for MNIST, ``(-1, 1)`` for DeepFloyd IF). Everything writes a file and returns its path, so it works
the same in a notebook, a headless grader and CI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import make_grid

__all__ = ["to_uint8_grid", "save_image_grid", "save_gif", "plot_loss_curve", "save_labelled_rows"]


def to_uint8_grid(images: torch.Tensor, nrow: int = 10, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """``[N, C, H, W]`` → one ``[rows·H, nrow·W, 3]`` uint8 picture (values clipped to ``value_range``)."""
    lo, hi = value_range
    images = ((images.detach().float().cpu() - lo) / (hi - lo)).clamp(0, 1)
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=1.0)
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def save_image_grid(
    images: torch.Tensor, path: str | Path, nrow: int = 10, value_range: tuple[float, float] = (0.0, 1.0), scale: int = 3
) -> Path:
    """Save ``images`` ``[N, C, H, W]`` as a PNG grid with ``nrow`` images per row, enlarged ``scale``× (nearest)."""
    import imageio.v3 as iio

    picture = to_uint8_grid(images, nrow, value_range)
    picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, picture)
    return path


def save_gif(
    frames: Sequence[torch.Tensor],
    path: str | Path,
    nrow: int = 10,
    value_range: tuple[float, float] = (0.0, 1.0),
    duration_ms: int = 80,
    hold_last: int = 10,
    scale: int = 2,
) -> Path:
    """Save a sampling animation: each frame ``[N, C, H, W]`` becomes one grid; the last is held ``hold_last`` frames."""
    import imageio.v2 as imageio

    pictures = [to_uint8_grid(f, nrow, value_range).repeat(scale, 0).repeat(scale, 1) for f in frames]
    pictures += [pictures[-1]] * hold_last
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, pictures, duration=duration_ms, loop=0)
    return path


def plot_loss_curve(losses: Sequence[float], path: str | Path, title: str = "training loss", log_scale: bool = True) -> Path:
    """Plot the per-step training loss (log scale by default, as in the course) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(losses) + 1), list(losses), linewidth=0.8)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def save_labelled_rows(
    rows: Sequence[torch.Tensor],
    row_labels: Sequence[str],
    path: str | Path,
    col_labels: Sequence[str] | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
    title: str | None = None,
) -> Path:
    """A matplotlib figure of several rows of images (each ``[N, C, H, W]``) with row and column labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), max(r.shape[0] for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.4 * n_cols, 1.5 * n_rows), squeeze=False)
    lo, hi = value_range
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.axis("off")
            if j < row.shape[0]:
                img = ((row[j].detach().float().cpu() - lo) / (hi - lo)).clamp(0, 1).permute(1, 2, 0).numpy()
                ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=1)
            if i == 0 and col_labels is not None and j < len(col_labels):
                ax.set_title(col_labels[j], fontsize=8)
        axes[i][0].text(-0.1, 0.5, row_labels[i], transform=axes[i][0].transAxes, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
