"""GPU convergence probe: train the student's own DDPM or flow-matching model (their UNet and their loss) fast on the
GPU, then sample with their own sampler. Records the losses and the samples; the grader's process scores them.

Training goes through the given ``graph_training`` (data resident on the GPU, bf16 autocast, fused
Adam, the whole step captured in a CUDA graph) — the reference's fast path, so a student's model trains as fast
as the reference's. A step that cannot be captured (it reads a GPU value on the host, say) is found by a
sync-checked warm-up step and trained eagerly instead (~4× slower); the record's meta says which mode ran and why.
"""

from __future__ import annotations

from typing import Any

import records
import torch
from cases import GPUCase, GPUSpec, receives


@receives(GPUSpec)
def run_gpu_convergence(ns: dict[str, Any], spec: GPUSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """One case per model (``kind`` ``class`` or ``time``, ``version`` ``ddpm`` or ``flow``)."""
    for case in spec.cases:
        rec.run(case.key, lambda case=case: _converge(ns, case, inputs))


def _converge(ns: dict[str, Any], case: GPUCase, inputs: dict[str, torch.Tensor]) -> tuple[dict[str, Any], dict[str, Any]]:
    from graph_training import train_with_cuda_graph

    if not torch.cuda.is_available():
        raise RuntimeError("no CUDA device is visible to the grading process")
    device = torch.device("cuda")
    conditional = case.kind == "class"
    flow = case.version == "flow"
    torch.manual_seed(case.seed)
    unet = _need(ns, case.unet)(*case.args).to(device)
    images = inputs["images"].float().div(255.0).repeat(case.repeat, 1, 1, 1)
    data = {"x": images}
    if conditional:
        data["c"] = inputs["labels"].long().repeat(case.repeat)
    if flow:  # Part B's flow-matching version: the same UNets, a velocity loss and an Euler sampler
        loss_fn, sample = _flow_functions(ns, unet, case, conditional)
    else:
        loss_fn, sample = _ddpm_functions(ns, unet, case, conditional, device)

    result = train_with_cuda_graph(unet, loss_fn, data, epochs=case.epochs, seed=case.seed, mode=case.mode,
                                   lr=case.lr)
    unet.eval()
    with torch.no_grad():
        out = sample(torch.arange(case.num_samples, device=device) % 10)
    samples = out[0] if isinstance(out, tuple) else out
    if not torch.is_tensor(samples):
        raise TypeError(f"the sampler returned {type(samples).__name__}, expected a tensor (or (images, frames))")
    losses = torch.tensor(result.losses, dtype=torch.float32)
    meta = {"mode": result.mode, "fallback": result.fallback_reason, "train_s": round(result.seconds, 1),
            "img_per_s": round(result.images_per_second)}
    return {"losses": losses, "samples": samples.detach().float().cpu()}, meta


def _ddpm_functions(ns: dict[str, Any], unet: torch.nn.Module, case: GPUCase, conditional: bool, device: torch.device) -> tuple[Any, Any]:
    """The student's DDPM loss (as a batch → loss function) and sampler (classes → output) for this case."""
    forward_fn = _need(ns, "ddpm_forward_cond" if conditional else "ddpm_forward")
    sample_fn = _need(ns, "ddpm_sample_cond" if conditional else "ddpm_sample")
    T = case.num_ts
    schedule = {k: v.to(device) if torch.is_tensor(v) else v for k, v in _need(ns, "ddpm_schedule")(*case.betas, T).items()}
    if conditional:
        return (lambda batch: forward_fn(unet, schedule, batch["x"], batch["c"], case.p_uncond, T),
                lambda c: sample_fn(unet, schedule, c, (28, 28), T, case.guidance_scale, case.seed))
    return (lambda batch: forward_fn(unet, schedule, batch["x"], T),
            lambda c: sample_fn(unet, schedule, (28, 28), T, seed=case.seed, num_samples=case.num_samples))


def _flow_functions(ns: dict[str, Any], unet: torch.nn.Module, case: GPUCase, conditional: bool) -> tuple[Any, Any]:
    """The student's flow-matching loss and sampler for this case (``num_samples`` passed only if it is a parameter:
    a sampler without it is asked as often as needed for ``num_samples`` images)."""
    import call_binding

    T = case.num_ts
    if conditional:
        forward_fn, sample_fn = _need(ns, "class_fm_forward"), _need(ns, "class_fm_sample")
        return (lambda batch: forward_fn(unet, batch["x"], batch["c"], case.p_uncond, T),
                lambda c: sample_fn(unet, c, (28, 28), T, case.guidance_scale, case.seed))
    forward_fn, sample_fn = _need(ns, "time_fm_forward"), _need(ns, "time_fm_sample")

    def sample(c: torch.Tensor) -> torch.Tensor:
        wanted, seed, chunks = len(c), case.seed, []
        while sum(len(x) for x in chunks) < wanted:
            args, kwargs, _ = call_binding.bind_call(
                sample_fn, "time_fm_sample(unet, img_wh, num_ts, seed=0, num_samples=40)",
                [("unet", unet), ("img_wh", (28, 28)), ("num_ts", T)], {"seed": seed, "num_samples": wanted}, {})
            out = sample_fn(*args, **kwargs)
            chunks.append(out[0] if isinstance(out, (tuple, list)) else out)
            seed += 1
        return torch.cat(chunks)[:wanted]

    return (lambda batch: forward_fn(unet, batch["x"], T)), sample


def _need(ns: dict[str, Any], name: str) -> Any:
    if name not in ns:
        raise NameError(f"{name} is not defined in the submission")
    return ns[name]
