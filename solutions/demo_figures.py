"""Figures of the main job that say which model drew them: labelled grids and GIFs, the digit × γ guidance grid,
the headline Part B figures drawn from the shipped reference checkpoints (``solutions.reference_models``) and the
``index.html`` page that shows every figure with its caption and the run's numbers.

Sampling here is the reference's DDPM sampler (Algorithm 2 / 4 of ``solutions.part_b``, same noise draws, same
update), batched so that one UNet call serves every row of a figure, run under ``torch.inference_mode`` on an
eval-mode copy of the UNet whose BatchNorms are folded into the preceding convolutions (channels-last on the CPU):
the same function, ~1.5× less CPU time. ``tests/test_demo.py`` checks it against ``DDPM.sample``.
"""

from __future__ import annotations

import copy
import html
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from solutions.reference_models import REFERENCE_DIR

__all__ = ["REFERENCE_LABEL", "DENOISER_REFERENCE_LABEL", "GUIDANCE_SCALES", "FRAME_EVERY", "fast_eval_copy",
           "sample_ddpm", "sample_guidance_rows", "frame_labels", "save_titled_grid", "save_titled_gif",
           "save_sample_rows", "save_guidance_grid", "reference_figures", "reference_denoiser_figures",
           "write_index"]

REFERENCE_LABEL = "reference checkpoint (GPU, 20 epochs)"
DENOISER_REFERENCE_LABEL = "reference checkpoint (GPU, D=128, 5 epochs)"
GUIDANCE_SCALES = (0.0, 5.0, 10.0)
#: a sampling GIF keeps x_t every FRAME_EVERY steps (as ``DDPM.sample``'s default ``frame_every``)
FRAME_EVERY = 10

StepCallback = Callable[[], None] | None


# ------------------------------------------------------------------------------------------- sampling


