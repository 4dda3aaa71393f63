"""How many students' GPU convergence trainings one GPU runs side by side: k = 1, 2, 4, 8 at once.

Each worker is a separate process that trains what the grader's GPU group trains for one student — the
class-conditioned DDPM (reference UNet and loss), 5 epochs of 60,000 images, batch 128, through the CUDA-graph
engine — and reports its training time. The parent measures the wall time from launch to the last worker's end
(process start and CUDA initialisation included, as a grading child pays them too) and the throughput in
trainings per hour.

    python benchmarks/bench_gpu_side_by_side.py --ks 1 2 4 8 --out side_by_side.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(seed: int, epochs: int) -> None:
    """Train one student's class-conditioned DDPM as the GPU group does; print its seconds as JSON."""
    sys.path.insert(0, str(ROOT))
    import torch

    from assignment.mnist import load_mnist
    from graph_training import train_with_cuda_graph
    from solutions import part_b

    train = load_mnist(train=True)
    repeat = max(1, 60_000 // len(train.data))
    data = {"x": train.data.unsqueeze(1).float().div(255).repeat(repeat, 1, 1, 1), "c": train.targets.long().repeat(repeat)}
    torch.manual_seed(seed)
    unet = part_b.ClassConditionalUNet(1, 10, 64).cuda()
    schedule = {k: v.cuda() for k, v in part_b.ddpm_schedule(1e-4, 0.02, 300).items()}
    result = train_with_cuda_graph(unet, lambda b: part_b.ddpm_forward_cond(unet, schedule, b["x"], b["c"], 0.1, 300),
                                   data, epochs=epochs, seed=seed)
    print(json.dumps({"train_s": round(result.seconds, 2), "final_loss": round(result.final_loss(), 4)}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8], help="trainings at once")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.epochs)
        return 0
    rows = []
    for k in args.ks:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(i), "--epochs", str(args.epochs)],
                                  stdout=subprocess.PIPE, text=True) for i in range(k)]
        outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        wall = time.perf_counter() - start
        row = {"at_once": k, "wall_s": round(wall, 1), "trainings_per_hour": round(k * 3600 / wall),
               "train_s": [o["train_s"] for o in outs], "final_loss": [o["final_loss"] for o in outs]}
        rows.append(row)
        print(row, flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
