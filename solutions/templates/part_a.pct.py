# Template of the Part A notebook (percent format: see solutions/templates/percent.py).
# Edit this file, never the generated notebooks; then run `python -m autograder release`.
# reference: solutions.part_a

# %% [markdown]
# # Fun with Diffusion Models — Part A: sampling loops
#
# In this part you write the sampling loops around a pretrained text-to-image diffusion model, DeepFloyd IF
# (stage 1, $64 \times 64$ images), and use them for denoising, image-to-image translation, inpainting and two kinds
# of optical illusions.
#
# **How this notebook works.** Each cell marked `# YOUR CODE HERE` is one function to implement; keep its name,
# signature and docstring. The `check(...)` cell after it runs quick public tests against a fake model that knows
# the right answer, and tells you what is wrong. The experiment cells draw the figures of your write-up into
# `outputs/part_a/` and show them inline.
#
# **One switch.** `QUICK` picks the kit's offline *mini* denoiser — a small IF-compatible model of coloured digits,
# $32 \times 32$, that runs on a CPU — or DeepFloyd IF itself (`QUICK = False`; a GPU and the IF weights, see the
# course page). By default it is on exactly when no GPU is present.

# %% colab

# %%
import os
from pathlib import Path

import torch
import torchvision.transforms.functional as TF
from IPython.display import Image, display
from tqdm.auto import tqdm

from assignment import setup_part_a
from assignment.checks import check
from assignment.figures import save_labelled_rows
from assignment.images import SCRIBBLE_PATH, TEST_IMAGE_PATH, TEST_MASK_PATH, load_image, model_size
from assignment.masks import load_mask
from assignment.part_a_setup import SEED

# The one switch: True = the offline mini denoiser on the CPU; False = DeepFloyd IF stage 1 (GPU).
QUICK = not torch.cuda.is_available()
MODEL = os.environ.get("FUNDIFF_PART_A_MODEL", "mini" if QUICK else "deepfloyd")

OUT = Path("outputs/part_a")
OUT.mkdir(parents=True, exist_ok=True)


def show(path: Path) -> None:
    """Display a saved figure inline."""
    display(Image(filename=str(path)))


def rows_figure(rows, labels, name, col_labels=None, title=None) -> None:
    """Save and show rows of ``[N, 3, H, W]`` images in ``[-1, 1]`` with labels."""
    show(save_labelled_rows([r.detach().float().cpu() for r in rows], labels, OUT / name, col_labels=col_labels,
                            value_range=(-1, 1), title=title))

# %% [markdown]
# ### The given names
#
# The setup below defines what every function of this part may use as a global — the same names the autograder
# binds to its own model:
#
# * `stage_1`: the IF stage-1 pipeline; `stage_1.unet(x, t, encoder_hidden_states=embeds, return_dict=False)[0]`
#   returns 6 channels: the noise estimate $\hat\epsilon$ (`[:, :3]`) and a learned variance (`[:, 3:]`);
#   `stage_1.scheduler.alphas_cumprod[t]` is $\bar\alpha_t$ for $t \in \{0, \dots, 999\}$;
# * `device`; `strided_timesteps = [990, 960, …, 30, 0]`;
# * `add_variance(predicted_variance, t, image)`: adds the noise the model's learned variance asks for;
# * `prompt_embeds_dict`: prompt text → embedding; `""` is the unconditional (empty) prompt.

# %%
given = setup_part_a(MODEL)
stage_1 = given["stage_1"]
device = given["device"]
strided_timesteps = given["strided_timesteps"]
add_variance = given["add_variance"]
prompt_embeds_dict = given["prompt_embeds_dict"]
SIZE = model_size(stage_1)
print(f"model: {MODEL} ({SIZE}×{SIZE}) on {device}; prompts: {sorted(prompt_embeds_dict)[:6]} …")

# The prompts of each experiment: the course's with DeepFloyd, digits in the mini model's world.
if MODEL == "deepfloyd":
    P = dict(
        samples=["an oil painting of a snowy mountain village", "a man wearing a hat", "a rocket ship"],
        photo="a high quality photo", edit="a rocket ship",
        anagrams=[("an oil painting of people around a campfire", "an oil painting of an old man"),
                  ("an oil painting of a snowy mountain village", "a photo of a dog")],
        hybrids=[("a lithograph of a skull", "a lithograph of waterfalls"), ("a rocket ship", "a pencil")],
    )
