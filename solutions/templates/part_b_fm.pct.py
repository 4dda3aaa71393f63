# Template of the Part B notebook, flow-matching version (percent format: see solutions/templates/percent.py).
# Edit this file, never the generated notebooks; then run `python -m autograder release`.
# reference: solutions.part_b_fm

# %% [markdown]
# # Fun with Diffusion Models — Part B: flow matching from scratch
#
# In this part you build and train your own denoisers on MNIST digits:
#
# 1. a **one-step denoising UNet** that maps a noisy digit $z = x + \sigma\epsilon$ back to the clean digit $x$;
# 2. a **time-conditioned UNet** trained by flow matching: it predicts the velocity that carries noise to a digit,
#    and samples digits from pure noise with Euler steps;
# 3. a **class-conditioned UNet** that also takes the digit class and samples with classifier-free guidance.
#
# **How this notebook works.** Each cell marked `# YOUR CODE HERE` is one function or class to implement; keep its
# name, its signature and its docstring. The one-line `check(...)` cell after it runs quick public tests in this
# kernel and tells you what is wrong. The experiment cells then draw the figures your write-up needs; they are written
# to `outputs/part_b_fm/` and shown inline.
#
# **One switch.** `QUICK` (next cells) picks tiny CPU-sized runs — every figure in a few minutes, blurry digits —
# or the full settings of the assignment (GPU: on Colab, *Runtime → Change runtime type → GPU*). By default it is on
# exactly when no GPU is present.

# %% colab

# %%
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from IPython.display import Image, display
from torch import nn

from assignment.checks import check
from assignment.classifier import class_accuracy
from assignment.figures import plot_loss_curve, save_gif, save_image_grid, save_labelled_rows
from assignment.mnist import load_mnist, mnist_source, mnist_tensors

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# The one switch: True = tiny CPU runs that draw every figure; False = the assignment's settings (GPU).
QUICK = not torch.cuda.is_available()

if QUICK:
    TRAIN_SIZE = 256  # digits used for training
    DENOISER = dict(num_hiddens=8, batch_size=64, epochs=1, lr=1e-3)
    FLOW_SETTINGS = dict(num_hiddens=8, batch_size=64, epochs=1, lr=1e-2, num_ts=20, num_samples=20)
else:
    TRAIN_SIZE = None  # the whole training split
    DENOISER = dict(num_hiddens=128, batch_size=256, epochs=5, lr=1e-4)
    FLOW_SETTINGS = dict(num_hiddens=64, batch_size=64, epochs=10, lr=1e-2, num_ts=50, num_samples=40)
SNAPSHOT_EPOCHS = sorted({1, 5, 10} & set(range(1, FLOW_SETTINGS["epochs"] + 1)) | {FLOW_SETTINGS["epochs"]})
SEED = 0
OUT = Path("outputs/part_b_fm")
OUT.mkdir(parents=True, exist_ok=True)


def show(path: Path) -> None:
    """Display a saved figure (PNG or GIF) inline."""
    display(Image(filename=str(path)))


print(f"device: {device}, QUICK = {QUICK}")

# %% [markdown]
# ### Data
#
# MNIST comes through `torchvision.datasets.MNIST`. Without internet (or with `FUNDIFF_OFFLINE=1`) the kit builds a
# real 5,000-digit subset instead (4,000 training / 1,000 test digits); the line printed below says which one you
# have. Pixels are floats in $[0, 1]$, images are `[N, 1, 28, 28]`.

# %%
train_x, train_y = mnist_tensors(load_mnist(train=True))
test_x, test_y = mnist_tensors(load_mnist(train=False))
if TRAIN_SIZE is not None:
    train_x, train_y = train_x[:TRAIN_SIZE], train_y[:TRAIN_SIZE]
print(mnist_source())
print(f"training on {len(train_x)} digits; test split {len(test_x)} digits")

# %% helpers solutions.part_b

# %% helpers

# %% [markdown]
# ## Part 1: a one-step denoising UNet
#
# ### 1.1 The building blocks
#
# The UNet is assembled from a few small operations. Every convolution is followed by `nn.BatchNorm2d` and `nn.GELU`:
#
# | block | layers | shape |
# |---|---|---|
# | `Conv(in, out)` | `Conv2d(3×3, stride 1, padding 1)` → BN → GELU | `[N, in, H, W] → [N, out, H, W]` |
# | `DownConv(in, out)` | `Conv2d(3×3, stride 2, padding 1)` → BN → GELU | `→ [N, out, H/2, W/2]` |
# | `UpConv(in, out)` | `ConvTranspose2d(4×4, stride 2, padding 1)` → BN → GELU | `→ [N, out, 2H, 2W]` |
# | `Flatten()` | `AvgPool2d(7)` → GELU | `[N, C, 7, 7] → [N, C, 1, 1]` |
# | `Unflatten(in)` | `ConvTranspose2d(7×7, stride 7, padding 0)` → BN → GELU | `[N, C, 1, 1] → [N, C, 7, 7]` |
# | `ConvBlock(in, out)` | `Conv(in, out)` → `Conv(out, out)` | as `Conv` |
# | `DownBlock(in, out)` | `DownConv(in, out)` → `ConvBlock(out, out)` | as `DownConv` |
# | `UpBlock(in, out)` | `UpConv(in, out)` → `ConvBlock(out, out)` | as `UpConv` |
#
# The composed blocks change no shape compared with their simple counterpart; they only add depth.