def fast_eval_copy(module: nn.Module) -> nn.Module:
    """An eval-mode copy of ``module`` for inference: each ``Conv2d``/``ConvTranspose2d`` followed by a
    ``BatchNorm2d`` in one ``nn.Sequential`` becomes one convolution (the eval-mode BatchNorm folded into its
    weights, exact up to float rounding); on the CPU the copy is channels-last. ``module`` is left untouched."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fast = copy.deepcopy(module).eval()
    for seq in fast.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        children = list(seq.children())
        for i, (conv, norm) in enumerate(zip(children, children[1:])):
            if isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)) and isinstance(norm, nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(conv, norm, transpose=isinstance(conv, nn.ConvTranspose2d))
                seq[i + 1] = nn.Identity()
    device = next(fast.parameters()).device
    return fast.to(memory_format=torch.channels_last) if device.type == "cpu" else fast


@torch.inference_mode()
def _sample_repeated(eps_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], ddpm, num_noise: int,
                     repeats: int, seed: int, device: torch.device, frame_every: int = FRAME_EVERY,
                     on_step: StepCallback = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """DDPM ancestral sampling (``solutions.part_b._sample``'s update and noise order) of ``num_noise`` chains,
    each run ``repeats`` times side by side with the same noise (row ``r`` is ``x[r * num_noise:(r + 1) * num_noise]``).

    ``eps_fn(x [repeats·num_noise, 1, 28, 28], t [repeats·num_noise] in (0, 1])`` → ε̂ of x's shape.
    Returns ``(x_0 [repeats·num_noise, 1, 28, 28] on the CPU, frames)``: CPU snapshots of x_t, the first at t = T,
    then every ``frame_every`` steps and the last at t = 0 (:func:`frame_labels`).
    """
    num_ts = ddpm.num_ts
    betas, alphas, alpha_bars = (getattr(ddpm, n).to(device, torch.float32) for n in ("betas", "alphas", "alpha_bars"))
    generator = torch.Generator().manual_seed(seed)
    shape = (num_noise, getattr(ddpm.unet, "in_channels", 1), 28, 28)
    n = num_noise * repeats

    def draw() -> torch.Tensor:
        return torch.randn(shape, generator=generator).repeat(repeats, 1, 1, 1).to(device)

    x = draw()
    frames = [x.cpu()]
    for t in range(num_ts, 0, -1):
        z = draw() if t > 1 else torch.zeros_like(x)
        eps = eps_fn(x, torch.full((n,), t / num_ts, device=device)).float()
        ab_t, beta_t, alpha_t = alpha_bars[t - 1], betas[t - 1], alphas[t - 1]
        ab_prev = alpha_bars[t - 2] if t > 1 else torch.ones((), device=device)
        x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
        x = (ab_prev.sqrt() * beta_t / (1 - ab_t) * x0_hat + alpha_t.sqrt() * (1 - ab_prev) / (1 - ab_t) * x
             + beta_t.sqrt() * z)
        if (num_ts - t + 1) % frame_every == 0 or t == 1:
            frames.append(x.cpu())
        if on_step is not None:
            on_step()
    return x.cpu(), frames


def sample_ddpm(ddpm, num_samples: int, seed: int = 0, on_step: StepCallback = None,
                fast: bool = True) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Time-conditioned sampling (Algorithm 2) as ``ddpm.sample(num_samples=…, seed=…)``, on the CPU output side.

    Returns ``(images [num_samples, 1, 28, 28] CPU, roughly in [0, 1], frames)``; ``fast`` uses :func:`fast_eval_copy`.
    """
    device = next(ddpm.parameters()).device
    unet = fast_eval_copy(ddpm.unet) if fast else ddpm.unet.eval()
    return _sample_repeated(lambda x, t: unet(x, t), ddpm, num_samples, 1, seed, device, on_step=on_step)


def sample_guidance_rows(ddpm, classes: torch.Tensor, scales: Sequence[float] = GUIDANCE_SCALES, seed: int = 0,
                         on_step: StepCallback = None, fast: bool = True) -> tuple[dict, dict]:
    """Class-conditioned CFG sampling (Algorithm 4) of ``classes`` at every scale γ in ``scales`` in one batch.

    Every row starts from, and draws, the same noise as ``ddpm.sample(c=classes, guidance_scale=γ, seed=seed)``,
    so each row is that call's output and rows differ only by γ. A γ = 0 row is the unconditional prediction
    alone (ε̂ = ε_u, as the CFG formula gives), so its conditional half is not computed.

    Args:
        classes: ``[n]`` int digit labels.
    Returns:
        ``({γ: images [n, 1, 28, 28] CPU}, {γ: frames, each [n, 1, 28, 28] CPU})``.
    """
    from solutions.part_b import one_hot

    device = next(ddpm.parameters()).device
    unet = fast_eval_copy(ddpm.unet) if fast else ddpm.unet.eval()
    n, rows = len(classes), len(scales)
    c = one_hot(classes.cpu(), ddpm.unet.num_classes, like=torch.empty(())).to(device)
    guided = [r for r, g in enumerate(scales) if g != 0]
    c_all = torch.cat([c.repeat(len(guided), 1), torch.zeros(n * rows, c.shape[1], device=device)])
    gamma = torch.tensor([g for g in scales for _ in range(n)], device=device).view(-1, 1, 1, 1)
    cond_index = torch.cat([torch.arange(r * n, (r + 1) * n) for r in guided]).to(device) if guided else None

    def eps_fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if cond_index is None:
            return unet(x, c_all, t)
        x_in, t_in = torch.cat([x[cond_index], x]), torch.cat([t[cond_index], t])
        out = unet(x_in, c_all, t_in)
        eps_c_part, eps_u = out[: len(cond_index)], out[len(cond_index):]
        eps_c = eps_u.clone()
        eps_c[cond_index] = eps_c_part
        return eps_u + gamma * (eps_c - eps_u)

    images, frames = _sample_repeated(eps_fn, ddpm, n, rows, seed, device, on_step=on_step)
    return ({g: images[r * n: (r + 1) * n] for r, g in enumerate(scales)},
            {g: [f[r * n: (r + 1) * n] for f in frames] for r, g in enumerate(scales)})


def frame_labels(num_frames: int, num_ts: int = 300, frame_every: int = FRAME_EVERY) -> list[str]:
    """``["t=300", "t=290", …, "t=0"]``: the time step of each frame of a sampling GIF (the last one is x_0)."""
    return [f"t={max(0, num_ts - k * frame_every)}" if k < num_frames - 1 else "t=0" for k in range(num_frames)]


# -------------------------------------------------------------------------------------------- figures


def save_titled_grid(images: torch.Tensor, path: str | Path, title: str, nrow: int = 10, scale: int = 3) -> Path:
    """:func:`assignment.figures.save_image_grid` (``images`` ``[N, 1, 28, 28]`` in ``[0, 1]``) with a title banner."""
    import imageio.v3 as iio

    from assignment.figures import to_uint8_grid

    picture = to_uint8_grid(images, nrow).repeat(scale, 0).repeat(scale, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, _with_banner(picture, title))
    return path


def save_titled_gif(frames: Sequence[torch.Tensor], path: str | Path, title: str, nrow: int = 10,
                    duration_ms: int = 80, hold_last: int = 10, scale: int = 2,
                    labels: Sequence[str] | None = None) -> Path:
    """:func:`assignment.figures.save_gif` with a title banner on every frame; ``labels`` (default
    :func:`frame_labels`, the time step t) is appended to each frame's banner. Frames: ``[N, 1, 28, 28]``."""
    import imageio.v2 as imageio

    from assignment.figures import to_uint8_grid

    labels = list(labels) if labels is not None else frame_labels(len(frames))
    pictures = [_with_banner(to_uint8_grid(f, nrow).repeat(scale, 0).repeat(scale, 1), f"{title}  {label}")
                for f, label in zip(frames, labels)]
    pictures += [pictures[-1]] * hold_last
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, pictures, duration=duration_ms, loop=0)
    return path