else:
    P = dict(
        samples=["a photo of the digit 2", "a photo of the digit 5", "a photo of the digit 8"],
        photo="a high quality photo", edit="a photo of the digit 7",
        anagrams=[("a photo of the digit 6", "a photo of the digit 9"), ("a photo of the digit 7", "a photo of the digit 2")],
        hybrids=[("a photo of the digit 0", "a photo of the digit 1"), ("a photo of the digit 8", "a photo of the digit 3")],
    )
EMBEDS = {p: prompt_embeds_dict[p] for p in [P["photo"], P["edit"], *P["samples"], *sum(P["anagrams"] + P["hybrids"], ())]}
UNCOND = prompt_embeds_dict[""]
test_image = load_image(TEST_IMAGE_PATH, SIZE, device)
scribble = load_image(SCRIBBLE_PATH, SIZE, device)
HYBRID_KERNEL = min(33, 2 * SIZE - 1)  # the course's 33 × 33 Gaussian (smaller only for tiny test models)

# %% helpers

# %% [markdown]
# ## Part 0: sampling with the pipeline
#
# First see what the model makes on its own: the pipeline's built-in sampler for three prompts, with 20 and with 50
# inference steps (seed fixed).

# %%
rows = []
for steps in ((5, 10) if QUICK else (20, 50)):
    generator = torch.Generator().manual_seed(SEED)
    embeds = torch.cat([EMBEDS[p] for p in P["samples"]])
    out = stage_1(prompt_embeds=embeds, negative_prompt_embeds=UNCOND.expand_as(embeds), num_inference_steps=steps,
                  generator=generator, output_type="pt")
    rows.append(out.images.float().cpu() * 2 - 1 if out.images.min() >= 0 else out.images.float().cpu())
rows_figure(rows, [f"{s} steps" for s in ((5, 10) if QUICK else (20, 50))], "a0_pipeline_samples.png",
            col_labels=P["samples"], title="Stage 1 samples")
# The pipeline left its own step count in the shared scheduler; `add_variance` below needs the full 1000-step one.
stage_1.scheduler.num_inference_steps = None

# %% [markdown]
# ## 1.1 The forward process
#
# A clean image $x_0$ becomes the noisy $x_t$ at timestep $t$ by
#
# $$x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon, \qquad \epsilon \sim \mathcal{N}(0, I),$$
#
# with $\bar\alpha_t$ = `stage_1.scheduler.alphas_cumprod[t]`: close to 1 for small $t$, close to 0 for $t$ near 999.

# %% implement forward

# %%
torch.manual_seed(SEED)
T_LEVELS = (250, 500, 750)
noisy_images = {t: forward(test_image, t) for t in T_LEVELS}
rows_figure([torch.cat([test_image] + [noisy_images[t] for t in T_LEVELS])], ["forward"], "a1_1_forward.png",
            col_labels=["original"] + [f"t = {t}" for t in T_LEVELS])

# %% [markdown]
# ## 1.2 Classical denoising
#
# Try the classical remedy first: blur the noise away with a Gaussian filter (`torchvision`'s `gaussian_blur`).
# Pick a kernel size and $\sigma$ that look best to you.

# %% implement gaussian_denoise

# %%
blurred = {t: gaussian_denoise(noisy_images[t], 5, 2.0) for t in T_LEVELS}
rows_figure([torch.cat([noisy_images[t] for t in T_LEVELS]), torch.cat([blurred[t] for t in T_LEVELS])],
            ["noisy", "Gaussian blur"], "a1_2_gaussian_denoise.png", col_labels=[f"t = {t}" for t in T_LEVELS])

# %% [markdown]
# ## 1.3 One-step denoising
#
# The UNet estimates the noise $\hat\epsilon$ in $x_t$ (conditioned on the prompt "a high quality photo"); solving the
# forward process for $x_0$ gives the clean estimate
#
# $$\hat x_0 = \frac{x_t - \sqrt{1 - \bar\alpha_t}\, \hat\epsilon}{\sqrt{\bar\alpha_t}}.$$

# %% implement one_step_denoise

# %%
one_step = {t: one_step_denoise(noisy_images[t], t, EMBEDS[P["photo"]]) for t in T_LEVELS}
rows_figure([torch.cat([noisy_images[t] for t in T_LEVELS]), torch.cat([one_step[t] for t in T_LEVELS])],
            ["noisy", "one-step"], "a1_3_one_step_denoise.png", col_labels=[f"t = {t}" for t in T_LEVELS])