# %% implement Conv

# %% implement DownConv

# %% implement UpConv

# %% implement Flatten

# %% implement Unflatten

# %% implement ConvBlock

# %% implement DownBlock

# %% implement UpBlock

# %% [markdown]
# ### The unconditional UNet
#
# With $D$ = `num_hiddens` hidden channels, the UNet goes down twice and up twice, concatenating (`torch.cat` along
# channels) the encoder's maps into the decoder — the skip connections:
#
# $$28^2\!:\ \text{ConvBlock}(C, D) \to 14^2\!:\ \text{DownBlock}(D, D) \to 7^2\!:\ \text{DownBlock}(D, 2D) \to
# 1^2\!:\ \text{Flatten} \to 7^2\!:\ \text{Unflatten}(2D)$$
#
# $$\to \text{cat} \to \text{UpBlock}(4D, D) \to \text{cat} \to \text{UpBlock}(2D, D) \to \text{cat} \to
# \text{ConvBlock}(2D, D) \to \text{Conv2d}(D, C, 3, 1, 1).$$
#
# The last layer is a plain 3×3 convolution (no BatchNorm, no GELU), so the output can take any value.

# %% implement UnconditionalUNet

# %% [markdown]
# ### 1.2 Training data for a denoiser
#
# The denoiser $D_\theta$ learns to map a noisy digit back to the clean one by minimising
# $L = \mathbb{E}_{z, x}\, \lVert D_\theta(z) - x \rVert^2$, where each training pair is made on the fly by
#
# $$z = x + \sigma \epsilon, \qquad \epsilon \sim \mathcal{N}(0, I).$$
#
# Implement `add_noise`, then look at the noising process for $\sigma \in \{0, 0.2, 0.4, 0.5, 0.6, 0.8, 1\}$.

# %% implement add_noise

# %%
SIGMAS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)
examples = test_x[:5]
generator = torch.Generator().manual_seed(SEED)
noised = [add_noise(examples, s, generator=generator) for s in SIGMAS]
show(save_labelled_rows(noised, [f"σ = {s}" for s in SIGMAS], OUT / "b1_noising_process.png",
                        title="Noising process z = x + σε"))

# %% [markdown]
# ### 1.2.1 Training the one-step denoiser
#
# The training loop below (given) draws fresh noise with $\sigma = 0.5$ for every batch and minimises the L2 loss
# with Adam. The assignment's settings: $D = 128$, batch size 256, 5 epochs, learning rate $10^{-4}$.
# Report the loss curve and denoised test digits after the first and the last epoch.

# %% given solutions.training train_denoiser denoise_sigma_sweep

# %%
torch.manual_seed(SEED)
denoiser = UnconditionalUNet(1, DENOISER["num_hiddens"])
eval_digits = test_x[:10]
denoiser_run = train_denoiser(
    denoiser, train_x, sigma=0.5, batch_size=DENOISER["batch_size"], epochs=DENOISER["epochs"],
    lr=DENOISER["lr"], device=device, seed=SEED, eval_images=eval_digits,
    snapshot_epochs=sorted({1, DENOISER["epochs"]}),
)
show(plot_loss_curve(denoiser_run.losses, OUT / "b1_denoiser_loss.png", "One-step denoiser, σ = 0.5"))

# %%
epochs_shown = sorted(denoiser_run.samples)
show(save_labelled_rows(
    [eval_digits, denoiser_run.eval_inputs] + [denoiser_run.samples[e] for e in epochs_shown],
    ["clean", "noisy (σ = 0.5)"] + [f"denoised, epoch {e}" for e in epochs_shown],
    OUT / "b1_denoiser_results.png", title="Denoising test digits after training",
))

# %% [markdown]
# ### 1.2.2 Out-of-distribution noise levels
#
# The denoiser only ever saw $\sigma = 0.5$. Noise the same test digits with every $\sigma$ above and denoise them:
# where does it hold up, and where does it break?