def save_sample_rows(rows: dict[str, torch.Tensor], path: str | Path, title: str, digits: bool) -> Path:
    """Sample grid, one labelled row per entry of ``rows`` (``{row label: [n, 1, 28, 28]}``); columns are
    ``digit 0 … digit 9`` (class-conditioned, ``digits``) or ``sample 1 … n``."""
    from assignment.figures import save_labelled_rows

    n = max(r.shape[0] for r in rows.values())
    cols = [f"digit {k % 10}" for k in range(n)] if digits else [f"sample {k + 1}" for k in range(n)]
    return save_labelled_rows(list(rows.values()), list(rows), path, col_labels=cols, title=title)


def save_guidance_grid(ddpm, path: str | Path, title: str, seed: int = 0, scales: Sequence[float] = GUIDANCE_SCALES,
                       on_step: StepCallback = None) -> tuple[Path, dict, dict]:
    """One column per digit 0–9, one row per CFG scale γ (same seed, so the same noise, in every row).

    Returns the path, ``{γ: images [10, 1, 28, 28]}`` and ``{γ: sampling frames}``."""
    rows, frames = sample_guidance_rows(ddpm, torch.arange(10), scales, seed, on_step=on_step)
    path = save_sample_rows({f"γ={g:g}": r for g, r in rows.items()}, path, title, digits=True)
    return path, rows, frames


