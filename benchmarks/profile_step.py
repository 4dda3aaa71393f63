"""Where the fast path's time goes: the GPU kernels of one D = 64 class-conditioned training step, and graph
replay speed of a few configurations (on a CUDA machine).

    python benchmarks/profile_step.py [--steps 400] [--compile]

Prints the top kernels by GPU time (torch.profiler over eager bf16 channels-last steps), the total GPU time per
step, then img/s of whole-step CUDA-graph replays for: bf16 + channels-last, bf16 contiguous, fp32 (TF32)
channels-last, and with ``--compile`` the compiled UNet inside the graph.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from graph_training import freeze_biases_cancelled_by_batchnorm, train_with_cuda_graph
from solutions.part_b import DDPM, ClassConditionalUNet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=400, help="replayed steps per configuration")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile inside the graph")
    parser.add_argument("--max-autotune", action="store_true",
                        help="also time torch.compile(mode='max-autotune-no-cudagraphs') inside the graph (minutes)")
    args = parser.parse_args()
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    x = torch.rand(60_000, 1, 28, 28, device=device)
    c = F.one_hot(torch.randint(0, 10, (60_000,), device=device), 10).float()
    print(f"GPU {torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")

    torch.manual_seed(0)
    ddpm = DDPM(ClassConditionalUNet(1, 10, 64)).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(ddpm.parameters(), lr=1e-3, fused=True)
    xb, cb = x[:128].contiguous(memory_format=torch.channels_last), c[:128]

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = ddpm(xb, cb)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    torch.cuda.synchronize()
    n = 20
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(n):
            step()
        torch.cuda.synchronize()
    events = prof.key_averages()
    total = sum(e.self_device_time_total for e in events) / n
    print(f"\nGPU kernel time per eager step: {total / 1e3:.3f} ms ({128 / total * 1e6:,.0f} img/s if back to back)")
    print(events.table(sort_by="self_device_time_total", row_limit=30, max_name_column_width=90))

    fast = dict(bf16=True, channels_last=True)
    configs = [("graph bf16 channels-last", fast, None, False),
               ("graph bf16 contiguous", dict(bf16=True, channels_last=False), None, False),
               ("graph fp32/TF32 channels-last", dict(bf16=False, channels_last=True), None, False),
               ("graph bf16 CL, BN-cancelled biases frozen", fast, None, True)]
    if args.compile:
        configs += [("compile + graph bf16 CL", fast, "default", False),
                    ("compile + graph bf16 CL, biases frozen", fast, "default", True)]
    if args.max_autotune:
        configs.append(("max-autotune + graph bf16 CL, biases frozen", fast, "max-autotune-no-cudagraphs", True))
    for name, kw, compile_mode, freeze in configs:
        torch.manual_seed(0)
        ddpm = DDPM(ClassConditionalUNet(1, 10, 64)).to(device)
        if freeze:
            freeze_biases_cancelled_by_batchnorm(ddpm)
        if compile_mode:
            torch._dynamo.reset()
            ddpm.unet.compile(mode=compile_mode)
        started = time.perf_counter()
        result = train_with_cuda_graph(ddpm, lambda b, ddpm=ddpm: ddpm(b["x"], b["c"]), {"x": x, "c": c}, epochs=1,
                                       max_steps=args.steps, **kw)
        print(f"{name:<40} {result.mode:<6} {result.images_per_second:>9,.0f} img/s "
              f"({128 / result.images_per_second * 1e3:.2f} ms/step), capture {result.capture_seconds:.1f} s, "
              f"total {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
