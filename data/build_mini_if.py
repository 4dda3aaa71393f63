"""Build the offline mini denoiser (``data/mini_if``), its prompt embeddings and Part A's test images.

The mini model is DeepFloyd IF stage 1 in miniature: a diffusers ``UNet2DConditionModel`` with IF's block types and
text interface (3 → 6 channels: ε and the learned-range variance; cross-attention on ``[1, 8, 64]`` prompt
embeddings) and IF's ``DDPMScheduler`` (1000 steps, ``squaredcos_cap_v2``, ``learned_range``), saved with
``IFPipeline.save_pretrained`` so it loads with ``DiffusionPipeline.from_pretrained`` like IF.

Its world: 32×32 RGB renderings of the kit's offline MNIST training digits (28×28 padded by 2), each drawn in a
colour from :data:`PALETTE` on black and shifted by up to 2 pixels. Captions: ``"a photo of the digit k"`` (80%),
``"a high quality photo"`` (10%, any digit) and the unconditional ``""`` (10%, condition dropout for CFG).

Loss: Improved DDPM's hybrid loss (Nichol & Dhariwal 2021), ``L = L_simple + L_vb``: ``L_simple`` is the MSE of the
ε channels; ``L_vb`` (in bits per dimension) is the KL between the true one-step posterior ``q(x_{t-1} | x_t, x_0)``
and the model's Gaussian whose mean uses the stop-gradient ε̂ and whose log-variance is diffusers' learned range
``frac · log β_t + (1 − frac) · log β̃_t``, ``frac = (v + 1) / 2`` — so only the variance channels learn from it, and
they learn exactly the quantity ``add_variance`` turns into noise. ``L_vb`` is left out at ``t = 0``.

Usage::

    python data/build_mini_if.py assets                 # prompt embeddings + test images (CPU, seconds)
    python data/build_mini_if.py train --minutes 5      # train on a GPU, save data/mini_if
    python data/build_mini_if.py evaluate               # classifier accuracy of CFG samples → data/mini_if/metrics.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assignment import if_models, prompts  # noqa: E402

OUT_DIR = ROOT / "data" / "mini_if"
SEED = 0
#: Foreground colours (RGB in [0, 1], each with a channel at 1 so ``max`` over channels recovers the digit).
PALETTE = torch.tensor([
    [1.0, 1.0, 1.0], [1.0, 0.25, 0.2], [0.25, 1.0, 0.3], [0.3, 0.55, 1.0],
    [1.0, 0.9, 0.2], [0.2, 1.0, 1.0], [1.0, 0.3, 1.0], [1.0, 0.6, 0.1],
])
UNET_KWARGS = dict(sample_size=32, block_out_channels=(32, 64, 64), layers_per_block=1,
                   embed_dim=prompts.MINI_EMBED_DIM, attention_head_dim=32, norm_num_groups=8)
P_UNCOND = 0.1
P_GENERIC = 0.1


def colourise(digits: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
    """Grey digits ``[N, 1, 28, 28]`` in ``[0, 1]`` and colours ``[N, 3]`` → ``[N, 3, 32, 32]`` in ``[-1, 1]`` (padded by 2)."""
    padded = F.pad(digits, (2, 2, 2, 2))
    return padded * colours[:, :, None, None] * 2 - 1


def to_classifier_input(images: torch.Tensor) -> torch.Tensor:
    """Mini-world images ``[N, 3, 32, 32]`` in ``[-1, 1]`` → ``[N, 1, 28, 28]`` in ``[0, 1]`` for the MNIST classifier.

    Grey = the brightest channel (undoes the colouring), then the centre 28×28 crop (undoes the padding).
    """
    grey = ((images.float() + 1) / 2).clamp(0, 1).amax(dim=1, keepdim=True)
    return grey[..., 2:30, 2:30]


def write_assets() -> None:
    """Prompt embeddings and the test image, mask and scribble for Part A (deterministic, CPU)."""
    from assignment.images import DATA_DIR, save_image
    from assignment.masks import rectangle_mask
    from assignment.mnist import load_mnist, mnist_tensors

    prompts.save_prompt_embeds(prompts.make_mini_prompt_embeds(), prompts.MINI_PROMPT_EMBEDS_PATH)
    digits, labels = mnist_tensors(load_mnist(train=False))
    seven = digits[labels == 7][3:4]  # a test-split 7: the mini world's "Campanile"
    save_image(colourise(seven, PALETTE[4:5]), DATA_DIR / "test_digit.png")
    mask = rectangle_mask(32, 4, 4, 12, 24)  # the 7's top bar: inpaint a new top
    save_image(mask.expand(1, 3, 32, 32) * 2 - 1, DATA_DIR / "test_mask.png")
    save_image(_scribble() * 2 - 1, DATA_DIR / "scribble.png")


def train(minutes: float, max_steps: int, batch_size: int, lr: float, out_dir: Path, device: str,
          init: Path | None = None, ema_decay: float = 0.9995,
          channels: tuple[int, ...] = UNET_KWARGS["block_out_channels"]) -> dict:
    """Train the mini model for ``minutes`` (or ``max_steps``), save its EMA weights to ``out_dir``; returns a record.

    ``init``: a saved mini pipeline folder to start from (its UNet weights). ``channels``: the UNet's
    ``block_out_channels`` (the other settings are :data:`UNET_KWARGS`').
    """
    from assignment.mnist import load_mnist, mnist_tensors

    torch.manual_seed(SEED)
    torch.backends.cudnn.benchmark = True
    g = torch.Generator(device=device).manual_seed(SEED)
    unet_kwargs = {**UNET_KWARGS, "block_out_channels": tuple(channels)}
    digits, labels = mnist_tensors(load_mnist(train=True))
    digits, labels = digits.to(device), labels.to(device)
    table = torch.cat([prompts.mini_prompt_embedding(p) for p in prompts.MINI_PROMPTS]).to(device)  # [P, 8, 64]
    index = {p: i for i, p in enumerate(prompts.MINI_PROMPTS)}
    digit_rows = torch.tensor([index[p] for p in prompts.DIGIT_PROMPTS], device=device)
    palette = PALETTE.to(device)

    unet = if_models.make_if_unet(**unet_kwargs)
    if init is not None:
        from safetensors.torch import load_file

        state = load_file(str(Path(init) / "unet" / "diffusion_pytorch_model.safetensors"))
        unet.load_state_dict({k: v.float() for k, v in state.items()})
    unet = unet.to(device).train()
    ema = if_models.make_if_unet(**unet_kwargs).to(device).eval()
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    scheduler = if_models.make_if_scheduler()
    ab = scheduler.alphas_cumprod.to(device)
    ab_prev = torch.cat([torch.ones(1, device=device), ab[:-1]])
    betas = 1 - ab / ab_prev
    post_var = ((1 - ab_prev) / (1 - ab) * betas).clamp(min=1e-20)
    opt = torch.optim.AdamW(unet.parameters(), lr=lr, weight_decay=0.0)
    ema_params, unet_params = list(ema.parameters()), list(unet.parameters())

    n_params = sum(p.numel() for p in unet.parameters())
    print(f"mini IF UNet: {n_params:,} parameters; {len(digits)} training digits; device {device}", flush=True)
    start, step, total, losses = time.time(), 0, max_steps, []
    while step < total:
        idx = torch.randint(0, len(digits), (batch_size,), device=device, generator=g)
        colours = palette[torch.randint(0, len(palette), (batch_size,), device=device, generator=g)]
        x0 = _shift(colourise(digits[idx], colours), g)
        u = torch.rand(batch_size, device=device, generator=g)
        rows = torch.where(u < P_UNCOND, index[""], torch.where(u < P_UNCOND + P_GENERIC, index["a high quality photo"],
                                                                 digit_rows[labels[idx]]))
        t = torch.randint(0, 1000, (batch_size,), device=device, generator=g)
        noise = torch.randn(x0.shape, device=device, generator=g)
        a = ab[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise

        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            out = unet(xt, t, encoder_hidden_states=table[rows], return_dict=False)[0].float()
        eps, v = out[:, :3], out[:, 3:]
        loss_simple = F.mse_loss(eps, noise)
        loss_vb = _vb_bits(x0, xt, eps.detach(), v, t, ab, ab_prev, betas, post_var)
        loss = loss_simple + loss_vb
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        for group in opt.param_groups:
            group["lr"] = _lr(step, total, lr)
        opt.step()
        with torch.no_grad():
            decay = min(ema_decay, (1 + step) / (10 + step))
            torch._foreach_lerp_(ema_params, unet_params, 1 - decay)
        losses.append((loss_simple.item(), loss_vb.item()) if step % 50 == 0 else None)
        step += 1
        if step == 50:
            mark = (step, time.time())
        if step >= 250 and step % 250 == 0 and total - step > 250:  # fit the run to the time budget, re-fitting as
            rate = (step - mark[0]) / (time.time() - mark[1])  # the rate changes (a GPU shared with other runs)
            mark = (step, time.time())
            total = min(max_steps, step + max(250, int(rate * (minutes * 60 - (time.time() - start)))))
            print(f"{rate:.1f} steps/s → {total} steps", flush=True)
        if time.time() - start > minutes * 60 * 1.1:  # a hard stop if the rate dropped late
            print(f"time budget spent at step {step}", flush=True)
            break
        if step % 100 == 0:
            print(f"step {step}/{total}  simple {loss_simple.item():.4f}  vb {loss_vb.item():.4f}  "
                  f"{time.time() - start:.0f}s", flush=True)
    seconds = time.time() - start
    for b_ema, b in zip(ema.buffers(), unet.buffers()):
        b_ema.copy_(b)
    pipe = if_models.assemble_if_pipeline(ema.to(torch.float16).cpu(), scheduler)
    pipe.save_pretrained(out_dir, safe_serialization=True)
    record = {"init": str(init.name) if init is not None else None, "block_out_channels": list(channels),
              "norm_num_groups": unet_kwargs["norm_num_groups"], "p_uncond": P_UNCOND, "p_generic": P_GENERIC,
              "ema_decay": ema_decay, "parameters": n_params, "steps": step, "batch_size": batch_size, "lr": lr,
              "train_seconds": round(seconds, 1),
              "device": torch.cuda.get_device_name() if device.startswith("cuda") else device, "seed": SEED,
              "final_loss_simple": round(loss_simple.item(), 4), "final_loss_vb": round(loss_vb.item(), 4),
              "loss_log": [value for value in losses if value is not None]}
    (out_dir / "training.json").write_text(json.dumps(record, indent=1))
    return record


@torch.no_grad()
def evaluate(model_dir: Path, n_per_prompt: int, scale: float, device: str, seed: int = 0,
             grid_dir: Path | None = None) -> dict:
    """CFG samples (γ = ``scale``, strided timesteps) for each digit prompt, scored by the shipped MNIST classifier.

    Also scores the illusions of Part A's demo (see :func:`_illusions`). ``grid_dir``: save PNG grids of the samples
    (``samples.png``: a row per digit) and illusions there.
    """
    from assignment.classifier import load_classifier
    from assignment.images import save_image
    from assignment.part_a_setup import make_add_variance, make_strided_timesteps
    from solutions import part_a

    stage_1 = if_models.load_mini_if(model_dir, device=device)
    embeds = prompts.load_prompt_embeds(prompts.MINI_PROMPT_EMBEDS_PATH, device)
    part_a.bind(stage_1=stage_1, device=torch.device(device), strided_timesteps=make_strided_timesteps(),
                add_variance=make_add_variance(stage_1), prompt_embeds_dict=embeds)
    classifier = load_classifier(device=device)
    torch.manual_seed(seed)
    per_prompt, rows = {}, []
    for k, prompt in enumerate(prompts.DIGIT_PROMPTS):
        noise = torch.randn(n_per_prompt, 3, 32, 32, device=device)
        samples = part_a.iterative_denoise_cfg(noise, 0, embeds[prompt], embeds[""], make_strided_timesteps(), scale=scale)
        preds = classifier(to_classifier_input(samples)).argmax(1)
        per_prompt[prompt] = round((preds == k).float().mean().item(), 3)
        rows.append(samples[:10])
    mean = round(sum(per_prompt.values()) / len(per_prompt), 3)
    illusions = _illusions(part_a, classifier, embeds, n_per_prompt, scale, device, seed, grid_dir)
    if grid_dir is not None:
        save_image(torch.cat(rows), Path(grid_dir) / "samples.png", nrow=10)
    return {"scale": scale, "samples_per_prompt": n_per_prompt, "seed": seed, "mean_accuracy": mean,
            "accuracy_per_prompt": per_prompt, "illusions": illusions}


def _illusions(part_a, classifier, embeds: dict, n: int, scale: float, device: str, seed: int,
               grid_dir: Path | None) -> dict:
    """How often the classifier reads Part A's illusions as prompted (``n`` each), two ways each.

    * ``anagram`` ("6" upright, "9" upside down, ``flip(2)``) and ``hybrid`` ("0" blurred afar, "1" up close): from
      pure noise at γ = ``scale``, as the course draws them;
    * ``*_demo``: as ``solutions/part_a_demo.py`` draws them for the mini model: from test-split digits of the first
      prompt noised to ``strided_timesteps[i]`` (anagram ``i = 8``, hybrid ``i = 5``), γ = 5.

    The hybrid's "afar" view is its Gaussian blur (31 × 31, σ = 2), as in the demo.
    """
    import torchvision.transforms.functional as TF

    from assignment.images import save_image
    from assignment.mnist import load_mnist, mnist_tensors
    from assignment.part_a_setup import make_strided_timesteps

    ts = make_strided_timesteps()
    grey, labels = mnist_tensors(load_mnist(train=False))

    def test_digits(k: int) -> torch.Tensor:
        picked = grey[labels == k][:n]
        picked = picked[torch.arange(n) % len(picked)]
        return colourise(picked, PALETTE[torch.arange(n) % len(PALETTE)]).to(device)

    def read(images: torch.Tensor, k: int) -> float:
        return round((classifier(to_classifier_input(images)).argmax(1) == k).float().mean().item(), 3)

    e = {k: embeds[f"a photo of the digit {k}"] for k in (0, 1, 6, 9)}
    result, pictures = {}, []
    for name, i_start, gamma in (("", 0, scale), ("_demo", 8, 5.0)):
        torch.manual_seed(seed)
        start = torch.randn(n, 3, 32, 32, device=device) if i_start == 0 else part_a.forward(test_digits(6), ts[i_start])
        anagram = part_a.make_flip_illusion(start, i_start, e[6], e[9], embeds[""], ts, scale=gamma)
        upright, flipped = read(anagram, 6), read(anagram.flip(2), 9)
        both = (classifier(to_classifier_input(anagram)).argmax(1) == 6) & (
            classifier(to_classifier_input(anagram.flip(2))).argmax(1) == 9)
        result["anagram" + name] = {"i_start": i_start, "scale": gamma, "upright_6": upright, "flipped_9": flipped,
                                    "both": round(both.float().mean().item(), 3)}
        pictures += [anagram[:10], anagram[:10].flip(2)]
    for name, i_start, gamma in (("", 0, scale), ("_demo", 5, 5.0)):
        torch.manual_seed(seed)
        start = torch.randn(n, 3, 32, 32, device=device) if i_start == 0 else part_a.forward(test_digits(0), ts[i_start])
        hybrid = part_a.make_hybrids(start, i_start, e[0], e[1], embeds[""], ts, scale=gamma, kernel_size=31)
        afar = TF.gaussian_blur(hybrid.float(), [31, 31], [2.0, 2.0])
        result["hybrid" + name] = {"i_start": i_start, "scale": gamma, "afar_0": read(afar, 0),
                                   "close_1": read(hybrid, 1)}
        pictures += [hybrid[:10], afar[:10]]
    if grid_dir is not None:
        save_image(torch.cat(pictures), Path(grid_dir) / "illusions.png", nrow=10)
    return result


def _vb_bits(x0, xt, eps, v, t, ab, ab_prev, betas, post_var) -> torch.Tensor:
    """Mean KL(q(x_{t-1}|x_t,x_0) ‖ p_θ(x_{t-1}|x_t)) in bits per dimension, 0 where t = 0."""
    shape = (-1, 1, 1, 1)
    valid = t > 0
    t = t.clamp(min=1)  # compute on valid values and mask after: inf in a masked branch still makes NaN gradients
    a, a_prev, beta = ab[t].view(shape), ab_prev[t].view(shape), betas[t].view(shape)
    alpha = a / a_prev
    c0 = a_prev.sqrt() * beta / (1 - a)
    ct = alpha.sqrt() * (1 - a_prev) / (1 - a)
    mean_q = c0 * x0 + ct * xt
    x0_hat = (xt - (1 - a).sqrt() * eps) / a.sqrt()
    mean_p = c0 * x0_hat + ct * xt
    logvar_q = post_var[t].log().view(shape)
    frac = (v + 1) / 2
    logvar_p = frac * beta.log() + (1 - frac) * logvar_q
    kl = 0.5 * (-1.0 + logvar_p - logvar_q + torch.exp(logvar_q - logvar_p) + (mean_q - mean_p) ** 2 * torch.exp(-logvar_p))
    kl = kl.mean(dim=(1, 2, 3)) / math.log(2.0)
    return (kl * valid).mean()


def _shift(images: torch.Tensor, g: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Roll each image ``[N, C, H, W]`` by its own random ``(dy, dx)`` in ``[-max_shift, max_shift]`` (no host sync)."""
    n, c, h, w = images.shape
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2, n), device=images.device, generator=g)
    rows = (torch.arange(h, device=images.device)[None, :] - dy[:, None]) % h  # torch.roll: out[i] = in[i - s]
    cols = (torch.arange(w, device=images.device)[None, :] - dx[:, None]) % w
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    chan = torch.arange(c, device=images.device)[None, :, None, None]
    return images[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


def _lr(step: int, total: int, peak: float, warmup: int = 200) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def _scribble() -> torch.Tensor:
    """A crude hand-drawn-looking "2" (thick polyline, cyan on black), ``[1, 3, 32, 32]`` in ``[0, 1]``."""
    from PIL import Image, ImageDraw
    from torchvision.transforms.functional import pil_to_tensor

    im = Image.new("RGB", (32, 32), (0, 0, 0))
    ImageDraw.Draw(im).line([(9, 10), (13, 6), (19, 6), (22, 10), (20, 15), (10, 25), (23, 25)], fill=(60, 255, 255), width=3)
    return pil_to_tensor(im).float().unsqueeze(0) / 255


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("assets", help="write prompt embeddings and test images")
    tr = sub.add_parser("train", help="train and save the mini model")
    tr.add_argument("--minutes", type=float, default=5.0)
    tr.add_argument("--max-steps", type=int, default=100_000)
    tr.add_argument("--batch-size", type=int, default=512)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--out", type=Path, default=OUT_DIR)
    tr.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    tr.add_argument("--init", type=Path, default=None, help="start from this saved pipeline's UNet")
    tr.add_argument("--ema-decay", type=float, default=0.9995)
    tr.add_argument("--channels", type=int, nargs="+", default=list(UNET_KWARGS["block_out_channels"]),
                    help="the UNet's block_out_channels")
    ev = sub.add_parser("evaluate", help="classifier accuracy of CFG samples per digit prompt")
    ev.add_argument("--model", type=Path, default=OUT_DIR)
    ev.add_argument("--samples", type=int, default=100)
    ev.add_argument("--scale", type=float, default=7.0)
    ev.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ev.add_argument("--grid", type=Path, default=None, help="save PNG grids of the samples and illusions here")
    args = parser.parse_args(argv)
    os.environ.setdefault("FUNDIFF_OFFLINE", "1")
    if args.command == "assets":
        write_assets()
    elif args.command == "train":
        record = train(args.minutes, args.max_steps, args.batch_size, args.lr, args.out, args.device, args.init,
                       args.ema_decay, tuple(args.channels))
        print(json.dumps({k: v for k, v in record.items() if k != "loss_log"}, indent=1))
    else:
        metrics = evaluate(args.model, args.samples, args.scale, args.device, grid_dir=args.grid)
        (args.model / "metrics.json").write_text(json.dumps(metrics, indent=1))
        print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
