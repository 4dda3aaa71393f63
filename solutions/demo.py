"""The main job: run the project's experiments with the reference and write every figure.

    python -m solutions.demo                   # Part B from the shipped GPU checkpoints + short CPU runs; Part A on the mini model
    python -m solutions.demo --full            # the course's settings (use a GPU)
    python -m solutions.demo --part b --epochs 3 --hiddens 32

Part B trains the one-step denoiser, the time-conditioned and the class-conditioned DDPM, then writes loss
curves, sample grids after chosen epochs, the σ-sweep figure and sampling GIFs, and scores the class-conditioned
samples with the shipped MNIST classifier. By default the headline DDPM figures (digit × γ guidance grid, samples,
sampling GIFs) are drawn from the reference checkpoints in ``data/reference_models/`` (trained with the course's
settings on a GPU by ``python data/build_reference_models.py``), and the DDPM runs are short (3 epochs) and titled
so; ``--full`` or ``--no-reference`` trains everything and draws every figure from the trained models. Part A runs every sampling-loop experiment on the offline mini
denoiser (``--model deepfloyd`` on a GPU with DeepFloyd IF's weights).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["PartBSettings", "QUICK", "QUICK_WITHOUT_REFERENCE", "FULL", "run_part_b", "main"]


@dataclass(frozen=True)
class PartBSettings:
    """Sizes of the three Part B runs. ``train_size=None`` uses the whole training split."""

    denoiser_hiddens: int
    denoiser_epochs: int
    ddpm_hiddens: int
    ddpm_epochs: int
    train_size: int | None
    denoiser_batch: int = 256
    ddpm_batch: int = 128


# QUICK trades width and batch size for more optimiser steps. With the shipped reference checkpoints
# (data/reference_models/, trained on a GPU) the headline DDPM figures come from them and the CPU DDPM runs are
# short (3 epochs) and labelled so; without the checkpoints the CPU DDPMs train for 20 epochs (minutes on 2 cores).
QUICK = PartBSettings(denoiser_hiddens=16, denoiser_epochs=3, ddpm_hiddens=16, ddpm_epochs=3, train_size=None,
                      denoiser_batch=64, ddpm_batch=64)
QUICK_WITHOUT_REFERENCE = PartBSettings(**{**QUICK.__dict__, "ddpm_epochs": 20})
FULL = PartBSettings(denoiser_hiddens=128, denoiser_epochs=5, ddpm_hiddens=64, ddpm_epochs=20, train_size=None)


def run_part_b(out: Path, settings: PartBSettings, device: torch.device, seed: int = 0, progress: bool = True,
               reference: bool = False) -> dict:
    """Train the three Part B models with ``settings`` and write their figures under ``out``. Returns a summary dict.

    ``reference``: when the shipped checkpoints are present (:func:`solutions.reference_models.available`), draw
    the headline DDPM figures (guidance grid, samples, sampling GIFs) from them; the trained DDPMs' own figures are
    then titled "short CPU run" and their GIFs named ``b2_*_sampling_cpu.gif``.
    """
    from assignment.classifier import class_accuracy
    from assignment.figures import plot_loss_curve, save_labelled_rows
    from assignment.mnist import load_mnist, mnist_source, mnist_tensors
    from solutions.demo_figures import reference_figures, save_guidance_grid, save_titled_gif, save_titled_grid
    from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet, add_noise
    from solutions.reference_models import available as reference_available
    from solutions.training import denoise_sigma_sweep, digit_labels, train_ddpm, train_denoiser

    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = mnist_tensors(load_mnist(train=True))
    test_x, _ = mnist_tensors(load_mnist(train=False))
    if settings.train_size is not None:
        train_x, train_y = train_x[: settings.train_size], train_y[: settings.train_size]
    summary: dict = {"mnist": mnist_source(), "train_size": len(train_x), "device": str(device)}
    print(f"MNIST: {summary['mnist']} — training on {len(train_x)} digits, device {device}")

    # 1.2: noising examples and the one-step denoiser
    sigmas = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)
    examples = test_x[:5]
    g = torch.Generator().manual_seed(seed)
    noised = [add_noise(examples, s, generator=g) for s in sigmas]
    save_labelled_rows([n for n in noised], [f"σ={s}" for s in sigmas], out / "b1_noising_process.png")
    torch.manual_seed(seed)
    denoiser = UnconditionalUNet(1, settings.denoiser_hiddens)
    epochs = settings.denoiser_epochs
    rec = train_denoiser(
        denoiser, train_x, epochs=epochs, batch_size=settings.denoiser_batch, device=device, seed=seed, eval_images=test_x[:10],
        snapshot_epochs=sorted({1, epochs}), progress=progress,
    )
    plot_loss_curve(rec.losses, out / "b1_denoiser_loss.png", "one-step denoiser (σ = 0.5)")
    rows = [test_x[:10], rec.eval_inputs] + [rec.samples[e] for e in sorted(rec.samples)]
    save_labelled_rows(rows, ["clean", "noisy σ=0.5"] + [f"epoch {e}" for e in sorted(rec.samples)],
                       out / "b1_denoiser_results.png")
    noisy, denoised = denoise_sigma_sweep(denoiser, test_x[:5], sigmas, seed=seed)
    save_labelled_rows([r for pair in zip(noisy, denoised) for r in pair],
                       [f"{kind} σ={s}" for s in sigmas for kind in ("noisy", "denoised")],
                       out / "b1_sigma_sweep.png")
    summary["denoiser"] = {"final_loss": rec.final_loss(), "train_seconds": rec.seconds}

    # 2.1–2.5: DDPMs. With the shipped reference checkpoints (and not --full) the CPU trains each DDPM only
    # briefly, labelled as such, and the headline figures come from the checkpoints trained on a GPU.
    use_reference = reference and reference_available()
    cpu_label = "short CPU run" if use_reference else ("GPU run" if device.type == "cuda" else "CPU run")
    run_label = f"{cpu_label}, D={settings.ddpm_hiddens}, {settings.ddpm_epochs} epochs"
    snapshot = sorted({1, max(1, settings.ddpm_epochs // 2), settings.ddpm_epochs})
    num_snapshot_samples = 20 if use_reference else 40
    for name, unet_cls, labels in (("time", TimeConditionalUNet, None), ("class", ClassConditionalUNet, train_y)):
        torch.manual_seed(seed)
        ddpm = DDPM(unet_cls(1, 10, settings.ddpm_hiddens))
        rec = train_ddpm(ddpm, train_x, labels, epochs=settings.ddpm_epochs, batch_size=settings.ddpm_batch, device=device, seed=seed,
                         snapshot_epochs=snapshot, num_samples=num_snapshot_samples, progress=progress)
        plot_loss_curve(rec.losses, out / f"b2_{name}_loss.png", f"{name}-conditioned DDPM — {run_label}")
        for epoch, images in rec.samples.items():
            save_titled_grid(images, out / f"b2_{name}_samples_epoch{epoch:02d}.png",
                             f"{name}-conditioned DDPM after epoch {epoch} — {run_label}")
        gif = f"b2_{name}_sampling_cpu.gif" if use_reference else f"b2_{name}_sampling.gif"
        save_titled_gif(rec.frames[settings.ddpm_epochs], out / gif, f"{name}-conditioned — {run_label}")
        summary[f"{name}_ddpm"] = {"final_loss": rec.final_loss(), "train_seconds": rec.seconds, "model": run_label}
        if labels is not None:
            final = rec.samples[settings.ddpm_epochs]
            summary["class_ddpm"]["class_accuracy"] = class_accuracy(final, digit_labels(len(final)))
            if not use_reference:
                save_guidance_grid(ddpm, out / "b2_class_guidance_scales.png", f"class-conditioned DDPM — {run_label}", seed)
    if use_reference:
        summary["reference_models"] = reference_figures(out, seed)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m solutions.demo`` or ``fundiff-demo``)."""
    parser = argparse.ArgumentParser(
        prog="python -m solutions.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="folder for figures (default: %(default)s)")
    parser.add_argument("--part", choices=["a", "b", "all"], default="all", help="which part to run (default: %(default)s)")
    parser.add_argument("--full", action="store_true", help="the course's full settings (D=128/64, 5/20 epochs); slow on CPU")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1, … (default: auto)")
    parser.add_argument("--epochs", type=int, help="override the DDPM epochs")
    parser.add_argument("--hiddens", type=int, help="override the DDPM num_hiddens")
    parser.add_argument("--train-size", type=int, help="use only the first N training digits")
    parser.add_argument("--model", choices=["mini", "deepfloyd"], default="mini",
                        help="Part A denoiser: the shipped offline mini model or DeepFloyd IF (GPU, weights needed)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for everything (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--no-reference", action="store_true",
                        help="ignore the shipped reference DDPM checkpoints (data/reference_models/): train the DDPMs for "
                             "20 epochs and draw every figure from them (by default the headline DDPM figures come from the "
                             "checkpoints and the CPU trains 3-epoch runs)")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    from solutions.reference_models import available as reference_available

    use_reference = not args.full and not args.no_reference and reference_available()
    settings = FULL if args.full else QUICK if use_reference else QUICK_WITHOUT_REFERENCE
    overrides = {k: v for k, v in {"ddpm_epochs": args.epochs, "ddpm_hiddens": args.hiddens,
                                   "train_size": args.train_size}.items() if v is not None}
    settings = PartBSettings(**{**settings.__dict__, **overrides})
    started = time.perf_counter()
    summary: dict = {"settings": settings.__dict__}
    if args.part in ("b", "all"):
        summary["part_b"] = run_part_b(args.out / "part_b", settings, device, args.seed, progress=not args.no_progress,
                                       reference=use_reference)
    if args.part in ("a", "all"):
        summary["part_a"] = _run_part_a(args.out / "part_a", args.model, device)
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(summary, args.out)
    return 0


def _run_part_a(out: Path, model: str, device: torch.device) -> dict:
    try:
        from solutions.part_a_demo import run_part_a_demo
    except ImportError as error:  # Part A's demo not installed in this checkout
        print(f"Part A demo unavailable: {error}")
        return {"skipped": str(error)}
    return run_part_a_demo(out, model=model, device=device)


def _print_summary(summary: dict, out: Path) -> None:
    part_b = summary.get("part_b")
    if part_b:
        print(f"\nPart B ({part_b['mnist']}):")
        for key in ("denoiser", "time_ddpm", "class_ddpm"):
            print(f"  {key:<10} final loss {part_b[key]['final_loss']:.4f}  ({part_b[key]['train_seconds']:.1f} s training)")
        print(f"  class-conditional samples recognised as their digit: {part_b['class_ddpm']['class_accuracy']:.1%}"
              f"  ({part_b['class_ddpm']['model']})")
        ref = part_b.get("reference_models")
        if ref:
            print(f"  {ref['label']}: class-conditional samples (digits 0–9, γ=5) recognised as their digit: "
                  f"{ref['class_accuracy']:.1%}; time-conditional mean classifier confidence "
                  f"{ref['time_digit_confidence']:.2f}  ({ref['source']})")
    print(f"\nfigures in {out.resolve()}  (summary.json has the numbers); wall time {summary['wall_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
