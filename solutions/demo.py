"""The main job: run the project's experiments with the reference and write every figure and an index page.

    python -m solutions.demo                   # Part B from the shipped GPU checkpoints + short CPU runs; Part A on the mini model
    python -m solutions.demo --full            # the course's settings (use a GPU)
    python -m solutions.demo --part b --epochs 3 --hiddens 32
    python -m solutions.demo --part b --part-b flow   # Part B's flow-matching version

Part B trains the one-step denoiser, the time-conditioned and the class-conditioned DDPM, then writes loss
curves, sample grids after chosen epochs, the σ-sweep figure and sampling GIFs, and scores the class-conditioned
samples with the shipped MNIST classifier. By default the headline figures of all three models (the denoiser's
results and σ sweep, the digit × γ guidance grid, samples, sampling GIFs) are drawn from the reference checkpoints
in ``data/reference_models/`` (trained with the course's settings on a GPU by ``python
data/build_reference_models.py``), and the CPU runs are short (one epoch each) and titled so; ``--full`` or
``--no-reference`` trains everything and draws every figure from the trained models. Part A runs every
sampling-loop experiment on the offline mini denoiser (``--model deepfloyd`` on a GPU with DeepFloyd IF's weights).

Every stage shows one progress bar and its wall and CPU seconds land in ``summary.json`` (``stages``);
``index.html`` beside it shows every figure with its caption and the numbers, and its path is printed last.
"""

from __future__ import annotations

import os

# The main job runs on shared CPUs: OpenMP threads that spin while they wait burn the other processes' cores (and,
# when those are busy, ~10× the CPU time for the same work); waiting threads sleep instead. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

__all__ = ["PartBSettings", "QUICK", "QUICK_WITHOUT_REFERENCE", "FULL", "Stages", "run_part_b", "main"]


@dataclass(frozen=True)
class PartBSettings:
    """Sizes of the three Part B runs. ``train_size=None`` uses the whole training split.

    ``snapshot_samples``: DDPM samples drawn after each snapshot epoch (classes 0..9 cycled for the
    class-conditioned model)."""

    denoiser_hiddens: int
    denoiser_epochs: int
    ddpm_hiddens: int
    ddpm_epochs: int
    train_size: int | None
    denoiser_batch: int = 256
    ddpm_batch: int = 128
    snapshot_samples: int = 40


# QUICK: the headline figures of all three Part B models come from the shipped reference checkpoints
# (data/reference_models/, trained on a GPU); the CPU trains each model for a short, honest epoch over the 4,000
# digits (D=16, batch 64: narrow and small batches for more optimiser steps per CPU second), labelled so, for its
# loss curve and a few samples. Without the checkpoints the CPU DDPMs train for 20 epochs (minutes on 2 cores).
QUICK = PartBSettings(denoiser_hiddens=16, denoiser_epochs=1, ddpm_hiddens=16, ddpm_epochs=1, train_size=None,
                      denoiser_batch=64, ddpm_batch=64, snapshot_samples=10)
QUICK_WITHOUT_REFERENCE = PartBSettings(**{**QUICK.__dict__, "denoiser_epochs": 3, "ddpm_epochs": 20,
                                           "snapshot_samples": 40})
FULL = PartBSettings(denoiser_hiddens=128, denoiser_epochs=5, ddpm_hiddens=64, ddpm_epochs=20, train_size=None)


class Stages:
    """Times the main job's stages and shows one progress bar per stage.

    ``with stages("name", total) as bar:`` opens a tqdm bar titled ``name`` (``bar.update()`` per unit of work;
    training loops add their own per-epoch bar below it, which disappears when done) and records the stage's
    wall seconds and CPU seconds (user + sys of this process, all threads) in :attr:`times`.
    """

    def __init__(self, progress: bool = True):
        self.progress = progress
        self.times: dict[str, dict[str, float]] = {}

    @contextmanager
    def __call__(self, name: str, total: int | None = None, unit: str = "step") -> Iterator:
        from tqdm.auto import tqdm

        wall, cpu = time.perf_counter(), time.process_time()
        bar = tqdm(total=total, desc=name, unit=unit, disable=not self.progress, leave=True, dynamic_ncols=True)
        try:
            yield bar
        finally:
            bar.close()
            self.times[name] = {"wall_seconds": round(time.perf_counter() - wall, 1),
                                "cpu_seconds": round(time.process_time() - cpu, 1)}