def reference_figures(out: Path, seed: int = 0, num_samples: int = 10, root: str | Path | None = None,
                      on_step: StepCallback = None) -> dict:
    """Draw the headline DDPM figures from the shipped checkpoints (on the CPU) and score them.

    Writes ``b2_class_guidance_scales.png`` (digits 0–9 × γ = 0, 5, 10), ``b2_class_samples.png`` (digits 0–9 at
    γ = 5: the grid's γ = 5 row), ``b2_time_samples.png`` (``num_samples``), ``b2_{time,class}_sampling.gif`` and
    ``b2_reference_loss.png`` (per-epoch mean loss of the GPU runs). The D = 64 UNet costs ~1 GFLOP per image and
    step on the CPU, so the sample counts are small: 50 UNet evaluations per step for the grid (γ = 0 needs only
    the unconditional half) and ``num_samples`` for the time-conditioned model, 300 steps each. ``on_step`` is
    called after every sampling step (600 in all). Returns what ``summary.json`` records.
    """
    import time

    from assignment.classifier import class_accuracy, digit_confidence, load_classifier
    from solutions.reference_models import KINDS, load_reference_ddpm, record

    started = time.perf_counter()
    root = Path(root) if root is not None else REFERENCE_DIR
    info = record(root)
    classifier = load_classifier()
    summary: dict = {"source": f"{_shown(root)} (python data/build_reference_models.py on {info.get('gpu')})",
                     "label": REFERENCE_LABEL,
                     "recorded": {k: {n: v for n, v in m.items() if n != "epoch_mean_loss"}
                                  for k, m in info["models"].items() if k in KINDS}}
    class_ddpm = load_reference_ddpm("class", root=root)
    _, rows, grid_frames = save_guidance_grid(class_ddpm, out / "b2_class_guidance_scales.png",
                                              f"class-conditioned DDPM, digit × γ — {REFERENCE_LABEL}", seed,
                                              on_step=on_step)
    summary["guidance_grid_class_accuracy"] = {f"{g:g}": class_accuracy(r, torch.arange(10), classifier)
                                               for g, r in rows.items()}
    # the γ = 5 row is the class-conditioned sample: digits 0–9 (a second CFG run would double the CPU time)
    images, frames = rows[5.0], grid_frames[5.0]
    save_sample_rows({"γ=5, t=0": images}, out / "b2_class_samples.png",
                     f"class-conditioned DDPM, γ=5 — {REFERENCE_LABEL}", digits=True)
    save_titled_gif(frames, out / "b2_class_sampling.gif", f"class-conditioned, digits 0-9, γ=5 — {REFERENCE_LABEL}")
    summary["class_accuracy"] = class_accuracy(images, torch.arange(10), classifier)
    summary["class_num_samples"] = 10
    time_ddpm = load_reference_ddpm("time", root=root)
    images, frames = sample_ddpm(time_ddpm, num_samples, seed, on_step=on_step)
    save_sample_rows({"t=0": images}, out / "b2_time_samples.png", f"time-conditioned DDPM — {REFERENCE_LABEL}",
                     digits=False)
    save_titled_gif(frames, out / "b2_time_sampling.gif", f"time-conditioned — {REFERENCE_LABEL}")
    summary["time_digit_confidence"] = digit_confidence(images, classifier)
    summary["time_num_samples"] = num_samples
    _plot_reference_losses(info, out / "b2_reference_loss.png")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def reference_denoiser_figures(out: Path, test_x: torch.Tensor, test_y: torch.Tensor, noisy: torch.Tensor,
                               sigmas: Sequence[float], seed: int = 0, root: str | Path | None = None) -> dict:
    """The one-step denoiser's headline figures from the shipped checkpoint (``denoiser.safetensors``).

    Args:
        test_x, test_y: test digits ``[10, 1, 28, 28]`` in ``[0, 1]`` and their labels ``[10]``.
        noisy: ``test_x`` noised at σ = 0.5 ``[10, 1, 28, 28]`` (the same noisy digits the CPU run denoises).
        sigmas: the σ of the out-of-distribution sweep (on the first five digits, noise seed ``seed``).
    Writes ``b1_denoiser_results.png`` (clean / noisy σ=0.5 / denoised, one column per digit) and
    ``b1_sigma_sweep.png``. Returns what ``summary.json`` records (the MSE on these ten digits and the recorded
    test MSE).
    """
    from assignment.figures import save_labelled_rows
    from solutions.reference_models import load_reference_denoiser, record
    from solutions.training import denoise_sigma_sweep

    root = Path(root) if root is not None else REFERENCE_DIR
    info = record(root)["models"]["denoiser"]
    unet = load_reference_denoiser(root=root)
    with torch.inference_mode():
        denoised = unet(noisy)
    cols = [f"digit {int(d)}" for d in test_y]
    save_labelled_rows([test_x, noisy, denoised], ["clean", "noisy σ=0.5", "denoised"], out / "b1_denoiser_results.png",
                       col_labels=cols, title=f"one-step denoiser (trained at σ=0.5) — {DENOISER_REFERENCE_LABEL}")
    sweep_noisy, sweep_denoised = denoise_sigma_sweep(unet, test_x[:5], sigmas, seed=seed)
    save_labelled_rows([r for pair in zip(sweep_noisy, sweep_denoised) for r in pair],
                       [f"{kind} σ={s}" for s in sigmas for kind in ("noisy", "denoised")], out / "b1_sigma_sweep.png",
                       col_labels=cols[:5], title=f"denoiser trained at σ=0.5, tested at other σ — {DENOISER_REFERENCE_LABEL}")
    return {"label": DENOISER_REFERENCE_LABEL,
            "source": f"{_shown(root)}/denoiser.safetensors (python data/build_reference_models.py on {info.get('device')})",
            "recorded": {k: v for k, v in info.items() if k not in ("epoch_mean_loss",)},
            "mse_on_figure_digits": torch.mean((denoised - test_x) ** 2).item()}


