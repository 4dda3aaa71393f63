"""Benchmark: the notebook training loop against the fast GPU path, with convergence, for Part B's DDPM.

    python benchmarks/bench_training.py --out bench.json            # on a CUDA machine

Prints, in one run: GPU name; img/s and 20-epoch wall time of the notebook loop (DataLoader, fp32, eager) and of
the fast path (data on GPU, bf16, channels-last, whole step in a CUDA graph; optionally torch.compile inside);
their ratio; capture/compile time; the final loss and the class-accuracy of 200 CFG samples (γ = 5) per run and
their spread over seeds; the sampling time for 40 digits with CFG; and FLOP utilisation (1.61 GFLOP per image
per training step for D = 64, against the H100 SXM's 989 TFLOP/s dense bf16 peak).

Data: offline the 4,000 real training digits are repeated 15× to make a 60,000-image epoch, so an epoch has the
same 468 steps of 128 as full MNIST; with full MNIST present (``FUNDIFF_OFFLINE`` unset and a download
possible) the real 60,000 are used. The data source is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from assignment.classifier import class_accuracy, load_classifier
from assignment.mnist import load_mnist, mnist_source, mnist_tensors
from solutions.fast_training import train_ddpm_fast
from solutions.part_b import DDPM, ClassConditionalUNet
from solutions.training import digit_labels, train_ddpm

GFLOP_PER_IMAGE_STEP = 1.61
PEAK_BF16_TFLOPS = 989.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run (default: %(default)s)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the fast runs")
    parser.add_argument("--modes", nargs="+", default=["graph"], help="fast modes: graph, compile+graph, eager")
    parser.add_argument("--notebook-epochs", type=float, default=20,
                        help="epochs of the notebook loop (fractions time a part and extrapolate; default: full run)")
    parser.add_argument("--out", help="write the numbers as JSON here")
    args = parser.parse_args()
    assert torch.cuda.is_available(), "this benchmark needs a CUDA GPU"
    device = torch.device("cuda")
    x, y = mnist_tensors(load_mnist(train=True))
    repeat = max(1, 60_000 // len(x))
    x, y = x.repeat(repeat, 1, 1, 1), y.repeat(repeat)
    report: dict = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "data": mnist_source(),
                    "epoch_images": len(x), "epochs": args.epochs, "runs": []}
    print(f"GPU {report['gpu']}, torch {torch.__version__}; data: {report['data']} ×{repeat} = {len(x)} images/epoch")
    classifier = load_classifier(device=device)

    def score(ddpm: DDPM, seed: int) -> tuple[float, float]:
        c = digit_labels(200, device)
        samples, _ = ddpm.sample(c=c, guidance_scale=5.0, seed=seed)
        return class_accuracy(samples, c.cpu(), classifier), _time_sampling(ddpm)

    # the fast path
    for mode in args.modes:
        for seed in args.seeds if mode == args.modes[0] else args.seeds[:1]:
            torch.manual_seed(seed)
            ddpm = DDPM(ClassConditionalUNet(1, 10, 64)).to(device)
            result = train_ddpm_fast(ddpm, x, y, epochs=args.epochs, seed=seed, mode=mode)
            run = {"loop": f"fast ({result.mode}, bf16, channels-last, data on GPU, BN-cancelled biases frozen)", "seed": seed,
                   "img_per_s": result.images_per_second, "capture_s": result.capture_seconds,
                   "wall_s": result.seconds, "wall_20_epochs_s": result.seconds * 20 / args.epochs,
                   "final_loss": result.final_loss(200), "fallback": result.fallback_reason}
            run["class_accuracy"], run["sample_40_cfg_s"] = score(ddpm, seed)
            run["tflops"] = run["img_per_s"] * GFLOP_PER_IMAGE_STEP / 1e3
            run["flop_utilisation"] = run["tflops"] / PEAK_BF16_TFLOPS
            report["runs"].append(run)
            _print_run(run)
            _save(report, args.out)

    # the notebook loop
    torch.manual_seed(0)
    ddpm = DDPM(ClassConditionalUNet(1, 10, 64)).to(device)
    n_images = int(len(x) * min(args.notebook_epochs, 1.0))
    epochs = max(1, int(args.notebook_epochs))
    record = train_ddpm(ddpm, x[:n_images], y[:n_images], epochs=epochs, device=device, seed=0,
                        snapshot_epochs=(), progress=False)
    nb_ips = len(record.losses) * 128 / record.seconds
    run = {"loop": "notebook (DataLoader, fp32, eager)", "seed": 0, "img_per_s": nb_ips,
           "epochs_run": epochs if args.notebook_epochs >= 1 else args.notebook_epochs,
           "wall_20_epochs_s": 20 * 60_000 / nb_ips}
    if args.notebook_epochs >= args.epochs:
        run["final_loss"] = record.final_loss(200)
        run["class_accuracy"], run["sample_40_cfg_s"] = score(ddpm, 0)
    report["runs"].append(run)
    for r in report["runs"]:
        if "tflops" in r:
            r["ratio_vs_notebook"] = r["img_per_s"] / nb_ips
            print(f"{r['loop']} seed {r['seed']}: {r['ratio_vs_notebook']:.1f}× the notebook loop")
    _print_run(run)
    _save(report, args.out)

    fast = [r for r in report["runs"] if r["loop"].startswith("fast (graph")]
    if len(fast) > 1:
        for key in ("final_loss", "class_accuracy"):
            values = [r[key] for r in fast]
            report[f"{key}_spread"] = {"mean": statistics.mean(values), "min": min(values), "max": max(values),
                                       "stdev": statistics.stdev(values)}
            print(f"{key} over seeds {args.seeds}: mean {statistics.mean(values):.4f}, "
                  f"min {min(values):.4f}, max {max(values):.4f}, stdev {statistics.stdev(values):.4f}")
    _save(report, args.out)


def _save(report: dict, path: str | None) -> None:
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=2)


def _time_sampling(ddpm: DDPM) -> float:
    """Seconds to sample 40 digits with CFG (300 steps, batched cond + uncond), after one warm-up call."""
    c = digit_labels(40, "cuda")
    ddpm.sample(c=c, seed=0)
    torch.cuda.synchronize()
    started = time.perf_counter()
    ddpm.sample(c=c, seed=0)
    torch.cuda.synchronize()
    return time.perf_counter() - started


def _print_run(run: dict) -> None:
    parts = [f"{run['loop']:<80} seed {run['seed']}", f"{run['img_per_s']:>9,.0f} img/s",
             f"20 epochs ≈ {run['wall_20_epochs_s']:6.1f} s"]
    for key, fmt in (("ratio_vs_notebook", "{:.1f}×"), ("capture_s", "capture {:.1f} s"),
                     ("final_loss", "loss {:.4f}"), ("class_accuracy", "class-acc {:.1%}"),
                     ("sample_40_cfg_s", "sample 40 {:.2f} s"), ("flop_utilisation", "util {:.1%}")):
        if run.get(key) is not None:
            parts.append(fmt.format(run[key]))
    print(" | ".join(parts), flush=True)


if __name__ == "__main__":
    main()