# %%
noisy_sweep, denoised_sweep = denoise_sigma_sweep(denoiser, test_x[:5], SIGMAS, seed=SEED)
rows = [row for pair in zip(noisy_sweep, denoised_sweep) for row in pair]
labels = [f"{kind}, σ = {s}" for s in SIGMAS for kind in ("noisy", "denoised")]
show(save_labelled_rows(rows, labels, OUT / "b1_sigma_sweep.png", title="Denoiser trained at σ = 0.5, tested at other σ"))

# %% [markdown]
# ## Part 2: flow matching
#
# Instead of the clean image, the UNet now predicts a **velocity**: how to move a point on the straight path from
# noise to data. Let $x_0 \sim \mathcal{N}(0, I)$ be noise and $x_1$ a digit; for $t \in [0, 1]$,
#
# $$x_t = (1 - t)\, x_0 + t\, x_1, \qquad \frac{d x_t}{dt} = x_1 - x_0,$$
#
# so $t = 0$ is pure noise and $t = 1$ the data. The UNet $u_\theta(x_t, t)$ is trained on
# $L = \mathbb{E}_{x_0, x_1, t} \lVert u_\theta(x_t, t) - (x_1 - x_0) \rVert^2$ with $t \sim \mathcal{U}[0, 1)$.
#
# ### 2.1 Time conditioning
#
# The scalar $t$ enters the UNet through fully connected blocks, `FCBlock(in, out)` = `Linear(in, out)` → GELU →
# `Linear(out, out)`. Here $t$ is already in $[0, 1]$: pass it as it is.

# %% implement FCBlock

# %% [markdown]
# `TimeConditionalUNet` is the unconditional UNet whose features are *scaled* by the time embeddings:
# `unflatten = unflatten * fc1_t(t)` (the $2D$-channel bottleneck) and `up1 = up1 * fc2_t(t)` (after the first
# `UpBlock`, $D$ channels), with `fc1_t = FCBlock(1, 2D)`, `fc2_t = FCBlock(1, D)`. The FC outputs are `[N, F]`;
# broadcast them over height and width (`[:, :, None, None]`). `t` may come as `[N]` or `[N, 1]`. The
# `num_classes` argument is accepted and unused.

# %% implement TimeConditionalUNet

# %% [markdown]
# ### 2.2 The training loss
#
# `time_fm_forward(unet, x_1, num_ts)` is one training step's loss: draw $x_0 \sim \mathcal{N}(0, I)$ of $x_1$'s shape
# and one $t \sim \mathcal{U}[0, 1)$ per image, build $x_t$, and return the MSE between `unet(x_t, t)` and
# $x_1 - x_0$. (`num_ts` is the number of sampling steps; training does not need it.)

# %% implement time_fm_forward

# %% [markdown]
# ### 2.3 Sampling
#
# Sampling integrates $dx/dt = u_\theta(x, t)$ from $t = 0$ to $t = 1$ with `num_ts` Euler steps: start at
# $x \sim \mathcal{N}(0, I)$ and for $i = 0, \dots, T - 1$ (with $T$ = `num_ts`)
#
# $$x \leftarrow x + \frac{1}{T}\, u_\theta\!\left(x, \tfrac{i}{T}\right).$$
#
# The only random draw is the starting noise: seed a `torch.Generator` with `seed`, run the UNet in eval mode, and
# return `(images, frames)`, where `frames` is a list of snapshots of $x$ (e.g. every 5 steps and the final image)
# for the sampling GIF.

# %% implement time_fm_sample

# %% [markdown]
# `FlowMatching` bundles a UNet with its number of steps: `forward(x, c=None)` returns the training loss (time-only
# when `c` is `None`, class-conditioned otherwise — that half is used in 2.4), and `sample(...)` calls the right
# sampler.

# %% implement FlowMatching

# %% [markdown]
# ### Training the time-conditioned UNet
#
# The given loop trains with Adam (learning rate $10^{-2}$) and an exponential learning-rate decay
# `ExponentialLR(gamma = 0.1 ** (1 / num_epochs))` stepped once per epoch. The assignment's settings: $D = 64$,
# batch size 64, 10 epochs, $T = 50$ Euler steps. After chosen epochs it samples digits with the same seed, so you
# can watch them sharpen.

# %% given solutions.training train_flow_matching digit_labels

# %%
torch.manual_seed(SEED)
time_unet = TimeConditionalUNet(1, 10, FLOW_SETTINGS["num_hiddens"])
time_flow = FlowMatching(time_unet, num_ts=FLOW_SETTINGS["num_ts"])
time_run = train_flow_matching(
    time_flow, train_x, None, batch_size=FLOW_SETTINGS["batch_size"], epochs=FLOW_SETTINGS["epochs"],
    lr=FLOW_SETTINGS["lr"], device=device, seed=SEED, snapshot_epochs=SNAPSHOT_EPOCHS,
    num_samples=FLOW_SETTINGS["num_samples"],
)
show(plot_loss_curve(time_run.losses, OUT / "b2_fm_time_loss.png", "Time-conditioned UNet (flow matching)"))