def run_part_b(out: Path, settings: PartBSettings, device: torch.device, seed: int = 0, progress: bool = True,
               reference: bool = False, stages: Stages | None = None, version: str = "ddpm",
               flow_epochs: int | None = None) -> dict:
    """Train the three Part B models with ``settings`` and write their figures under ``out``. Returns a summary dict.

    ``reference``: when the shipped checkpoints are present (:mod:`solutions.reference_models`), draw the headline
    figures from them: the one-step denoiser's results and σ sweep from ``denoiser.safetensors``, the DDPMs'
    guidance grid, samples and sampling GIFs from the DDPM checkpoints. The trained models' own figures are then
    titled "short CPU run" (``b1_denoiser_results_cpu.png``, ``b2_*_sampling_cpu.gif``).

    ``version="flow"``: Part B's flow-matching version — the same one-step denoiser, then the time- and
    class-conditioned flow models trained for ``flow_epochs`` (:mod:`solutions.demo_flow`) instead of the DDPMs.
    """
    from assignment.classifier import class_accuracy
    from assignment.figures import plot_loss_curve, save_labelled_rows
    from assignment.mnist import load_mnist, mnist_source, mnist_tensors
    from solutions.demo_figures import (
        reference_denoiser_figures,
        reference_figures,
        save_guidance_grid,
        save_sample_rows,
        save_titled_gif,
    )
    from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet, add_noise
    from solutions.reference_models import available as reference_available
    from solutions.reference_models import denoiser_available
    from solutions.training import denoise_sigma_sweep, digit_labels, train_ddpm, train_denoiser

    stages = stages if stages is not None else Stages(progress)
    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = mnist_tensors(load_mnist(train=True))
    test_x, test_y = mnist_tensors(load_mnist(train=False))
    if settings.train_size is not None:
        train_x, train_y = train_x[: settings.train_size], train_y[: settings.train_size]
    summary: dict = {"mnist": mnist_source(), "train_size": len(train_x), "device": str(device)}
    print(f"MNIST: {summary['mnist']} — training on {len(train_x)} digits, device {device}", flush=True)
    use_reference = reference and reference_available()
    use_reference_denoiser = reference and denoiser_available()
    cpu_label = "GPU run" if device.type == "cuda" else "CPU run"
    short_label = f"short {cpu_label}" if use_reference else cpu_label

    def fit(model: torch.nn.Module) -> torch.nn.Module:
        # channels-last: ~25 % less CPU time per training step of these small UNets
        return model.to(memory_format=torch.channels_last) if device.type == "cpu" else model

    # 1.2: noising examples and the one-step denoiser
    sigmas = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)
    # one test digit of each class 0–9 (the offline test split is sorted by class: its first ten are all zeros)
    first = torch.stack([torch.nonzero(test_y == k)[0, 0] for k in range(10) if (test_y == k).any()])
    eval_x, eval_y = test_x[first], test_y[first]
    digit_cols = [f"digit {int(d)}" for d in eval_y]
    run_label = f"{short_label}, D={settings.denoiser_hiddens}, {_epochs(settings.denoiser_epochs)}"
    with stages(f"B1 one-step denoiser: {run_label}", settings.denoiser_epochs, unit="epoch") as bar:
        g = torch.Generator().manual_seed(seed)
        noised = [add_noise(eval_x[:5], s, generator=g) for s in sigmas]
        save_labelled_rows(noised, [f"σ={s}" for s in sigmas], out / "b1_noising_process.png",
                           col_labels=digit_cols[:5], title="noising process z = x + σε")
        torch.manual_seed(seed)
        denoiser = fit(UnconditionalUNet(1, settings.denoiser_hiddens))
        epochs = settings.denoiser_epochs
        rec = train_denoiser(
            denoiser, train_x, epochs=epochs, batch_size=settings.denoiser_batch, device=device, seed=seed,
            eval_images=eval_x, snapshot_epochs=sorted({1, epochs}), progress=progress,
        )
        bar.update(epochs)
        plot_loss_curve(rec.losses, out / "b1_denoiser_loss.png", f"one-step denoiser (σ = 0.5) — {run_label}")
        rows = [eval_x, rec.eval_inputs] + [rec.samples[e] for e in sorted(rec.samples)]
        labels = ["clean", "noisy σ=0.5"] + [f"epoch {e}" for e in sorted(rec.samples)]
        results = "b1_denoiser_results_cpu.png" if use_reference_denoiser else "b1_denoiser_results.png"
        save_labelled_rows(rows, labels, out / results, col_labels=digit_cols,
                           title=f"one-step denoiser (trained at σ=0.5) — {run_label}")
        if not use_reference_denoiser:
            noisy, denoised = denoise_sigma_sweep(denoiser, eval_x[:5], sigmas, seed=seed)
            save_labelled_rows([r for pair in zip(noisy, denoised) for r in pair],
                               [f"{kind} σ={s}" for s in sigmas for kind in ("noisy", "denoised")],
                               out / "b1_sigma_sweep.png", col_labels=digit_cols[:5],
                               title=f"denoiser trained at σ=0.5, tested at other σ — {run_label}")
        last = rec.samples[max(rec.samples)]
        summary["denoiser"] = {"final_loss": rec.final_loss(), "train_seconds": rec.seconds, "model": run_label,
                               "mse_on_figure_digits": torch.mean((last - eval_x) ** 2).item()}
    if use_reference_denoiser:
        with stages("B1 one-step denoiser: reference checkpoint", 1, unit="figure set") as bar:
            summary["reference_denoiser"] = reference_denoiser_figures(out, eval_x, eval_y, rec.eval_inputs, sigmas, seed)
            bar.update()

    if version == "flow":
        from solutions.demo_flow import FLOW_EPOCHS, run_flow_models

        epochs = flow_epochs or FLOW_EPOCHS
        label = f"{cpu_label}, D={settings.ddpm_hiddens}, {_epochs(epochs)}"
        summary.update(run_flow_models(out, train_x, train_y, settings.ddpm_hiddens, epochs, device, seed, progress,
                                       stages, label))
        return summary

    # 2.1–2.5: DDPMs. With the shipped reference checkpoints (and not --full) the CPU trains each DDPM only
    # briefly, labelled as such, and the headline figures come from the checkpoints trained on a GPU.
    run_label = f"{short_label}, D={settings.ddpm_hiddens}, {_epochs(settings.ddpm_epochs)}"
    snapshot = sorted({1, max(1, settings.ddpm_epochs // 2), settings.ddpm_epochs})
    for name, unet_cls, labels in (("time", TimeConditionalUNet, None), ("class", ClassConditionalUNet, train_y)):
        with stages(f"B2 {name}-conditioned DDPM: {run_label}", settings.ddpm_epochs, unit="epoch") as bar:
            torch.manual_seed(seed)
            ddpm = fit(DDPM(unet_cls(1, 10, settings.ddpm_hiddens)))
            rec = train_ddpm(ddpm, train_x, labels, epochs=settings.ddpm_epochs, batch_size=settings.ddpm_batch,
                             device=device, seed=seed, snapshot_epochs=snapshot,
                             num_samples=settings.snapshot_samples, progress=progress)
            bar.update(settings.ddpm_epochs)
            plot_loss_curve(rec.losses, out / f"b2_{name}_loss.png", f"{name}-conditioned DDPM — {run_label}")
            for epoch, images in rec.samples.items():
                save_sample_rows({f"epoch {epoch}" + (", γ=5" if labels is not None else ""): images},
                                 out / f"b2_{name}_samples_epoch{epoch:02d}.png",
                                 f"{name}-conditioned DDPM after epoch {epoch} — {run_label}", digits=labels is not None)
            gif = f"b2_{name}_sampling_cpu.gif" if use_reference else f"b2_{name}_sampling.gif"
            save_titled_gif(rec.frames[settings.ddpm_epochs], out / gif, f"{name}-conditioned — {run_label}")
            summary[f"{name}_ddpm"] = {"final_loss": rec.final_loss(), "train_seconds": rec.seconds, "model": run_label}
            if labels is not None:
                final = rec.samples[settings.ddpm_epochs]
                summary["class_ddpm"]["class_accuracy"] = class_accuracy(final, digit_labels(len(final)))
        if labels is not None and not use_reference:
            with stages(f"B2 class-conditioned DDPM: digit × γ grid ({run_label})", ddpm.num_ts) as bar:
                save_guidance_grid(ddpm, out / "b2_class_guidance_scales.png",
                                   f"class-conditioned DDPM, digit × γ — {run_label}", seed, on_step=bar.update)
    if use_reference:
        with stages("B2 DDPMs: reference checkpoints (digit × γ grid, samples)", 600) as bar:
            summary["reference_models"] = reference_figures(out, seed, on_step=bar.update)
    return summary


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


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
    parser.add_argument("--part-b", choices=["ddpm", "flow"], default="ddpm",
                        help="Part B's version: DDPM, or flow matching (trained on this device, 5 epochs unless "
                             "--epochs; --full: 10) (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for everything (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--no-reference", action="store_true",
                        help="ignore the shipped reference checkpoints (data/reference_models/): train the DDPMs for "
                             "20 epochs and draw every figure from the trained models (by default the headline Part B "
                             "figures come from the checkpoints and the CPU trains short 1-epoch runs)")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    from solutions.reference_models import available as reference_available

    use_reference = not args.full and not args.no_reference and reference_available() and args.part_b == "ddpm"
    settings = FULL if args.full else QUICK if use_reference else QUICK_WITHOUT_REFERENCE
    overrides = {k: v for k, v in {"ddpm_epochs": args.epochs, "ddpm_hiddens": args.hiddens,
                                   "train_size": args.train_size}.items() if v is not None}
    settings = PartBSettings(**{**settings.__dict__, **overrides})
    started, cpu_started = time.perf_counter(), time.process_time()
    stages = Stages(progress=not args.no_progress)
    summary: dict = {"settings": settings.__dict__, "torch_threads": torch.get_num_threads()}
    if args.part in ("b", "all"):
        flow_epochs = args.epochs or (10 if args.full else None)
        if args.part_b == "flow" and args.epochs is None and not args.full:
            settings = PartBSettings(**{**settings.__dict__, "denoiser_epochs": QUICK.denoiser_epochs})
        summary["part_b"] = run_part_b(args.out / "part_b", settings, device, args.seed, progress=not args.no_progress,
                                       reference=use_reference, stages=stages, version=args.part_b,
                                       flow_epochs=flow_epochs)
    if args.part in ("a", "all"):
        summary["part_a"] = _run_part_a(args.out / "part_a", args.model, device, stages)
    summary["stages"] = stages.times
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    summary["cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    from solutions.demo_figures import write_index

    index = write_index(args.out, json.loads((args.out / "summary.json").read_text()), _captions(summary))
    _print_summary(summary, args.out)
    print(f"\nindex page: {index.resolve()}")
    return 0


def _run_part_a(out: Path, model: str, device: torch.device, stages: Stages) -> dict:
    try:
        from solutions.part_a_demo import EXPERIMENTS, run_part_a_demo
    except ImportError as error:  # Part A's demo not installed in this checkout
        print(f"Part A demo unavailable: {error}")
        return {"skipped": str(error)}
    with stages(f"Part A: every experiment on the {model} model", len(EXPERIMENTS), unit="experiment") as bar:
        return run_part_a_demo(out, model=model, device=device, on_experiment=bar.update)


def _captions(summary: dict) -> dict[str, str]:
    """Captions of the figures for ``index.html``, keyed by their path under ``--out``, with the run's numbers."""
    b = summary.get("part_b", {})
    ref, ref_d = b.get("reference_models", {}), b.get("reference_denoiser", {})
    den, tdd, cdd = b.get("denoiser", {}), b.get("time_ddpm", {}), b.get("class_ddpm", {})
    rec_d = ref_d.get("recorded", {})
    ref_label = ref.get("label", "")
    captions = {
        "part_b/b1_noising_process.png": "1.2: test digits noised at σ = 0 … 1 (z = x + σε).",
        "part_b/b1_denoiser_loss.png": f"1.2.1: training loss of the one-step denoiser — {den.get('model', '')} "
                                       f"(final loss {den.get('final_loss', float('nan')):.4f}).",
        "part_b/b1_denoiser_results_cpu.png": f"1.2.1: the {den.get('model', '')} denoising test digits after each "
                                              f"epoch (MSE on these digits {den.get('mse_on_figure_digits', float('nan')):.4f}).",
        "part_b/b1_denoiser_results.png": (
            f"1.2.1: the {ref_d['label']} denoising ten test digits noised at σ = 0.5 (MSE on these digits "
            f"{ref_d['mse_on_figure_digits']:.4f}; recorded test MSE {rec_d['test_mse']['mse']:.4f} on "
            f"{rec_d['test_mse']['images']}, noisy input {rec_d['test_mse']['noisy_input_mse']:.3f})."
            if ref_d else f"1.2.1: the {den.get('model', '')} denoising test digits after each epoch."),
        "part_b/b1_sigma_sweep.png": "1.2.2: the denoiser trained at σ = 0.5 applied to digits noised at other σ — "
                                     + (ref_d.get("label") or den.get("model", "")) + ".",
        "part_b/b2_time_loss.png": f"2.2: training loss of the time-conditioned DDPM — {tdd.get('model', '')} "
                                   f"(final loss {tdd.get('final_loss', float('nan')):.4f}).",
        "part_b/b2_class_loss.png": f"2.4: training loss of the class-conditioned DDPM — {cdd.get('model', '')} "
                                    f"(final loss {cdd.get('final_loss', float('nan')):.4f}).",
        "part_b/b2_time_sampling_cpu.gif": f"2.3: sampling from the time-conditioned {tdd.get('model', '')}, t = 300 → 0.",
        "part_b/b2_class_sampling_cpu.gif": f"2.5: CFG sampling (γ = 5) from the class-conditioned {cdd.get('model', '')}.",
        "part_b/b2_reference_loss.png": "per-epoch mean training loss of the three reference checkpoints (GPU).",
    }
    for name, run in (("time", tdd), ("class", cdd)):
        for epoch in range(1, 100):
            what = "digits 0–9 at γ = 5" if name == "class" else "samples"
            captions[f"part_b/b2_{name}_samples_epoch{epoch:02d}.png"] = (
                f"{name}-conditioned DDPM, {what} after epoch {epoch} — {run.get('model', '')}"
                + (f" (final samples recognised as their digit: {run['class_accuracy']:.0%})."
                   if name == "class" and "class_accuracy" in run else "."))
    from solutions.demo_flow import flow_captions

    captions.update(flow_captions(b.get("time_flow", {}), b.get("class_flow", {})))
    if ref:
        acc = ref.get("guidance_grid_class_accuracy", {})
        captions.update({
            "part_b/b2_class_guidance_scales.png": (
                f"2.5: class-conditioned DDPM, one column per digit 0–9, rows γ = 0, 5, 10 (same noise in every row) — "
                f"{ref_label}; recognised as their digit: " + ", ".join(f"γ={g} {a:.0%}" for g, a in acc.items()) + "."),
            "part_b/b2_class_samples.png": f"2.5: digits 0–9 at γ = 5 — {ref_label}; {ref['class_accuracy']:.0%} "
                                           "recognised as their digit by the shipped MNIST classifier.",
            "part_b/b2_class_sampling.gif": f"2.5: CFG sampling of digits 0–9 at γ = 5, t = 300 → 0 — {ref_label}.",
            "part_b/b2_time_samples.png": f"2.3: time-conditioned DDPM samples — {ref_label}; mean classifier "
                                          f"confidence {ref['time_digit_confidence']:.2f}.",
            "part_b/b2_time_sampling.gif": f"2.3: sampling from the time-conditioned DDPM, t = 300 → 0 — {ref_label}.",
        })
    elif cdd:
        captions["part_b/b2_class_guidance_scales.png"] = (
            f"2.5: class-conditioned DDPM, one column per digit 0–9, rows γ = 0, 5, 10 — {cdd.get('model', '')}.")
        captions["part_b/b2_time_sampling.gif"] = f"2.3: sampling, t = 300 → 0 — {tdd.get('model', '')}."
        captions["part_b/b2_class_sampling.gif"] = f"2.5: CFG sampling (γ = 5), t = 300 → 0 — {cdd.get('model', '')}."
    first = ["b1_noising_process.png", "b1_denoiser_results.png", "b1_sigma_sweep.png", "b1_denoiser_loss.png",
             "b1_denoiser_results_cpu.png", "b2_class_guidance_scales.png", "b2_class_samples.png",
             "b2_class_sampling.gif", "b2_time_samples.png", "b2_time_sampling.gif", "b2_reference_loss.png"]
    captions = {**{f"part_b/{name}": captions[f"part_b/{name}"] for name in first if f"part_b/{name}" in captions},
                **captions}
    a = summary.get("part_a", {})
    for name, caption in a.get("captions", {}).items():
        captions[f"part_a/part_a_{name}.png"] = f"{caption} ({a.get('model')} model)."
    return captions


def _print_summary(summary: dict, out: Path) -> None:
    part_b = summary.get("part_b")
    if part_b:
        print(f"\nPart B ({part_b['mnist']}):")
        models = [k for k in ("denoiser", "time_ddpm", "class_ddpm", "time_flow", "class_flow") if k in part_b]
        for key in models:
            print(f"  {key:<10} final loss {part_b[key]['final_loss']:.4f}  ({part_b[key]['train_seconds']:.1f} s "
                  f"training; {part_b[key]['model']})")
        for key in ("class_ddpm", "class_flow"):
            if key in part_b:
                print(f"  class-conditional samples recognised as their digit: {part_b[key]['class_accuracy']:.1%}"
                      f"  ({part_b[key]['model']})")
        ref_d = part_b.get("reference_denoiser")
        if ref_d:
            print(f"  {ref_d['label']}: one-step denoiser MSE on the figure's digits (σ=0.5) "
                  f"{ref_d['mse_on_figure_digits']:.4f}  ({ref_d['source']})")
        ref = part_b.get("reference_models")
        if ref:
            print(f"  {ref['label']}: class-conditional samples (digits 0–9, γ=5) recognised as their digit: "
                  f"{ref['class_accuracy']:.1%}; time-conditional mean classifier confidence "
                  f"{ref['time_digit_confidence']:.2f}  ({ref['source']})")
    print("\nstages (wall s / CPU s):")
    for name, t in summary.get("stages", {}).items():
        print(f"  {t['wall_seconds']:6.1f} / {t['cpu_seconds']:6.1f}  {name}")
    print(f"\nfigures in {out.resolve()}  (summary.json has the numbers); wall time {summary['wall_seconds']} s, "
          f"CPU time {summary['cpu_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