# %% [markdown]
# ## 1.4 Iterative denoising
#
# Diffusion models denoise a little at a time. Walking down `strided_timesteps` from $t$ = `timesteps[i]` to
# $t'$ = `timesteps[i+1]` (less noisy), each step computes $\hat x_0$ as above and then
#
# $$x_{t'} = \frac{\sqrt{\bar\alpha_{t'}}\,\beta_t}{1 - \bar\alpha_t}\, \hat x_0
# + \frac{\sqrt{\alpha_t}\,(1 - \bar\alpha_{t'})}{1 - \bar\alpha_t}\, x_t + v_\sigma,
# \qquad \alpha_t = \frac{\bar\alpha_t}{\bar\alpha_{t'}},\quad \beta_t = 1 - \alpha_t,$$
#
# where the random term $v_\sigma$ is added by `add_variance(predicted_variance, t, image)` with the UNet's last three
# output channels. Return the image reached at `timesteps[-1]`.

# %% implement iterative_denoise

# %%


def run_recording(loop, *args, **kwargs):
    """Run a sampling loop and also return the image after every step (recorded through ``add_variance``)."""
    global add_variance
    given_add_variance, steps = add_variance, []

    def recording_add_variance(predicted_variance, t, image):
        image = given_add_variance(predicted_variance, t, image)
        steps.append(image.detach().float().cpu())
        return image

    add_variance = recording_add_variance
    try:
        return loop(*args, **kwargs), steps
    finally:
        add_variance = given_add_variance


I_START = 10
torch.manual_seed(SEED)
noisy = forward(test_image, strided_timesteps[I_START])
clean, steps = run_recording(iterative_denoise, noisy, I_START, EMBEDS[P["photo"]], strided_timesteps)
shown = list(range(4, len(steps), 5))  # every fifth step, as in the write-ups
rows_figure([torch.cat([steps[k] for k in shown] + [clean.cpu()])], ["iterative"], "a1_4_iterative_steps.png",
            col_labels=[f"t = {strided_timesteps[I_START + k + 1]}" for k in shown] + ["final"])
t_start = strided_timesteps[I_START]
rows_figure([torch.cat([test_image, clean, one_step_denoise(noisy, t_start, EMBEDS[P["photo"]]),
                        gaussian_denoise(noisy, 5, 2.0)])], ["compare"], "a1_4_compare.png",
            col_labels=["original", "iterative", "one-step", "Gaussian blur"])

# %% [markdown]
# ## 1.5 Sampling from pure noise
#
# With `i_start = 0` and pure noise as input, `iterative_denoise` generates images from scratch.

# %%
torch.manual_seed(SEED)
samples, steps = run_recording(iterative_denoise, torch.randn(5, 3, SIZE, SIZE, device=device), 0,
                               EMBEDS[P["photo"]], strided_timesteps)
rows_figure([samples], ["samples"], "a1_5_samples.png", title=f'"{P["photo"]}", no guidance')
shown = list(range(0, len(steps), 5))
rows_figure([torch.cat([steps[k][:1] for k in shown] + [samples[:1].cpu()])], ["sample 1"], "a1_5_sampling_steps.png",
            col_labels=[f"t = {strided_timesteps[k + 1]}" for k in shown] + ["final"])

# %% [markdown]
# ## 1.6 Classifier-free guidance
#
# Compute a conditional estimate $\epsilon_c$ (the prompt) and an unconditional one $\epsilon_u$ (the empty prompt
# `""`), and step with
#
# $$\epsilon = \epsilon_u + \gamma\, (\epsilon_c - \epsilon_u), \qquad \gamma = 7.$$
#
# $\gamma = 0$ is unconditional, $\gamma = 1$ conditional; $\gamma > 1$ gives much cleaner images. The variance
# passed to `add_variance` stays the conditional prediction's.

# %% implement iterative_denoise_cfg

# %%
torch.manual_seed(SEED)
samples_cfg, steps = run_recording(iterative_denoise_cfg, torch.randn(5, 3, SIZE, SIZE, device=device), 0,
                                   EMBEDS[P["photo"]], UNCOND, strided_timesteps, scale=7)
rows_figure([samples_cfg], ["CFG γ = 7"], "a1_6_cfg_samples.png", title=f'"{P["photo"]}" with guidance')
rows_figure([torch.cat([steps[k][:1] for k in shown] + [samples_cfg[:1].cpu()])], ["sample 1"],
            "a1_6_cfg_sampling_steps.png", col_labels=[f"t = {strided_timesteps[k + 1]}" for k in shown] + ["final"])

# %% [markdown]
# ## 1.7 Image-to-image translation (SDEdit)
#
# Noise a real image to `timesteps[i_start]` with `forward`, then run the guided loop from there: the model must
# invent the details it no longer sees. Small `i_start` (much noise) gives big edits.

# %% implement sdedit

# %%
I_STARTS = (1, 3, 5, 7, 10, 20)