# %%
for epoch in sorted(time_run.samples):
    show(save_image_grid(time_run.samples[epoch], OUT / f"b2_fm_time_samples_epoch{epoch:02d}.png", nrow=10))
    print(f"time-conditioned samples after epoch {epoch}")
    show(save_gif(time_run.frames[epoch], OUT / f"b2_fm_time_sampling_epoch{epoch:02d}.gif", nrow=10))

# %% [markdown]
# ### 2.4 Class conditioning
#
# To choose which digit comes out, condition on the class too: a one-hot vector $c \in \{0, 1\}^{10}$ embedded by
# two more FC blocks, `fc1_c = FCBlock(10, 2D)` and `fc2_c = FCBlock(10, D)`, that scale the same two feature maps,
# while the time embeddings are now *added*:
#
# $$\text{unflatten} \leftarrow c_1 \odot \text{unflatten} + t_1, \qquad \text{up1} \leftarrow c_2 \odot \text{up1} + t_2,$$
#
# where $c_k$ = `fc{k}_c(c)` and $t_k$ = `fc{k}_t(t)`. `c` may come as class indices `[N]` or one-hot
# `[N, 10]`; the all-zero vector means "no class". `mask` (`[N]`, optional) zeroes the class where it is 0.
#
# `class_fm_forward(unet, x_1, c, p_uncond, num_ts)` is `time_fm_forward` with the class, dropped — replaced by the
# zero vector — with probability $p_\text{uncond} = 0.1$ for each image, so that the same network also learns the
# unconditional velocity.

# %% implement ClassConditionalUNet

# %% implement class_fm_forward

# %% [markdown]
# ### 2.5 Sampling with classifier-free guidance
#
# Guidance acts on the velocity: at every Euler step compute the conditional $u_c = u_\theta(x, t, c)$ and the
# unconditional $u_u = u_\theta(x, t, 0)$ and step with
#
# $$u = u_u + \gamma\, (u_c - u_u), \qquad \gamma = 5.$$
#
# The batch size is `len(c)`.

# %% implement class_fm_sample

# %% [markdown]
# `FlowMatching` can now run its class-conditioned half as well:

# %%
check(FlowMatching)

# %%
torch.manual_seed(SEED)
class_unet = ClassConditionalUNet(1, 10, FLOW_SETTINGS["num_hiddens"])
class_flow = FlowMatching(class_unet, num_ts=FLOW_SETTINGS["num_ts"], p_uncond=0.1)
class_run = train_flow_matching(
    class_flow, train_x, train_y, batch_size=FLOW_SETTINGS["batch_size"], epochs=FLOW_SETTINGS["epochs"],
    lr=FLOW_SETTINGS["lr"], device=device, seed=SEED, snapshot_epochs=SNAPSHOT_EPOCHS,
    guidance_scale=5.0, num_samples=FLOW_SETTINGS["num_samples"],
)
show(plot_loss_curve(class_run.losses, OUT / "b2_fm_class_loss.png", "Class-conditioned UNet (flow matching)"))

# %% [markdown]
# Each column below is one digit class, $0, 1, \dots, 9$, drawn with $\gamma = 5$. The kit's MNIST classifier scores
# the samples: the fraction classified as the digit they were drawn for.

# %%
for epoch in sorted(class_run.samples):
    samples = class_run.samples[epoch]
    drawn_for = digit_labels(len(samples))
    accuracy = class_accuracy(samples, drawn_for)
    print(f"class-conditioned samples after epoch {epoch}: {accuracy:.0%} recognised as their class")
    show(save_image_grid(samples, OUT / f"b2_fm_class_samples_epoch{epoch:02d}.png", nrow=10))
    show(save_gif(class_run.frames[epoch], OUT / f"b2_fm_class_sampling_epoch{epoch:02d}.gif", nrow=10))

# %% [markdown]
# How much guidance? Sample the same classes with $\gamma \in \{0, 5, 10\}$ ($\gamma = 0$ is the unconditional model).

# %%
guidance_rows = []
classes = digit_labels(FLOW_SETTINGS["num_samples"], device)
for gamma in (0.0, 5.0, 10.0):
    images, _ = class_flow.sample(c=classes, guidance_scale=gamma, seed=SEED)
    guidance_rows.append(images[:10].cpu())
show(save_labelled_rows(guidance_rows, [f"γ = {g:g}" for g in (0, 5, 10)], OUT / "b2_fm_guidance_scales.png",
                        col_labels=[str(k) for k in range(10)], title="Classifier-free guidance scale (flow matching)"))