def _shown(root: Path) -> str:
    try:
        return root.resolve().relative_to(REFERENCE_DIR.parents[1]).as_posix()
    except ValueError:
        return str(root)


def _plot_reference_losses(info: dict, path: Path) -> Path:
    """Per-epoch mean training loss of the reference models: DDPMs left, the one-step denoiser (if shipped) right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    denoiser = info["models"].get("denoiser")
    fig, axes = plt.subplots(1, 2 if denoiser else 1, figsize=(10 if denoiser else 6, 4), squeeze=False)
    panels = [(axes[0][0], {k: m for k, m in info["models"].items() if k != "denoiser"}, "DDPM (ε-prediction) loss",
               REFERENCE_LABEL)]
    if denoiser:
        panels.append((axes[0][1], {"one-step denoiser, σ=0.5": denoiser}, "denoiser MSE loss", DENOISER_REFERENCE_LABEL))
    for ax, models, ylabel, label in panels:
        for kind, model in models.items():
            losses = model["epoch_mean_loss"]
            name = kind if kind.startswith("one-step") else f"{kind}-conditioned DDPM"
            ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", markersize=3, label=name)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"mean {ylabel}")
        ax.set_title(label, fontsize=10)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle("training loss of the reference checkpoints (per-epoch mean)")
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


# ------------------------------------------------------------------------------------------ index page


def write_index(out: Path, summary: dict, captions: dict[str, str]) -> Path:
    """``out/index.html``: every figure under ``out`` (PNG and GIF, referenced relatively) with its caption from
    ``captions`` (keyed by the path relative to ``out``, shown in that order; a figure without one is shown under
    its file name, after them),
    followed by the numbers of ``summary.json`` as a table. Self-contained apart from the figures beside it."""
    out = Path(out)
    order = {name: i for i, name in enumerate(captions)}  # captions' order first, then by name
    figures = sorted((p.relative_to(out).as_posix() for p in out.rglob("*") if p.suffix in {".png", ".gif"}),
                     key=lambda rel: (order.get(rel, len(order)), rel))
    sections: dict[str, list[str]] = {}
    for rel in figures:
        part = rel.split("/", 1)[0] if "/" in rel else "figures"
        caption = captions.get(rel, rel)
        sections.setdefault(part, []).append(
            f'<figure><a href="{html.escape(rel)}"><img src="{html.escape(rel)}" alt="{html.escape(rel)}" '
            f'loading="lazy"></a><figcaption><code>{html.escape(rel)}</code><br>{html.escape(caption)}'
            "</figcaption></figure>")
    titles = {"part_b": "Part B — diffusion models on MNIST", "part_a": "Part A — sampling loops"}
    body = [f"<h2>{html.escape(titles.get(part, part))}</h2>\n<div class=grid>\n" + "\n".join(items) + "\n</div>"
            for part, items in sorted(sections.items(), key=lambda kv: kv[0] != "part_b")]
    rows = "\n".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_number(v))}</td></tr>"
                     for k, v in _flatten(summary))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fun with Diffusion Models — main job</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; max-width: 1400px; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.2em; }}
figure {{ margin: 0; border: 1px solid #ddd; padding: .5em; }}
figure img {{ max-width: 100%; image-rendering: pixelated; }}
figcaption {{ font-size: .9em; }}
table {{ border-collapse: collapse; font-size: .85em; }} td {{ border: 1px solid #ddd; padding: 2px 6px; }}
</style></head><body>
<h1>Fun with Diffusion Models — main job</h1>
<p>Written by <code>python -m solutions.demo</code>; wall time {html.escape(str(summary.get("wall_seconds")))} s.
Figures titled “reference checkpoint” come from the GPU-trained checkpoints in <code>data/reference_models/</code>;
“short CPU run” figures from the models this run trained.</p>
{os.linesep.join(body)}
<h2>Numbers (<a href="summary.json">summary.json</a>)</h2>
<table>
{rows}
</table>
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        items: list[tuple[str, object]] = []
        for k, v in value.items():
            items += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return items
    if isinstance(value, list) and len(value) > 12:
        return [(prefix, f"[{len(value)} values]")]
    return [(prefix, value)]


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)
