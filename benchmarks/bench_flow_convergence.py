"""The flow-matching reference's convergence on a GPU, over seeds — the evidence behind
``autograder.config.FLOW_CONVERGENCE_THRESHOLDS`` — and a flipped-target mutant for contrast.

Runs the grader's GPU budget exactly: 5 epochs of 60,000 images (the offline digits repeated), batch 128, Adam lr
1e-3, through the CUDA-graph engine, then 200 samples with T = 50 Euler steps (class-conditioned: CFG γ = 5).

    python benchmarks/bench_flow_convergence.py --seeds 0 1 2 --out flow_convergence.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assignment.classifier import class_accuracy, digit_confidence, load_classifier  # noqa: E402
from assignment.mnist import load_mnist  # noqa: E402
from autograder.config import FLOW_CONVERGENCE_THRESHOLDS as LIMITS  # noqa: E402
from graph_training import train_with_cuda_graph  # noqa: E402
from solutions import part_b_fm  # noqa: E402


def flipped_target_loss(unet, x_1, c=None, p_uncond=0.1):
    """The mutant: the velocity target x_0 − x_1 (sign flipped), everything else the reference's."""
    x_0 = torch.randn_like(x_1)
    t = torch.rand(x_1.shape[0], device=x_1.device)
    x_t = (1 - t.view(-1, 1, 1, 1)) * x_0 + t.view(-1, 1, 1, 1) * x_1
    if c is None:
        return F.mse_loss(unet(x_t, t), x_0 - x_1)
    keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).float()
    return F.mse_loss(unet(x_t, c, t, keep), x_0 - x_1)


def run(kind: str, seed: int, images: torch.Tensor, labels: torch.Tensor, mutant: bool, classifier) -> dict:
    """Train one model of ``kind`` ("time"/"class") and score 200 samples."""
    torch.manual_seed(seed)
    cls = part_b_fm.ClassConditionalUNet if kind == "class" else part_b_fm.TimeConditionalUNet
    unet = cls(1, 10, 64).cuda()
    T = LIMITS["num_ts"]
    data = {"x": images} if kind == "time" else {"x": images, "c": labels}
    if kind == "class":
        loss = (lambda b: flipped_target_loss(unet, b["x"], b["c"])) if mutant else \
            (lambda b: part_b_fm.class_fm_forward(unet, b["x"], b["c"], 0.1, T))
    else:
        loss = (lambda b: flipped_target_loss(unet, b["x"])) if mutant else \
            (lambda b: part_b_fm.time_fm_forward(unet, b["x"], T))
    result = train_with_cuda_graph(unet, loss, data, epochs=LIMITS["epochs"], seed=seed, lr=1e-3)
    start = time.perf_counter()
    with torch.no_grad():
        if kind == "class":
            c = torch.arange(200, device="cuda") % 10
            samples, _ = part_b_fm.class_fm_sample(unet, c, (28, 28), T, 5.0, seed)
            score = class_accuracy(samples.float().clamp(0, 1), c, classifier)
        else:
            samples, _ = part_b_fm.time_fm_sample(unet, (28, 28), T, seed, 200)
            score = digit_confidence(samples.float().clamp(0, 1), classifier)
    return {"kind": kind, "seed": seed, "mutant": mutant, "final_loss": round(result.final_loss(), 4),
            "score": round(score, 4), "train_s": round(result.seconds, 1), "sample_s": round(time.perf_counter() - start, 2),
            "mode": result.mode}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args()
    train = load_mnist(train=True)
    repeat = max(1, 60_000 // len(train.data))
    images = train.data.unsqueeze(1).float().div(255).repeat(repeat, 1, 1, 1)
    labels = train.targets.long().repeat(repeat)
    classifier = load_classifier(device="cuda")
    rows = []
    for kind in ("time", "class"):
        for seed in args.seeds:
            rows.append(run(kind, seed, images, labels, False, classifier))
            print(rows[-1], flush=True)
        rows.append(run(kind, args.seeds[0], images, labels, True, classifier))
        print(rows[-1], flush=True)
    print(f"score = class accuracy (class) or classifier confidence (time); limits: {LIMITS}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
