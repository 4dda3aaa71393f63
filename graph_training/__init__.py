"""Train any small model fast on a GPU: data resident on the device, bf16 autocast, channels-last, and the whole
training step captured once in a ``torch.cuda.CUDAGraph`` and replayed.

Shared by the reference and the grader, not given to students: the reference's fast DDPM path (``solutions.fast_training``) and the grader's GPU convergence test
both train through :func:`train_with_cuda_graph`, so a student's UNet is trained exactly as fast as the reference.

The caller supplies ``loss_fn(batch) -> scalar loss``; ``batch`` maps the names of ``data`` to the rows of the
current step (gathered inside the step, so the graph reads a new batch each replay). Random draws inside
``loss_fn`` (``torch.randn_like``, ``torch.randint`` …) come from the CUDA generator and differ on every replay,
as PyTorch's graph-safe RNG guarantees. Adam(lr, ``capturable=True``, fused) with
``ExponentialLR(gamma = 0.1 ** (1 / epochs))`` stepped per epoch, as in the course. The last partial batch of each
epoch is dropped (a graph has static shapes). If capture fails (the model synchronises with the host, say),
training falls back to eager steps with the data still on the GPU, and :attr:`FastTrainingResult.mode` says so.

Falling back is safe in the same process: a warm-up step runs under ``torch.cuda.set_sync_debug_mode("error")``
first, so a step that reads a GPU value on the host (``.item()``, ``int(t.max())``, a Python ``if`` on a GPU
tensor) is found *before* any capture starts; and if a capture still fails, the CUDA generator's state, which a
failed capture leaves mid-capture ("Offset increment outside graph capture"), is swapped back for a copy taken
before the capture.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["FastTrainingResult", "train_with_cuda_graph", "freeze_biases_cancelled_by_batchnorm"]


@dataclass
class FastTrainingResult:
    """``losses``: per-step losses; ``mode``: the path actually used; ``seconds``: training wall time (capture
    included); ``capture_seconds``: warm-up + compile + capture; ``images_per_second`` over the replayed steps."""

    losses: list[float] = field(default_factory=list)
    mode: str = "eager"
    seconds: float = 0.0
    capture_seconds: float = 0.0
    images_per_second: float = 0.0
    fallback_reason: str | None = None

    def final_loss(self, last: int = 200) -> float:
        """Mean of the last ``last`` step losses."""
        tail = self.losses[-last:]
        return sum(tail) / len(tail)


def train_with_cuda_graph(
    module: nn.Module,
    loss_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    data: dict[str, torch.Tensor],
    *,
    batch_size: int = 128,
    epochs: int = 20,
    lr: float = 1e-3,
    seed: int = 0,
    mode: str = "graph",
    bf16: bool = True,
    channels_last: bool = True,
    max_steps: int | None = None,
    freeze_cancelled_biases: bool = False,
) -> FastTrainingResult:
    """Train ``module`` (already on a CUDA device) by minimising ``loss_fn`` over ``data``.

    Args:
        module: the parameters to train (and whose buffers, e.g. BatchNorm statistics, the step updates).
        loss_fn: maps a batch dict to a scalar loss; called inside bf16 autocast when ``bf16``.
        data: equal-length tensors (e.g. ``{"x": [N, 1, 28, 28], "c": [N, 10]}``), any device; copied once.
        mode: ``"graph"`` or ``"eager"``. (To fuse kernels too, ``.compile()`` the model first and capture
            the compiled kernels with ``"graph"``.)
        max_steps: stop after this many steps (time-bounded grading); None runs all epochs.
        freeze_cancelled_biases: leave out of training the conv biases that a training-mode BatchNorm cancels
            (:func:`freeze_biases_cancelled_by_batchnorm`): the same model, ~15 % fewer kernels per step.
    """
    device = next(module.parameters()).device
    if device.type != "cuda":
        raise RuntimeError(f"train_with_cuda_graph needs the module on a CUDA device, got {device}")
    if mode not in {"graph", "eager"}:
        raise ValueError(f"mode must be 'graph' or 'eager', got {mode!r}")
    sizes = {len(v) for v in data.values()}
    if len(sizes) != 1:
        raise ValueError(f"all data tensors must have the same length, got {sorted(sizes)}")
    frozen = freeze_biases_cancelled_by_batchnorm(module) if freeze_cancelled_biases else []
    try:
        return _train(module, loss_fn, data, sizes.pop(), device, batch_size=batch_size, epochs=epochs, lr=lr,
                      seed=seed, mode=mode, bf16=bf16, channels_last=channels_last, max_steps=max_steps)
    finally:
        for bias in frozen:
            bias.requires_grad_(True)


def freeze_biases_cancelled_by_batchnorm(module: nn.Module) -> list[nn.Parameter]:
    """Stop training the bias of every convolution that feeds a ``BatchNorm2d`` directly inside an
    ``nn.Sequential``; returns those biases (to unfreeze them later with ``requires_grad_(True)``).

    In training mode BatchNorm subtracts the batch mean per channel, which removes any per-channel constant —
    the conv's bias included — so that bias's gradient is exactly zero and it never changes what the model
    computes (in eval mode the running mean, which tracked it, removes it too). Training it costs a reduction
    kernel per conv per step and feeds Adam rounding noise; freezing it leaves the model's function unchanged.
    """
    frozen = []
    for seq in module.modules():
        if isinstance(seq, nn.Sequential):
            layers = list(seq)
            for layer, norm in zip(layers, layers[1:]):
                bias = getattr(layer, "bias", None)
                if (isinstance(norm, nn.BatchNorm2d) and isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d))
                        and isinstance(bias, nn.Parameter) and bias.requires_grad):
                    bias.requires_grad_(False)
                    frozen.append(bias)
    return frozen


def _train(module, loss_fn, data, n, device, *, batch_size, epochs, lr, seed, mode, bf16, channels_last,
           max_steps) -> FastTrainingResult:
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = True  # the fastest convolution kernels for these fixed shapes
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    module.to(memory_format=memory_format)
    data = {k: _to_device(v, device, memory_format) for k, v in data.items()}
    steps_per_epoch = n // batch_size
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)

    trainable = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=torch.tensor(lr, device=device), capturable=True, fused=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1 ** (1.0 / epochs))
    idx = torch.zeros(batch_size, dtype=torch.long, device=device)

    def step() -> torch.Tensor:
        batch = {k: v[idx] for k, v in data.items()}
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(batch)
        loss.backward()
        opt.step()
        return loss.detach().float()

    result = FastTrainingResult(mode=mode)
    generator = torch.Generator(device=device).manual_seed(seed)
    idx.copy_(torch.randperm(n, device=device, generator=generator)[:batch_size])
    started = time.perf_counter()
    graph, static_loss = None, None
    if mode != "eager":
        try:
            graph, static_loss = _capture(step, opt, module)
        except Exception as error:  # something a graph cannot hold (host sync, dynamic shapes)
            result.mode, result.fallback_reason = "eager", f"{type(error).__name__}: {error}"[:300]
            _reset_optimizer(opt, lr)
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    result.capture_seconds = time.perf_counter() - started

    losses = torch.empty(total_steps, device=device)
    done = 0
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(n, device=device, generator=generator)
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
    result.losses = losses[:done].cpu().tolist()
    result.images_per_second = done * batch_size / max(result.seconds - result.capture_seconds, 1e-9)
    module.to(memory_format=torch.contiguous_format)
    return result


def _to_device(tensor: torch.Tensor, device: torch.device, memory_format: torch.memory_format) -> torch.Tensor:
    tensor = tensor.to(device)
    return tensor.contiguous(memory_format=memory_format) if tensor.dim() == 4 else tensor.contiguous()


def _capture(step: Callable[[], torch.Tensor], opt: torch.optim.Optimizer, module: nn.Module):
    """Warm up on a side stream (PyTorch's whole-network capture recipe), then capture one step.

    The warm-up steps change the weights a little; they are restored afterwards so the captured run starts from
    the same initial weights as an eager one.
    """
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    try:
        _warm_up(step, opt)
        generator = torch.cuda.default_generators[torch.cuda.current_device()]
        saved_rng = generator.clone_state()
        graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=False)  # gradients must live in static memory for the graph
        try:
            with torch.cuda.graph(graph):
                for p in module.parameters():
                    if p.grad is not None:
                        p.grad.zero_()
                static_loss = step()
        except BaseException:
            generator.graphsafe_set_state(saved_rng)  # a failed capture leaves the generator mid-capture
            raise
    finally:
        with torch.no_grad():
            for k, v in module.state_dict().items():
                v.copy_(state[k])
    _reset_optimizer(opt, None)
    return graph, static_loss


def _warm_up(step: Callable[[], torch.Tensor], opt: torch.optim.Optimizer) -> None:
    """Three eager steps on a side stream (PyTorch's capture recipe); the last under sync-debug "error", so a step
    that synchronises with the host raises here, before a capture could be left half-done."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    try:
        with torch.cuda.stream(side):
            for i in range(3):
                opt.zero_grad(set_to_none=False)
                if i == 2:
                    _set_sync_debug_mode("error")
                try:
                    step()
                except RuntimeError as error:
                    if i == 2 and "synchroniz" in str(error):
                        raise RuntimeError(
                            "the training step reads a GPU value on the host (.item(), int()/float()/bool() of a GPU "
                            "tensor, a Python `if` on one, .cpu(), .nonzero()…), which a CUDA graph cannot hold"
                        ) from error
                    raise
                finally:
                    _set_sync_debug_mode("default")
    finally:
        torch.cuda.current_stream().wait_stream(side)


def _set_sync_debug_mode(mode: str) -> None:
    with warnings.catch_warnings():  # "a prototype feature", warned on every call: not the student's output
        warnings.simplefilter("ignore")
        torch.cuda.set_sync_debug_mode(mode)


def _reset_optimizer(opt: torch.optim.Optimizer, lr: float | None) -> None:
    """Zero Adam's moments and step counters in place (the graph holds their addresses)."""
    for group in opt.param_groups:
        if lr is not None:
            group["lr"].fill_(lr)
        for p in group["params"]:
            for value in opt.state.get(p, {}).values():
                if torch.is_tensor(value):
                    value.zero_()
