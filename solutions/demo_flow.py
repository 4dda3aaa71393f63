"""The main job's flow-matching stages (``python -m solutions.demo --part-b flow``): Part B's flow-matching version
trained on the CPU with the reference (``solutions.part_b_fm``), and its figures.

The two flow models train for ``FLOW_EPOCHS`` epochs over the offline digits at D = 16 (an honest CPU run, labelled
so; there are no GPU checkpoints of this version), then draw: loss curves, samples after chosen epochs, sampling
GIFs (frames labelled with the flow time t, 0 = noise → 1 = digit) and the digit × γ guidance grid, each scored
by the shipped MNIST classifier.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["FLOW_EPOCHS", "FLOW_STEPS", "run_flow_models", "flow_captions"]

FLOW_EPOCHS = 5
"""CPU epochs of each flow model in the main job: flow matching at the course's lr 1e-2 draws digits after a few."""
FLOW_STEPS = 50
"""Euler steps when sampling (the course's ``num_ts``)."""


def run_flow_models(out: Path, train_x: torch.Tensor, train_y: torch.Tensor, hiddens: int, epochs: int,
                    device: torch.device, seed: int, progress: bool, stages, label: str) -> dict:
    """Train the time- and class-conditioned flow models, write their figures under ``out``; returns the summary.

    Args:
        train_x: ``[N, 1, 28, 28]`` float in ``[0, 1]``; train_y: ``[N]`` int64 labels.
        stages: the job's :class:`solutions.demo.Stages` (one progress bar and timing per stage).
        label: how the figures name the run (e.g. ``"CPU run, D=16, 5 epochs"``).
    """
    from assignment.classifier import class_accuracy, digit_confidence
    from assignment.figures import plot_loss_curve
    from solutions.demo_figures import GUIDANCE_SCALES, save_sample_rows, save_titled_gif
    from solutions.part_b_fm import ClassConditionalUNet, FlowMatching, TimeConditionalUNet
    from solutions.training import digit_labels, train_flow_matching

    summary: dict = {}
    snapshot = sorted({1, max(1, epochs // 2), epochs})
    for name, unet_cls, labels in (("time", TimeConditionalUNet, None), ("class", ClassConditionalUNet, train_y)):
        with stages(f"B2 {name}-conditioned flow matching: {label}", epochs, unit="epoch") as bar:
            torch.manual_seed(seed)
            flow = FlowMatching(unet_cls(1, 10, hiddens), num_ts=FLOW_STEPS)
            if device.type == "cpu":
                flow = flow.to(memory_format=torch.channels_last)
            rec = train_flow_matching(flow, train_x, labels, epochs=epochs, device=device, seed=seed,
                                      snapshot_epochs=snapshot, num_samples=10, progress=progress)
            bar.update(epochs)
            plot_loss_curve(rec.losses, out / f"b2_fm_{name}_loss.png", f"{name}-conditioned flow matching — {label}")
            for epoch, images in sorted(rec.samples.items()):
                save_sample_rows({f"epoch {epoch}" + (", γ=5" if labels is not None else ""): images},
                                 out / f"b2_fm_{name}_samples_epoch{epoch:02d}.png",
                                 f"{name}-conditioned flow matching after epoch {epoch} — {label}",
                                 digits=labels is not None)
            frames = rec.frames[epochs]
            times = [f"t={min(1.0, k * 5 / FLOW_STEPS):.1f}" for k in range(len(frames))]
            save_titled_gif(frames, out / f"b2_fm_{name}_sampling.gif", f"{name}-conditioned flow — {label}",
                            labels=times)
            final = rec.samples[epochs]
            summary[f"{name}_flow"] = {"final_loss": rec.final_loss(), "train_seconds": rec.seconds, "model": label}
            if labels is None:
                summary["time_flow"]["classifier_confidence"] = digit_confidence(final)
        if labels is not None:
            with stages(f"B2 class-conditioned flow matching: digit × γ grid ({label})", len(GUIDANCE_SCALES)) as bar:
                rows = {}
                for gamma in GUIDANCE_SCALES:
                    rows[gamma], _ = flow.sample(c=torch.arange(10, device=device), guidance_scale=gamma, seed=seed)
                    bar.update()
                save_sample_rows({f"γ={g:g}": r.cpu() for g, r in rows.items()}, out / "b2_fm_class_guidance_scales.png",
                                 f"class-conditioned flow matching, digit × γ — {label}", digits=True)
                summary["class_flow"]["class_accuracy"] = class_accuracy(final, digit_labels(len(final)))
                summary["class_flow"]["guidance_grid_class_accuracy"] = {
                    f"{g:g}": class_accuracy(r.cpu(), torch.arange(10)) for g, r in rows.items()}
    return summary


def flow_captions(tfl: dict, cfl: dict) -> dict[str, str]:
    """Captions of the flow-matching figures (``--part-b flow``), with the run's numbers."""
    if not tfl and not cfl:
        return {}
    nan = float("nan")
    acc = cfl.get("guidance_grid_class_accuracy", {})
    captions = {
        "part_b/b2_fm_time_loss.png": f"flow matching: training loss of the time-conditioned UNet — {tfl.get('model', '')} "
                                      f"(final loss {tfl.get('final_loss', nan):.4f}).",
        "part_b/b2_fm_class_loss.png": f"flow matching: training loss of the class-conditioned UNet — {cfl.get('model', '')} "
                                       f"(final loss {cfl.get('final_loss', nan):.4f}).",
        "part_b/b2_fm_time_sampling.gif": f"flow matching: Euler sampling, t = 0 (noise) → 1 — {tfl.get('model', '')}; "
                                          f"classifier confidence {tfl.get('classifier_confidence', nan):.2f}.",
        "part_b/b2_fm_class_sampling.gif": f"flow matching: CFG sampling of digits 0–9 at γ = 5 — {cfl.get('model', '')}.",
        "part_b/b2_fm_class_guidance_scales.png": (
            f"flow matching: one column per digit 0–9, rows γ = 0, 5, 10 — {cfl.get('model', '')}; recognised as their "
            "digit: " + ", ".join(f"γ={g} {a:.0%}" for g, a in acc.items()) + "."),
    }
    for name, run in (("time", tfl), ("class", cfl)):
        for epoch in range(1, 100):
            what = "digits 0–9 at γ = 5" if name == "class" else "samples"
            captions[f"part_b/b2_fm_{name}_samples_epoch{epoch:02d}.png"] = (
                f"{name}-conditioned flow matching, {what} after epoch {epoch} — {run.get('model', '')}.")
    return captions
