"""A fast GPU training path for the Part B DDPMs (the seeds' 20-epoch run in well under a minute).

The notebook loop (``solutions.training.train_ddpm``: DataLoader, fp32, eager) is launch-bound on a modern GPU:
each step of the D = 64 UNet on 128 digits is ~100 small kernels, ~13 ms of host work. This path removes the
host from the loop:

1. the whole training set lives on the GPU as one tensor; each epoch is a random permutation, and a step's
   batch is gathered *inside* the step (``images[idx]``);
2. the whole step — gather, one-hot, noise and time draws, forward, loss, backward and
   ``Adam(capturable=True)`` — is captured once in a ``torch.cuda.CUDAGraph`` and replayed (``mode="graph"``);
   ``mode="compile+graph"`` first compiles the UNet with ``torch.compile`` (fusing BatchNorm/GELU and friends)
   and captures the compiled kernels;
3. bf16 autocast for the UNet (the loss and the optimiser state stay fp32) and channels-last memory format.

Semantics are the notebook loop's: Adam(lr) with ``ExponentialLR(0.1 ** (1 / epochs))`` per epoch, ``t ~ U{1..T}``,
class dropout ``p_uncond``. Differences, stated: the last partial batch of each epoch is dropped (a graph has
static shapes), and randomness comes from the CUDA generator (seeded), not the DataLoader's.

Any UNet works (a student's too). If capture fails — e.g. the UNet synchronises with the host — training falls
back to ``mode="eager"`` with the data still on the GPU, and :attr:`FastTrainingResult.mode` says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from solutions.part_b import DDPM

__all__ = ["FastTrainingResult", "train_ddpm_fast", "ConvergenceMetrics", "convergence_metrics"]


@dataclass
class FastTrainingResult:
    """``losses``: per-step losses (floats); ``mode``: the path actually used; ``seconds``: training wall time
    (capture included); ``capture_seconds``: warm-up + compile + capture; ``images_per_second`` over all steps."""

    losses: list[float] = field(default_factory=list)
    mode: str = "eager"
    seconds: float = 0.0
    capture_seconds: float = 0.0
    images_per_second: float = 0.0
    fallback_reason: str | None = None

    def final_loss(self, last: int = 200) -> float:
        tail = self.losses[-last:]
        return sum(tail) / len(tail)


def train_ddpm_fast(
    ddpm: DDPM,
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    *,
    batch_size: int = 128,
    epochs: int = 20,
    lr: float = 1e-3,
    seed: int = 0,
    mode: str = "graph",
    bf16: bool = True,
    channels_last: bool = True,
    max_steps: int | None = None,
) -> FastTrainingResult:
    """Train ``ddpm`` on a CUDA device (the one its parameters are on).

    Args:
        ddpm: a :class:`~solutions.part_b.DDPM` already moved to the GPU.
        images: ``[N, 1, 28, 28]`` float in ``[0, 1]`` (any device; copied to the GPU once).
        labels: ``[N]`` int64 for the class-conditioned model, None for time-only.
        mode: ``"graph"``, ``"compile+graph"`` or ``"eager"``.
        max_steps: stop after this many steps (for time-bounded grading); None runs all epochs.
    """
    device = next(ddpm.parameters()).device
    if device.type != "cuda":
        raise RuntimeError(f"train_ddpm_fast needs the DDPM on a CUDA device, got {device}")
    if mode not in {"graph", "compile+graph", "eager"}:
        raise ValueError(f"mode must be 'graph', 'compile+graph' or 'eager', got {mode!r}")
    torch.manual_seed(seed)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    ddpm.to(memory_format=memory_format)
    data = images.to(device, torch.float32).contiguous(memory_format=memory_format)
    num_classes = getattr(ddpm.unet, "num_classes", 10)
    onehots = F.one_hot(labels.to(device), num_classes).float() if labels is not None else None
    steps_per_epoch = len(data) // batch_size
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)

    torch.backends.cudnn.benchmark = True  # pick the fastest convolution kernels for these fixed shapes
    opt = torch.optim.Adam(ddpm.parameters(), lr=torch.tensor(lr, device=device), capturable=True, fused=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1 ** (1.0 / epochs))
    idx = torch.zeros(batch_size, dtype=torch.long, device=device)
    net = ddpm
    if mode == "compile+graph":
        ddpm.unet = torch.compile(ddpm.unet)

    def step() -> torch.Tensor:
        x = data[idx]
        c = onehots[idx] if onehots is not None else None
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            loss = net(x, c)
        loss.backward()
        opt.step()
        return loss.detach()

    result = FastTrainingResult(mode=mode)
    generator = torch.Generator(device=device).manual_seed(seed)
    perm = torch.randperm(len(data), device=device, generator=generator)
    idx.copy_(perm[:batch_size])
    started = time.perf_counter()
    graph, static_loss = None, None
    if mode != "eager":
        try:
            graph, static_loss = _capture(step, opt, ddpm)
        except Exception as error:  # the UNet does something a graph cannot hold (host sync, dynamic shapes)
            result.mode, result.fallback_reason = "eager", f"{type(error).__name__}: {error}"[:300]
            ddpm.unet = getattr(ddpm.unet, "_orig_mod", ddpm.unet)
            _reset_optimizer(opt, lr)
    torch.cuda.synchronize()
    result.capture_seconds = time.perf_counter() - started

    losses = torch.empty(total_steps, device=device)
    done = 0
    ddpm.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(data), device=device, generator=generator)
        for i in range(steps_per_epoch):
            if done == total_steps:
                break
            idx.copy_(perm[i * batch_size : (i + 1) * batch_size])
            if graph is not None:
                graph.replay()
                losses[done].copy_(static_loss)
            else:
                opt.zero_grad(set_to_none=True)
                losses[done].copy_(step())
            done += 1
        scheduler.step()
    torch.cuda.synchronize()
    result.seconds = time.perf_counter() - started
    result.losses = losses[:done].float().cpu().tolist()
    result.images_per_second = done * batch_size / max(result.seconds - result.capture_seconds, 1e-9)
    ddpm.unet = getattr(ddpm.unet, "_orig_mod", ddpm.unet)
    return result


def _capture(step, opt: torch.optim.Optimizer, ddpm: DDPM) -> tuple[torch.cuda.CUDAGraph, torch.Tensor]:
    """Warm up on a side stream (as PyTorch's whole-network capture recipe asks), then capture one step.

    The warm-up steps change the weights a little; they are restored afterwards so the captured run starts
    from the same initial weights as the eager one.
    """
    state = {k: v.detach().clone() for k, v in ddpm.state_dict().items()}
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=False)  # gradients must live in static memory for the graph
    with torch.cuda.graph(graph):
        for p in ddpm.parameters():
            if p.grad is not None:
                p.grad.zero_()
        static_loss = step()
    with torch.no_grad():
        for k, v in ddpm.state_dict().items():
            v.copy_(state[k])
    _reset_optimizer(opt, None)
    return graph, static_loss


def _reset_optimizer(opt: torch.optim.Optimizer, lr: float | None) -> None:
    """Zero Adam's moments and step counters in place (the graph holds their addresses)."""
    for group in opt.param_groups:
        if lr is not None:
            group["lr"].fill_(lr)
        for p in group["params"]:
            for value in opt.state.get(p, {}).values():
                if torch.is_tensor(value):
                    value.zero_()


@dataclass
class ConvergenceMetrics:
    """What a bounded GPU training run reached: final loss, class accuracy of CFG samples (or, time-only,
    the classifier's mean top-class confidence as a digit-likeness score), and wall times."""

    final_loss: float
    sample_score: float
    train_seconds: float
    sample_seconds: float
    mode: str
    fallback_reason: str | None = None


def convergence_metrics(
    ddpm: DDPM,
    images: torch.Tensor,
    labels: torch.Tensor | None,
    *,
    epochs: int,
    seed: int = 0,
    mode: str = "graph",
    guidance_scale: float = 5.0,
    num_samples: int = 200,
) -> ConvergenceMetrics:
    """Train ``ddpm`` with :func:`train_ddpm_fast`, sample, and score the samples with the shipped classifier.

    Class-conditioned (``labels`` given): ``sample_score`` is the fraction of ``num_samples`` CFG samples
    (classes 0..9 cycled, scale ``guidance_scale``) that the classifier labels as the class asked for.
    Time-only: the mean top-class softmax probability of ``num_samples`` samples (≈ 1 for crisp digits, ≈ 0.1–0.3
    for noise or blobs).
    """
    from assignment.classifier import class_accuracy, load_classifier
    from solutions.training import digit_labels

    trained = train_ddpm_fast(ddpm, images, labels, epochs=epochs, seed=seed, mode=mode)
    device = next(ddpm.parameters()).device
    classifier = load_classifier(device=device)
    ddpm.to(memory_format=torch.contiguous_format)
    torch.cuda.synchronize()
    started = time.perf_counter()
    if labels is not None:
        c = digit_labels(num_samples, device)
        samples, _ = ddpm.sample(c=c, guidance_scale=guidance_scale, seed=seed)
        score = class_accuracy(samples, c.cpu(), classifier)
    else:
        samples, _ = ddpm.sample(num_samples=num_samples, seed=seed)
        with torch.no_grad():
            score = classifier(samples.float().clamp(0, 1)).softmax(1).max(1).values.mean().item()
    torch.cuda.synchronize()
    return ConvergenceMetrics(
        final_loss=trained.final_loss(), sample_score=score, train_seconds=trained.seconds,
        sample_seconds=time.perf_counter() - started, mode=trained.mode, fallback_reason=trained.fallback_reason,
    )


# Thresholds of the GPU convergence check (5 epochs of 60,000 images, D = 64, batch 128, T = 300, γ = 5).
# The reference on an H100 (benchmarks/gpu_tests_h100_run1.log, seed 0): class-conditioned loss 0.0318 and
# 200/200 CFG samples classified as asked (1.000); time-only loss 0.0333, mean classifier confidence 0.872.
# After 20 epochs (benchmarks/results_h100_run1.json, seeds 0 and 1): loss 0.0253 / 0.0256, accuracy 1.000 / 1.000.
# A run that learns nothing keeps a loss near 1 and scores ~0.10 (chance), as does the mutant that feeds the raw t at
# sampling (0.100). The limits sit ~40 % above the reference's loss and 20 points below its accuracy: far outside
# the seed-to-seed spread (loss stdev 0.0002), far inside the gap to a broken model.
CONVERGENCE_THRESHOLDS = {
    "epochs": 5,
    "class_loss": 0.045,
    "class_accuracy": 0.80,
    "time_loss": 0.045,
    "time_confidence": 0.75,
}
