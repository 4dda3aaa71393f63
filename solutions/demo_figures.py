"""Figures of the main job that say which model drew them: titled grids and GIFs, the digit × γ guidance grid,
and the headline Part B figures drawn from the shipped reference checkpoints (``solutions.reference_models``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from solutions.reference_models import REFERENCE_DIR

__all__ = ["REFERENCE_LABEL", "GUIDANCE_SCALES", "save_titled_grid", "save_titled_gif", "save_guidance_grid",
           "reference_figures"]

REFERENCE_LABEL = "reference checkpoint (GPU, 20 epochs)"
GUIDANCE_SCALES = (0.0, 5.0, 10.0)


def save_titled_grid(images: torch.Tensor, path: str | Path, title: str, nrow: int = 10, scale: int = 3) -> Path:
    """:func:`assignment.figures.save_image_grid` with a title banner above the grid."""
    import imageio.v3 as iio

    from assignment.figures import to_uint8_grid

    picture = to_uint8_grid(images, nrow).repeat(scale, 0).repeat(scale, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, _with_banner(picture, title))
    return path


def save_titled_gif(frames: Sequence[torch.Tensor], path: str | Path, title: str, nrow: int = 10,
                    duration_ms: int = 80, hold_last: int = 10, scale: int = 2) -> Path:
    """:func:`assignment.figures.save_gif` with a title banner on every frame."""
    import imageio.v2 as imageio

    from assignment.figures import to_uint8_grid

    pictures = [_with_banner(to_uint8_grid(f, nrow).repeat(scale, 0).repeat(scale, 1), title) for f in frames]
    pictures += [pictures[-1]] * hold_last
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, pictures, duration=duration_ms, loop=0)
    return path


def save_guidance_grid(ddpm, path: str | Path, title: str, seed: int = 0,
                       scales: Sequence[float] = GUIDANCE_SCALES) -> tuple[Path, dict, dict]:
    """One column per digit 0–9, one row per CFG scale γ (same seed in every row).

    Returns the path, ``{γ: images [10, 1, 28, 28]}`` and ``{γ: sampling frames}``."""
    from assignment.figures import save_labelled_rows

    device = next(ddpm.parameters()).device
    rows, frames = {}, {}
    for gamma in scales:
        images, frames[gamma] = ddpm.sample(c=torch.arange(10, device=device), guidance_scale=gamma, seed=seed)
        rows[gamma] = images.cpu()
    path = save_labelled_rows(list(rows.values()), [f"γ={g:g}" for g in scales], path,
                              col_labels=[f"digit {d}" for d in range(10)], title=title)
    return path, rows, frames


def reference_figures(out: Path, seed: int = 0, num_samples: int = 10, root: str | Path | None = None) -> dict:
    """Draw the headline Part B figures from the shipped checkpoints (on the CPU) and score them.

    Writes ``b2_class_guidance_scales.png`` (digits 0–9 × γ = 0, 5, 10), ``b2_class_samples.png`` (digits 0–9 at
    γ = 5), ``b2_time_samples.png`` (``num_samples``), ``b2_{time,class}_sampling.gif`` and ``b2_reference_loss.png``
    (per-epoch mean loss of the GPU runs). The D = 64 UNet costs ~1 GFLOP per image and step on the CPU, so the
    sample counts are small. Returns what ``summary.json`` records.
    """
    import time

    from assignment.classifier import class_accuracy, digit_confidence, load_classifier
    from solutions.reference_models import load_reference_ddpm, record

    started = time.perf_counter()
    root = Path(root) if root is not None else REFERENCE_DIR
    info = record(root)
    classifier = load_classifier()
    summary: dict = {"source": f"{_shown(root)} "
                               f"(python data/build_reference_models.py on {info.get('gpu')})",
                     "label": REFERENCE_LABEL, "recorded": {k: {n: v for n, v in m.items() if n != "epoch_mean_loss"}
                                                            for k, m in info["models"].items()}}
    class_ddpm = load_reference_ddpm("class", root=root)
    _, rows, grid_frames = save_guidance_grid(class_ddpm, out / "b2_class_guidance_scales.png",
                                 f"class-conditioned DDPM — {REFERENCE_LABEL}", seed)
    summary["guidance_grid_class_accuracy"] = {f"{g:g}": class_accuracy(r, torch.arange(10), classifier)
                                               for g, r in rows.items()}
    # the γ = 5 row is the class-conditioned sample: digits 0–9 (a second CFG run would double the CPU time)
    images, frames = rows[5.0], grid_frames[5.0]
    save_titled_grid(images, out / "b2_class_samples.png", f"class-conditioned, γ=5 — {REFERENCE_LABEL}")
    save_titled_gif(frames, out / "b2_class_sampling.gif", f"class-conditioned, γ=5 — {REFERENCE_LABEL}")
    summary["class_accuracy"] = class_accuracy(images, torch.arange(10), classifier)
    summary["class_num_samples"] = 10
    time_ddpm = load_reference_ddpm("time", root=root)
    images, frames = time_ddpm.sample(num_samples=num_samples, seed=seed)
    save_titled_grid(images, out / "b2_time_samples.png", f"time-conditioned — {REFERENCE_LABEL}")
    save_titled_gif(frames, out / "b2_time_sampling.gif", f"time-conditioned — {REFERENCE_LABEL}")
    summary["time_digit_confidence"] = digit_confidence(images, classifier)
    summary["time_num_samples"] = num_samples
    _plot_reference_losses(info, out / "b2_reference_loss.png")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _shown(root: Path) -> str:
    try:
        return root.resolve().relative_to(REFERENCE_DIR.parents[1]).as_posix()
    except ValueError:
        return str(root)


def _plot_reference_losses(info: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, model in info["models"].items():
        losses = model["epoch_mean_loss"]
        ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", markersize=3, label=f"{kind}-conditioned")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss")
    ax.set_title(f"DDPM training loss — {REFERENCE_LABEL}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _with_banner(picture: np.ndarray, title: str, height: int = 22) -> np.ndarray:
    """``picture`` (``[H, W, 3]`` uint8) with a white band above it holding ``title`` in black."""
    from PIL import Image, ImageDraw

    banner = Image.new("RGB", (picture.shape[1], height), "white")
    draw = ImageDraw.Draw(banner)
    # Pillow's built-in font has no Greek letters or dashes
    draw.text((4, 5), title.replace("γ", "gamma").replace("—", "-"), fill="black")
    return np.concatenate([np.asarray(banner), picture], axis=0)
