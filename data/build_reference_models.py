"""Train Part B's three reference models with the course's settings and ship them (GPU).

    python data/build_reference_models.py                     # CUDA: all three, into data/reference_models/
    python data/build_reference_models.py --models denoiser   # only the one-step denoiser (the DDPMs stay as they are)
    python data/build_reference_models.py --models ddpms      # only the two DDPMs
    python data/build_reference_models.py --out DIR           # elsewhere
    python data/build_reference_models.py --device cpu        # without a GPU (the notebook loops; hours)

DDPMs (the course's settings): UNet num_hiddens 64, batch 128, 20 epochs, Adam lr 1e-3 with ExponentialLR
(γ = 0.1^(1/epochs) per epoch), T = 300, p_uncond 0.1, seed 0. On a GPU they train through
``solutions.fast_training.train_ddpm_fast`` (data on the GPU, CUDA graph, bf16 autocast).

One-step denoiser (the course's settings, as in ``solutions.training.train_denoiser``): ``UnconditionalUNet``
num_hiddens 128, σ = 0.5, batch 256, 5 epochs, Adam lr 1e-4 (constant), seed 0, trained in fp32 by the notebook
loop itself (DataLoader, eager) on the chosen device.

With the offline MNIST (4,000 training digits) the digits are repeated to make a course-sized epoch of
``--epoch-images`` images (60,000 by default, as in the GPU convergence test and the benchmark); with the full MNIST
nothing is repeated.

Writes ``time_ddpm.safetensors``, ``class_ddpm.safetensors`` and ``denoiser.safetensors`` (state dicts in fp16;
load with ``solutions.reference_models.load_reference_ddpm`` / ``load_reference_denoiser``) and ``training.json``:
the DDPMs' settings, seed, MNIST source and size, each model's final loss and per-epoch mean loss, the
class-accuracy of ``--num-samples`` class-conditioned samples (γ = ``--guidance-scale``, seed ``--seed``, classes
0..9 cycled) and the mean classifier confidence of as many time-conditioned samples, both scored by the shipped
classifier on the fp16 checkpoints as shipped, the GPU's name, torch's version and the seconds each step took.
The denoiser's entry (``models.denoiser``) holds its own settings and its test MSE at σ = 0.5 on the first
``--denoiser-eval-images`` test digits (noise seed ``--seed``), measured on the fp16 checkpoint as shipped.
Building only some models keeps the other models' entries of an existing ``training.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solutions.reference_models import (  # noqa: E402
    DENOISER_SIGMA,
    REFERENCE_DIR,
    denoiser_test_mse,
    load_reference_ddpm,
    load_reference_denoiser,
    new_ddpm,
    save_reference_ddpm,
    save_reference_denoiser,
)

#: ``--models`` choices → the models they build
MODEL_SETS = {"all": ("time", "class", "denoiser"), "ddpms": ("time", "class"), "both": ("time", "class"),
              "time": ("time",), "class": ("class",), "denoiser": ("denoiser",)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR, help="output folder (default: data/reference_models)")
    parser.add_argument("--device", default="cuda",
                        help="cuda, cuda:N, or cpu (cpu only when given explicitly; it is very slow) (default: %(default)s)")
    parser.add_argument("--models", choices=list(MODEL_SETS), default="all",
                        help="which models to train: all three, the two DDPMs ('ddpms' or 'both'), or one "
                             "(default: %(default)s)")
    parser.add_argument("--hiddens", type=int, default=64, help="UNet num_hiddens (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128, help="batch size (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, decayed ×0.1 over the run (default: %(default)s)")
    parser.add_argument("--num-ts", type=int, default=300, help="diffusion steps T (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed for training and scoring (default: %(default)s)")
    parser.add_argument("--epoch-images", type=int, default=60_000,
                        help="repeat a smaller training split to about this many images per epoch; 0 never repeats (default: %(default)s)")
    parser.add_argument("--mode", choices=["graph", "compile+graph", "eager"], default="graph",
                        help="fast-path mode on CUDA (default: %(default)s)")
    parser.add_argument("--num-samples", type=int, default=100, help="samples scored per model (default: %(default)s)")
    parser.add_argument("--guidance-scale", type=float, default=5.0, help="CFG scale of the scored class-conditioned samples (default: %(default)s)")
    parser.add_argument("--denoiser-hiddens", type=int, default=128, help="one-step denoiser's num_hiddens (default: %(default)s)")
    parser.add_argument("--denoiser-batch-size", type=int, default=256, help="one-step denoiser's batch size (default: %(default)s)")
    parser.add_argument("--denoiser-epochs", type=int, default=5, help="one-step denoiser's epochs (default: %(default)s)")
    parser.add_argument("--denoiser-lr", type=float, default=1e-4, help="one-step denoiser's Adam learning rate (default: %(default)s)")
    parser.add_argument("--denoiser-eval-images", type=int, default=100,
                        help="test digits the denoiser's recorded test MSE is measured on (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device. These checkpoints are trained on a GPU; pass --device cpu explicitly to train "
              "on the CPU with the notebook loop (very slow).", file=sys.stderr)
        return 2
    if device.type not in {"cuda", "cpu"}:
        print(f"error: --device must be cuda, cuda:N or cpu, got {args.device!r}", file=sys.stderr)
        return 2

    from assignment.classifier import class_accuracy, digit_confidence, load_classifier
    from assignment.mnist import load_mnist, mnist_source, mnist_tensors
    from solutions.training import digit_labels

    started = time.perf_counter()
    x, y = mnist_tensors(load_mnist(train=True))
    repeat = max(1, args.epoch_images // len(x)) if args.epoch_images else 1
    train_x, train_y = x.repeat(repeat, 1, 1, 1), y.repeat(repeat)
    print(f"MNIST: {mnist_source()}: {len(x)} digits ×{repeat} = {len(train_x)} images/epoch; device {device}", flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    kinds = MODEL_SETS[args.models]
    previous = json.loads((out / "training.json").read_text()) if (out / "training.json").exists() else {}
    ddpm_report: dict = {
        "settings": {"num_hiddens": args.hiddens, "batch_size": args.batch_size, "epochs": args.epochs, "lr": args.lr,
                     "lr_schedule": "ExponentialLR(gamma=0.1 ** (1 / epochs)) per epoch", "optimizer": "Adam",
                     "num_ts": args.num_ts, "betas": [1e-4, 0.02], "p_uncond": 0.1},
        "seed": args.seed,
        "mnist": {"source": mnist_source(), "train_digits": len(x), "repeat": repeat, "images_per_epoch": len(train_x)},
        "training_path": (f"solutions.fast_training.train_ddpm_fast(mode={args.mode!r}, bf16 autocast, channels-last; "
                          "last partial batch of each epoch dropped)") if device.type == "cuda"
                         else "solutions.training.train_ddpm (notebook loop, fp32)",
        "checkpoint_dtype": "float16",
        "scoring": {"num_samples": args.num_samples, "guidance_scale": args.guidance_scale, "sample_seed": args.seed,
                    "classes": "0..9 cycled", "classifier": "data/mnist_classifier.safetensors",
                    "sampled_on": str(device), "tf32": False},
        "gpu": gpu,
        "torch": torch.__version__,
    }
    # the top-level fields describe the DDPM build: keep the previous ones when only the denoiser is rebuilt
    report: dict = {**ddpm_report, **previous} if previous and "time" not in kinds and "class" not in kinds \
        else {**ddpm_report, "models": previous.get("models", {})}
    report["models"] = dict(report.get("models", {}))
    if "denoiser" in kinds:
        report["models"]["denoiser"] = _build_denoiser(args, x, train_x, out, device, gpu)
    for kind in (k for k in kinds if k != "denoiser"):
        labels = train_y if kind == "class" else None
        torch.manual_seed(args.seed)
        ddpm = new_ddpm(kind, args.hiddens, args.num_ts).to(device)
        t0 = time.perf_counter()
        losses, mode = _train(ddpm, train_x, labels, args, device)
        train_seconds = time.perf_counter() - t0
        path = save_reference_ddpm(ddpm, kind, out)
        print(f"{kind}: trained in {train_seconds:.1f} s ({mode}), final loss {_final(losses):.4f}; wrote {path}", flush=True)

        # score the checkpoint as shipped (fp16 weights back in fp32), full fp32 sampling
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        shipped = load_reference_ddpm(kind, device, out)
        classifier = load_classifier(device=device)
        t0 = time.perf_counter()
        if kind == "class":
            c = digit_labels(args.num_samples, device)
            samples, _ = shipped.sample(c=c, guidance_scale=args.guidance_scale, seed=args.seed)
            score = {"class_accuracy": class_accuracy(samples, c, classifier),
                     "digit_confidence": digit_confidence(samples, classifier)}
        else:
            samples, _ = shipped.sample(num_samples=args.num_samples, seed=args.seed)
            score = {"digit_confidence": digit_confidence(samples, classifier)}
        sample_seconds = time.perf_counter() - t0
        steps_per_epoch = max(1, len(losses) // args.epochs)
        report["models"][kind] = {
            "file": path.name,
            "unet": type(ddpm.unet).__name__,
            "parameters": sum(p.numel() for p in ddpm.parameters()),
            "steps": len(losses),
            "final_loss": round(_final(losses), 5),
            "epoch_mean_loss": [round(sum(chunk) / len(chunk), 5) for chunk in
                                (losses[i: i + steps_per_epoch] for i in range(0, len(losses), steps_per_epoch)) if chunk],
            "train_mode": mode,
            "train_seconds": round(train_seconds, 1),
            "sample_seconds": round(sample_seconds, 1),
            **{k: round(v, 4) for k, v in score.items()},
        }
        print(f"{kind}: {score} ({sample_seconds:.1f} s sampling)", flush=True)
    if "time" in kinds or "class" in kinds:
        report["seconds"] = round(time.perf_counter() - started, 1)
    report["models"] = {k: report["models"][k] for k in ("time", "class", "denoiser") if k in report["models"]}
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "models"}, indent=2))
    print(json.dumps({k: {n: v for n, v in m.items() if n != "epoch_mean_loss"} for k, m in report["models"].items()}, indent=2))
    return 0


def _build_denoiser(args: argparse.Namespace, digits: torch.Tensor, train_x: torch.Tensor, out: Path,
                    device: torch.device, gpu: str | None) -> dict:
    """Train the one-step denoiser with the notebook loop, ship it in fp16 and measure its test MSE at σ = 0.5.

    ``digits``: the training split ``[N, 1, 28, 28]`` in ``[0, 1]``; ``train_x``: the same repeated to a course-sized
    epoch. Returns the denoiser's ``training.json`` entry.
    """
    from assignment.mnist import load_mnist, mnist_source, mnist_tensors
    from solutions.part_b import UnconditionalUNet
    from solutions.training import train_denoiser

    torch.manual_seed(args.seed)
    unet = UnconditionalUNet(1, args.denoiser_hiddens)
    t0 = time.perf_counter()
    rec = train_denoiser(unet, train_x, sigma=DENOISER_SIGMA, batch_size=args.denoiser_batch_size,
                         epochs=args.denoiser_epochs, lr=args.denoiser_lr, device=device, seed=args.seed,
                         snapshot_epochs=(), progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    train_seconds = time.perf_counter() - t0
    path = save_reference_denoiser(unet, out)
    print(f"denoiser: trained in {train_seconds:.1f} s, final loss {_final(rec.losses):.5f}; wrote {path}", flush=True)

    # measure the checkpoint as shipped (fp16 weights back in fp32), full fp32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    test_x, _ = mnist_tensors(load_mnist(train=False))
    n = min(args.denoiser_eval_images, len(test_x))
    mse = denoiser_test_mse(load_reference_denoiser(device, out), test_x[:n], DENOISER_SIGMA, seed=args.seed)
    steps_per_epoch = max(1, len(rec.losses) // args.denoiser_epochs)
    entry = {
        "file": path.name,
        "unet": type(unet).__name__,
        "settings": {"num_hiddens": args.denoiser_hiddens, "sigma": DENOISER_SIGMA, "batch_size": args.denoiser_batch_size,
                     "epochs": args.denoiser_epochs, "lr": args.denoiser_lr, "lr_schedule": "constant",
                     "optimizer": "Adam", "loss": "MSE(unet(x + sigma * eps), x)"},
        "seed": args.seed,
        "mnist": {"source": mnist_source(), "train_digits": len(digits), "images_per_epoch": len(train_x)},
        "training_path": "solutions.training.train_denoiser (notebook loop: DataLoader, eager, fp32)",
        "device": gpu or str(device),
        "torch": torch.__version__,
        "parameters": sum(p.numel() for p in unet.parameters()),
        "steps": len(rec.losses),
        "final_loss": round(_final(rec.losses), 5),
        "epoch_mean_loss": [round(sum(chunk) / len(chunk), 5) for chunk in
                            (rec.losses[i: i + steps_per_epoch] for i in range(0, len(rec.losses), steps_per_epoch))
                            if chunk],
        "train_seconds": round(train_seconds, 1),
        "test_mse": {"images": f"first {n} test digits", "sigma": DENOISER_SIGMA, "noise_seed": args.seed,
                     "measured_on": f"{device} fp32 (tf32 off), fp16 checkpoint as shipped",
                     "mse": round(mse["mse"], 6), "noisy_input_mse": round(mse["noisy_mse"], 6)},
    }
    print(f"denoiser: test MSE at σ={DENOISER_SIGMA} {mse['mse']:.5f} (noisy input {mse['noisy_mse']:.5f})", flush=True)
    return entry


def _train(ddpm, images, labels, args, device) -> tuple[list[float], str]:
    if device.type == "cuda":
        from solutions.fast_training import train_ddpm_fast

        result = train_ddpm_fast(ddpm, images, labels, batch_size=args.batch_size, epochs=args.epochs, lr=args.lr,
                                 seed=args.seed, mode=args.mode)
        torch.cuda.synchronize(device)
        if result.fallback_reason:
            print(f"note: trained eagerly ({result.fallback_reason})", flush=True)
        return list(result.losses), result.mode
    from solutions.training import train_ddpm

    record = train_ddpm(ddpm, images, labels, batch_size=args.batch_size, epochs=args.epochs, lr=args.lr,
                        device=device, seed=args.seed, snapshot_epochs=())
    return record.losses, "notebook loop (cpu)"


def _final(losses: list[float], last: int = 200) -> float:
    tail = losses[-last:]
    return sum(tail) / len(tail)


if __name__ == "__main__":
    sys.exit(main())
