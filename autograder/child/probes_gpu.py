"""GPU convergence probe: train the student's own DDPM (their UNet and their loss) fast on the GPU, then sample
with their own sampler. Records the losses and the samples; the grader's process scores them.

Training goes through the given ``graph_training`` (data resident on the GPU, bf16 autocast, fused
Adam, the whole step captured in a CUDA graph) — the reference's fast path, so a student's model trains as fast
as the reference's. A step that cannot be captured (it reads a GPU value on the host, say) is found by a
sync-checked warm-up step and trained eagerly instead (~4× slower); the record's meta says which mode ran and why.
"""

from __future__ import annotations

from typing import Any

import records
import torch


def run_gpu_convergence(ns: dict[str, Any], spec: dict[str, Any], inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """One case per model: ``{"key", "kind": "class"|"time", "unet", "args", "epochs", "repeat", "num_ts",
    "betas", "p_uncond", "num_samples", "guidance_scale", "seed"}``."""
    for case in spec["cases"]:
        rec.run(case["key"], lambda case=case: _converge(ns, case, inputs))


def _converge(ns: dict[str, Any], case: dict[str, Any], inputs: dict[str, torch.Tensor]) -> tuple[dict[str, Any], dict[str, Any]]:
    from graph_training import train_with_cuda_graph

    if not torch.cuda.is_available():
        raise RuntimeError("no CUDA device is visible to the grading process")
    device = torch.device("cuda")
    conditional = case["kind"] == "class"
    forward_fn = _need(ns, "ddpm_forward_cond" if conditional else "ddpm_forward")
    sample_fn = _need(ns, "ddpm_sample_cond" if conditional else "ddpm_sample")
    schedule_fn = _need(ns, "ddpm_schedule")
    torch.manual_seed(case["seed"])
    unet = _need(ns, case["unet"])(*case["args"]).to(device)
    T = case["num_ts"]
    schedule = {k: v.to(device) if torch.is_tensor(v) else v for k, v in schedule_fn(*case["betas"], T).items()}
    images = inputs["images"].float().div(255.0).repeat(case["repeat"], 1, 1, 1)
    data = {"x": images}
    if conditional:
        data["c"] = inputs["labels"].long().repeat(case["repeat"])

        def loss_fn(batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return forward_fn(unet, schedule, batch["x"], batch["c"], case["p_uncond"], T)
    else:
        def loss_fn(batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return forward_fn(unet, schedule, batch["x"], T)

    result = train_with_cuda_graph(unet, loss_fn, data, epochs=case["epochs"], seed=case["seed"], mode=case["mode"])
    unet.eval()
    with torch.no_grad():
        if conditional:
            c = torch.arange(case["num_samples"], device=device) % 10
            out = sample_fn(unet, schedule, c, (28, 28), T, case["guidance_scale"], case["seed"])
        else:
            out = sample_fn(unet, schedule, (28, 28), T, seed=case["seed"], num_samples=case["num_samples"])
    samples = out[0] if isinstance(out, tuple) else out
    if not torch.is_tensor(samples):
        raise TypeError(f"the sampler returned {type(samples).__name__}, expected a tensor (or (images, frames))")
    losses = torch.tensor(result.losses, dtype=torch.float32)
    meta = {"mode": result.mode, "fallback": result.fallback_reason, "train_s": round(result.seconds, 1),
            "img_per_s": round(result.images_per_second)}
    return {"losses": losses, "samples": samples.detach().float().cpu()}, meta


def _need(ns: dict[str, Any], name: str) -> Any:
    if name not in ns:
        raise NameError(f"{name} is not defined in the submission")
    return ns[name]