def sdedit_row(image, prompt, name, title):
    """SDEdit ``image`` at every ``I_STARTS`` with ``prompt`` and save the row (the original last)."""
    torch.manual_seed(SEED)
    edits = [sdedit(image, i, EMBEDS[prompt], UNCOND, strided_timesteps, scale=7) for i in I_STARTS]
    rows_figure([torch.cat(edits + [image])], [title], name,
                col_labels=[f"i_start = {i}" for i in I_STARTS] + ["original"])


sdedit_row(test_image, P["photo"], "a1_7_sdedit_test_image.png", "test image")

# %% [markdown]
# ### 1.7.1 Hand-drawn and web images
#
# SDEdit shines on images that are *not* realistic: it projects a drawing onto the model's image manifold. Try the
# kit's scribble, then your own drawings and images from the web.

# %%
sdedit_row(scribble, P["photo"], "a1_7_1_sdedit_scribble.png", "scribble")

# %% [markdown]
# ### 1.7.2 Inpainting
#
# Given an image $x_\text{orig}$ and a binary mask $m$, generate new content where $m = 1$ and keep the original
# where $m = 0$: start from pure noise and after every step to $t'$ force
#
# $$x_{t'} \leftarrow m\, x_{t'} + (1 - m)\, \text{forward}(x_\text{orig}, t').$$

# %% implement inpaint

# %%
mask = load_mask(TEST_MASK_PATH, SIZE, device)
torch.manual_seed(SEED)
inpainted = inpaint(test_image, mask, EMBEDS[P["photo"]], UNCOND, strided_timesteps, scale=7)
rows_figure([torch.cat([test_image, mask.expand_as(test_image) * 2 - 1, test_image * (1 - mask) + mask, inpainted])],
            ["inpainting"], "a1_7_2_inpaint.png", col_labels=["original", "mask", "to replace", "inpainted"])

# %% [markdown]
# ### 1.7.3 Text-conditional image-to-image translation
#
# The same SDEdit, guided by another prompt: the image morphs towards the text.

# %%
sdedit_row(test_image, P["edit"], "a1_7_3_text_sdedit.png", f'"{P["edit"]}"')

# %% [markdown]
# ## 1.8 Visual anagrams
#
# An image that reads as prompt 1 upright and as prompt 2 upside down. At every step
#
# $$\epsilon_1 = \text{UNet}(x_t, t, p_1), \qquad \epsilon_2 = \text{flip}\big(\text{UNet}(\text{flip}(x_t), t, p_2)\big),
# \qquad \epsilon = (\epsilon_1 + \epsilon_2) / 2,$$
#
# each with classifier-free guidance, where flip turns the image upside down (reverse the rows, dim 2 — not a 180°
# rotation). Pass on the mean of the two conditional variances (the second flipped back).

# %% implement make_flip_illusion

# %%
for k, (p1, p2) in enumerate(P["anagrams"], start=1):
    torch.manual_seed(SEED)
    illusion = make_flip_illusion(torch.randn(1, 3, SIZE, SIZE, device=device), 0, EMBEDS[p1], EMBEDS[p2], UNCOND,
                                  strided_timesteps, scale=7)
    rows_figure([torch.cat([illusion, illusion.flip(2)])], [f"anagram {k}"], f"a1_8_anagram_{k}.png",
                col_labels=[p1, f"upside down: {p2}"])

# %% [markdown]
# ## 1.9 Hybrid images
#
# Factorized diffusion: low frequencies from one prompt, high frequencies from another,
#
# $$\epsilon = f_\text{lowpass}(\epsilon_1) + f_\text{highpass}(\epsilon_2),$$
#
# with a Gaussian blur (kernel 33, $\sigma = 2$) as the low pass and $x - f_\text{lowpass}(x)$ as the high pass.
# From afar you see prompt 1, up close prompt 2.

# %% implement make_hybrids

# %%
for k, (p1, p2) in enumerate(P["hybrids"], start=1):
    torch.manual_seed(SEED)
    hybrid = make_hybrids(torch.randn(1, 3, SIZE, SIZE, device=device), 0, EMBEDS[p1], EMBEDS[p2], UNCOND,
                          strided_timesteps, scale=7, kernel_size=HYBRID_KERNEL, sigma=2)
    small = TF.resize(hybrid, [SIZE // 4, SIZE // 4], antialias=True)
    rows_figure([torch.cat([hybrid, TF.resize(small, [SIZE, SIZE])])], [f"hybrid {k}"], f"a1_9_hybrid_{k}.png",
                col_labels=[f"up close: {p2}", f"from afar: {p1}"])
