"""Part A reference: sampling loops around DeepFloyd IF stage 1 (or the offline mini model).

Every public function uses the course's *given names* as module globals, exactly as a student's notebook does:
``stage_1`` (an IF-style diffusers pipeline: ``.unet``, ``.scheduler.alphas_cumprod``), ``device``,
``add_variance(predicted_variance, t, image)``, ``strided_timesteps`` and ``prompt_embeds_dict``. Bind them first::

    from assignment import setup_part_a
    from solutions import part_a
    part_a.bind(**setup_part_a("mini"))

Conventions (SPEC §2). Images are ``[B, 3, S, S]`` float tensors in ``[-1, 1]`` on the model's device
(``S = stage_1.unet.config.sample_size``: 64 for IF, 32 for the mini model); prompt embeddings are ``[1, tokens, width]``
(or ``[B, tokens, width]``). ``ᾱ_t = stage_1.scheduler.alphas_cumprod[t]``. The UNet's output channels ``[:3]``
are the noise estimate ε̂, ``[3:]`` the learned variance. Every loop steps from ``t = timesteps[i]`` to
``t' = timesteps[i+1]`` with the DDPM posterior mean

    x_{t'} = sqrt(ᾱ_{t'}) β_t / (1 − ᾱ_t) · x̂_0 + sqrt(α_t) (1 − ᾱ_{t'}) / (1 − ᾱ_t) · x_t,
    α_t = ᾱ_t / ᾱ_{t'},  β_t = 1 − α_t,  x̂_0 = (x_t − sqrt(1 − ᾱ_t) ε̂) / sqrt(ᾱ_t),

then ``add_variance(variance, t, x_{t'})``, and returns the image at ``timesteps[-1]`` (the clean image when it is 0).
Randomness comes from torch's global generator (``torch.manual_seed`` makes a call repeatable).

The private ``_check_*`` helpers only validate arguments; a notebook that embeds a function's source embeds them too
(:data:`NOTEBOOK_HELPERS`).

Deliberate copies. Each loop (``iterative_denoise``, ``iterative_denoise_cfg``, ``inpaint``, ``make_flip_illusion``,
``make_hybrids``) becomes one self-contained notebook cell, so the DDPM step is written out in every loop instead of
being factored into a helper. Only the UNet call and how its output is combined differ; the shared lines are marked.
A marker comment opens a region, and the region is the marker's paragraph: the lines after it up to the next blank
line (or the end of the enclosing block)::

    # DDPM step [NAME]: the source, copied verbatim into every loop below (tests/test_copies.py)
    # DDPM step [NAME]: copy of iterative_denoise's (each loop is one self-contained notebook cell)

The first form appears once, in ``iterative_denoise``; the second in every other loop. ``NAME`` is ``schedule``
(``t, t'``, ``ᾱ_t``, ``ᾱ_{t'}``, ``α_t``, ``β_t``) or ``update`` (``x̂_0``, the posterior mean, ``add_variance``).
There is no end marker: keep a blank line (or the end of the loop) after each region. ``tests/test_copies.py``
checks that every loop (every function that calls ``add_variance``) holds both regions and that each copy equals its
source line for line, after removing the region's common indentation. To change the step, edit the source region
and paste it over the copies.
"""

from __future__ import annotations

import torch
import torchvision.transforms.functional as TF
from tqdm.auto import tqdm

__all__ = [
    "GIVEN_NAMES",
    "NOTEBOOK_HELPERS",
    "bind",
    "forward",
    "gaussian_denoise",
    "one_step_denoise",
    "iterative_denoise",
    "iterative_denoise_cfg",
    "sdedit",
    "inpaint",
    "make_flip_illusion",
    "make_hybrids",
]

GIVEN_NAMES = ("stage_1", "device", "strided_timesteps", "add_variance", "prompt_embeds_dict")
NOTEBOOK_HELPERS = ("_check_bound", "_check_image", "_check_clean_image", "_check_t", "_check_i_start", "_check_embeds")

# The given names: None until bind() (or a notebook's setup cell) sets them.
stage_1 = None
device = None
strided_timesteps = None
add_variance = None
prompt_embeds_dict = None


def bind(**given) -> None:
    """Set the given names used by every function here (any subset of :data:`GIVEN_NAMES`).

    Typically ``bind(**assignment.setup_part_a(model))``; a test may rebind one name, e.g. ``bind(add_variance=f)``.
    Raises ``TypeError`` for a name that is not a given one.
    """
    unknown = set(given) - set(GIVEN_NAMES)
    if unknown:
        raise TypeError(f"bind() got names that are not Part A's given names: {sorted(unknown)}; expected {GIVEN_NAMES}")
    globals().update(given)


# ----------------------------------------------------------------------------------------------------------------
# 1.1 Forward process


def forward(im: torch.Tensor, t: int) -> torch.Tensor:
    """Noise a clean image to timestep ``t``: ``x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε``, ``ε ~ N(0, I)``.

    Args:
        im: clean images ``[B, 3, S, S]`` in ``[-1, 1]``, on the model's device.
        t: timestep in ``0 … 999`` (int or 0-d tensor).
    Returns:
        ``x_t`` ``[B, 3, S, S]``, same dtype and device as ``im`` (not clipped).
    """
    _check_bound()
    _check_clean_image(im, "im")
    t = _check_t(t)
    alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
    noise = torch.randn_like(im)
    return alpha_cumprod.sqrt() * im + (1 - alpha_cumprod).sqrt() * noise


# ----------------------------------------------------------------------------------------------------------------
# 1.2 Classical denoising


def gaussian_denoise(im_noisy: torch.Tensor, kernel_size: int, sigma: float) -> torch.Tensor:
    """Classical denoising: a Gaussian blur (``torchvision`` ``gaussian_blur``, reflect padding).

    Args:
        im_noisy: ``[B, 3, H, W]`` (any range), any device.
        kernel_size: odd, positive, smaller than twice the image side.
        sigma: the Gaussian's standard deviation in pixels (> 0).
    Returns:
        the blurred images, same shape, dtype and device.
    """
    if kernel_size <= 0 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive, got {kernel_size}")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if kernel_size // 2 >= min(im_noisy.shape[-2:]):
        raise ValueError(f"kernel_size {kernel_size} is too large for images of size {tuple(im_noisy.shape[-2:])}")
    return TF.gaussian_blur(im_noisy, [kernel_size, kernel_size], [sigma, sigma])


# ----------------------------------------------------------------------------------------------------------------
# 1.3 One-step denoising


@torch.no_grad()
def one_step_denoise(im_noisy: torch.Tensor, t: int, prompt_embeds: torch.Tensor) -> torch.Tensor:
    """Estimate the clean image from one UNet call: ``x̂_0 = (x_t − sqrt(1 − ᾱ_t) ε̂) / sqrt(ᾱ_t)``.

    Args:
        im_noisy: ``x_t`` ``[B, 3, S, S]`` on the model's device.
        t: the timestep ``x_t`` was noised to.
        prompt_embeds: ``[1 or B, tokens, width]`` (e.g. ``prompt_embeds_dict["a high quality photo"]``).
    Returns:
        ``x̂_0`` ``[B, 3, S, S]``, same dtype as ``im_noisy`` (not clipped).
    """
    _check_bound()
    _check_image(im_noisy, "im_noisy")
    t = _check_t(t)
    embeds = _check_embeds(prompt_embeds, im_noisy, "prompt_embeds")
    alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
    model_output = stage_1.unet(im_noisy.to(stage_1.unet.dtype), t, encoder_hidden_states=embeds, return_dict=False)[0]
    noise_est = model_output[:, :3].to(im_noisy.dtype)
    return (im_noisy - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()


# ----------------------------------------------------------------------------------------------------------------
# 1.4 Iterative denoising


@torch.no_grad()
def iterative_denoise(im_noisy: torch.Tensor, i_start: int, prompt_embeds: torch.Tensor, timesteps: list[int],
                      display: bool = False) -> torch.Tensor:
    """Denoise ``im_noisy`` (at ``timesteps[i_start]``) down to ``timesteps[-1]`` with strided DDPM steps.

    For ``i = i_start … len(timesteps) − 2``: one conditional UNet call at ``t = timesteps[i]`` gives ε̂ and the
    variance; ``x̂_0 = (x_t − sqrt(1 − ᾱ_t) ε̂) / sqrt(ᾱ_t)``;
    ``x_{t'} = sqrt(ᾱ_{t'}) β_t/(1 − ᾱ_t) x̂_0 + sqrt(α_t)(1 − ᾱ_{t'})/(1 − ᾱ_t) x_t`` with ``α_t = ᾱ_t/ᾱ_{t'}``,
    ``β_t = 1 − α_t``; then ``x_{t'} ← add_variance(variance, t, x_{t'})``.

    Args:
        im_noisy: ``[B, 3, S, S]`` on the model's device (pure noise with ``i_start = 0`` samples an image).
        i_start: index into ``timesteps`` of ``im_noisy``'s noise level, ``0 ≤ i_start < len(timesteps) − 1``.
        prompt_embeds: ``[1 or B, tokens, width]``.
        timesteps: decreasing timesteps, e.g. ``strided_timesteps``.
        display: show a tqdm progress bar.
    Returns:
        the image at ``timesteps[-1]`` ``[B, 3, S, S]`` (roughly ``[-1, 1]``, not clipped), ``im_noisy``'s dtype.
    """
    _check_bound()
    _check_image(im_noisy, "im_noisy")
    _check_i_start(i_start, timesteps)
    embeds = _check_embeds(prompt_embeds, im_noisy, "prompt_embeds")
    image = im_noisy
    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise"):
        # DDPM step [schedule]: the source, copied verbatim into every loop below (tests/test_copies.py)
        t, prev_t = timesteps[i], timesteps[i + 1]
        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]
        alpha = alpha_cumprod / alpha_cumprod_prev
        beta = 1 - alpha

        model_output = stage_1.unet(image.to(stage_1.unet.dtype), t, encoder_hidden_states=embeds, return_dict=False)[0]
        noise_est, predicted_variance = model_output[:, :3].to(image.dtype), model_output[:, 3:].to(image.dtype)

        # DDPM step [update]: the source, copied verbatim into every loop below (tests/test_copies.py)
        x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()
        pred_prev_image = (alpha_cumprod_prev.sqrt() * beta / (1 - alpha_cumprod)) * x0_est + (
            alpha.sqrt() * (1 - alpha_cumprod_prev) / (1 - alpha_cumprod)
        ) * image
        image = add_variance(predicted_variance, t, pred_prev_image)
    return image


# ----------------------------------------------------------------------------------------------------------------
# 1.6 Classifier-free guidance


@torch.no_grad()
def iterative_denoise_cfg(im_noisy: torch.Tensor, i_start: int, prompt_embeds: torch.Tensor,
                          uncond_prompt_embeds: torch.Tensor, timesteps: list[int], scale: float = 7,
                          display: bool = False) -> torch.Tensor:
    """:func:`iterative_denoise` with classifier-free guidance: ``ε̂ = ε_u + γ (ε_c − ε_u)``, ``γ = scale``.

    Each step makes ONE batched UNet call on ``[x_t, x_t]`` with ``[prompt_embeds, uncond_prompt_embeds]``.
    The variance passed to ``add_variance`` is the conditional prediction's (guidance is not applied to it).

    Args:
        im_noisy: ``[B, 3, S, S]`` at ``timesteps[i_start]`` on the model's device.
        i_start: ``0 ≤ i_start < len(timesteps) − 1``.
        prompt_embeds, uncond_prompt_embeds: ``[1 or B, tokens, width]`` (``prompt_embeds_dict[""]`` unconditional).
        timesteps: decreasing timesteps, e.g. ``strided_timesteps``.
        scale: the guidance strength γ (1 = conditional, 0 = unconditional).
        display: show a tqdm progress bar.
    Returns:
        the image at ``timesteps[-1]`` ``[B, 3, S, S]``, ``im_noisy``'s dtype (not clipped).
    """
    _check_bound()
    _check_image(im_noisy, "im_noisy")
    _check_i_start(i_start, timesteps)
    cond = _check_embeds(prompt_embeds, im_noisy, "prompt_embeds")
    uncond = _check_embeds(uncond_prompt_embeds, im_noisy, "uncond_prompt_embeds")
    embeds = torch.cat([cond, uncond])
    image = im_noisy
    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise_cfg"):
        # DDPM step [schedule]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        t, prev_t = timesteps[i], timesteps[i + 1]
        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]
        alpha = alpha_cumprod / alpha_cumprod_prev
        beta = 1 - alpha

        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)
        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)
        cond_output, uncond_output = model_output.chunk(2)
        noise_est_cond, predicted_variance = cond_output[:, :3], cond_output[:, 3:]
        noise_est_uncond = uncond_output[:, :3]
        noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)

        # DDPM step [update]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()
        pred_prev_image = (alpha_cumprod_prev.sqrt() * beta / (1 - alpha_cumprod)) * x0_est + (
            alpha.sqrt() * (1 - alpha_cumprod_prev) / (1 - alpha_cumprod)
        ) * image
        image = add_variance(predicted_variance, t, pred_prev_image)
    return image


# ----------------------------------------------------------------------------------------------------------------
# 1.7 Image-to-image translation (SDEdit) and inpainting


@torch.no_grad()
def sdedit(im: torch.Tensor, i_start: int, prompt_embeds: torch.Tensor, uncond_prompt_embeds: torch.Tensor,
           timesteps: list[int], scale: float = 7, display: bool = False) -> torch.Tensor:
    """SDEdit: noise a clean image to ``timesteps[i_start]`` with :func:`forward`, then :func:`iterative_denoise_cfg`.

    Small ``i_start`` = much noise = big edits; large ``i_start`` stays close to ``im``.

    Args:
        im: clean images ``[B, 3, S, S]`` in ``[-1, 1]`` on the model's device.
        i_start: ``0 ≤ i_start < len(timesteps) − 1``.
        prompt_embeds, uncond_prompt_embeds: ``[1 or B, tokens, width]``.
        timesteps, scale, display: as in :func:`iterative_denoise_cfg`.
    Returns:
        the edited images ``[B, 3, S, S]``.
    """
    _check_bound()
    _check_clean_image(im, "im")
    _check_i_start(i_start, timesteps)
    im_noisy = forward(im, timesteps[i_start])
    return iterative_denoise_cfg(im_noisy, i_start, prompt_embeds, uncond_prompt_embeds, timesteps, scale=scale,
                                 display=display)


@torch.no_grad()
def inpaint(original_image: torch.Tensor, mask: torch.Tensor, prompt_embeds: torch.Tensor,
            uncond_prompt_embeds: torch.Tensor, timesteps: list[int], scale: float = 7,
            display: bool = False) -> torch.Tensor:
    """RePaint-style inpainting: generate where ``mask = 1``, keep ``original_image`` where ``mask = 0``.

    Starts from pure noise ``randn_like(original_image)`` at ``timesteps[0]`` and runs the CFG loop; after each step
    to ``t' = timesteps[i+1]``: ``x ← m · x + (1 − m) · forward(original_image, t')``.

    Args:
        original_image: clean images ``[B, 3, S, S]`` in ``[-1, 1]`` on the model's device.
        mask: binary, ``[S, S]``, ``[1|3, S, S]`` or ``[1|B, 1|3, S, S]`` (1 = new content).
        prompt_embeds, uncond_prompt_embeds, timesteps, scale, display: as in :func:`iterative_denoise_cfg`.
    Returns:
        the inpainted images ``[B, 3, S, S]``.
    """
    from assignment.masks import check_mask

    _check_bound()
    _check_clean_image(original_image, "original_image")
    _check_i_start(0, timesteps)
    m = check_mask(mask, original_image)
    cond = _check_embeds(prompt_embeds, original_image, "prompt_embeds")
    uncond = _check_embeds(uncond_prompt_embeds, original_image, "uncond_prompt_embeds")
    embeds = torch.cat([cond, uncond])
    image = torch.randn_like(original_image)
    for i in tqdm(range(len(timesteps) - 1), disable=not display, desc="inpaint"):
        # DDPM step [schedule]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        t, prev_t = timesteps[i], timesteps[i + 1]
        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]
        alpha = alpha_cumprod / alpha_cumprod_prev
        beta = 1 - alpha

        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)
        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)
        cond_output, uncond_output = model_output.chunk(2)
        noise_est_cond, predicted_variance = cond_output[:, :3], cond_output[:, 3:]
        noise_est_uncond = uncond_output[:, :3]
        noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)

        # DDPM step [update]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()
        pred_prev_image = (alpha_cumprod_prev.sqrt() * beta / (1 - alpha_cumprod)) * x0_est + (
            alpha.sqrt() * (1 - alpha_cumprod_prev) / (1 - alpha_cumprod)
        ) * image
        image = add_variance(predicted_variance, t, pred_prev_image)

        image = m * image + (1 - m) * forward(original_image, prev_t)
    return image


# ----------------------------------------------------------------------------------------------------------------
# 1.8 Visual anagrams


@torch.no_grad()
def make_flip_illusion(image: torch.Tensor, i_start: int, prompt_embeds_1: torch.Tensor, prompt_embeds_2: torch.Tensor,
                       uncond_prompt_embeds: torch.Tensor, timesteps: list[int], scale: float = 7,
                       display: bool = False) -> torch.Tensor:
    """Visual anagram: an image that reads as prompt 1 upright and as prompt 2 upside down.

    ``flip`` reverses the rows (dim 2; upside down, not a 180° rotation). Each step, with CFG for both:
    ``ε_1 = ε̂(x_t, p_1)``, ``ε_2 = flip(ε̂(flip(x_t), p_2))``, ``ε = (ε_1 + ε_2) / 2``; the variance passed on is
    ``(v_1 + flip(v_2)) / 2`` from the two conditional predictions. One batched UNet call per step.

    Args:
        image: the start ``[B, 3, S, S]`` at ``timesteps[i_start]`` (pure noise with ``i_start = 0``).
        i_start: ``0 ≤ i_start < len(timesteps) − 1``.
        prompt_embeds_1, prompt_embeds_2, uncond_prompt_embeds: ``[1 or B, tokens, width]``.
        timesteps, scale, display: as in :func:`iterative_denoise_cfg`.
    Returns:
        the illusion ``[B, 3, S, S]`` (read upright as prompt 1; ``flip`` it for prompt 2).
    """
    _check_bound()
    _check_image(image, "image")
    _check_i_start(i_start, timesteps)
    p1 = _check_embeds(prompt_embeds_1, image, "prompt_embeds_1")
    p2 = _check_embeds(prompt_embeds_2, image, "prompt_embeds_2")
    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")
    embeds = torch.cat([p1, p2, uncond, uncond])
    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="make_flip_illusion"):
        # DDPM step [schedule]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        t, prev_t = timesteps[i], timesteps[i + 1]
        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]
        alpha = alpha_cumprod / alpha_cumprod_prev
        beta = 1 - alpha

        flipped = image.flip(2)
        model_in = torch.cat([image, flipped, image, flipped]).to(stage_1.unet.dtype)
        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)
        out_1, out_2, out_u1, out_u2 = model_output.chunk(4)
        noise_1 = out_u1[:, :3] + scale * (out_1[:, :3] - out_u1[:, :3])
        noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(2)
        noise_est = (noise_1 + noise_2) / 2
        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2

        # DDPM step [update]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()
        pred_prev_image = (alpha_cumprod_prev.sqrt() * beta / (1 - alpha_cumprod)) * x0_est + (
            alpha.sqrt() * (1 - alpha_cumprod_prev) / (1 - alpha_cumprod)
        ) * image
        image = add_variance(predicted_variance, t, pred_prev_image)
    return image


# ----------------------------------------------------------------------------------------------------------------
# 1.9 Hybrid images (factorized diffusion)


@torch.no_grad()
def make_hybrids(image: torch.Tensor, i_start: int, prompt_embeds_1: torch.Tensor, prompt_embeds_2: torch.Tensor,
                 uncond_prompt_embeds: torch.Tensor, timesteps: list[int], scale: float = 7, kernel_size: int = 33,
                 sigma: float = 2, display: bool = False) -> torch.Tensor:
    """Hybrid image: prompt 1 seen from afar (low frequencies), prompt 2 up close (high frequencies).

    Each step, with CFG for both prompts: ``ε = lowpass(ε_1) + highpass(ε_2)``, where
    ``lowpass = gaussian_blur(·, kernel_size, sigma)`` and ``highpass(x) = x − lowpass(x)``; the variance passed on
    is the mean of the two conditional predictions. One batched UNet call per step.

    Args:
        image: the start ``[B, 3, S, S]`` at ``timesteps[i_start]`` (pure noise with ``i_start = 0``).
        i_start: ``0 ≤ i_start < len(timesteps) − 1``.
        prompt_embeds_1: low-frequency prompt; prompt_embeds_2: high-frequency prompt; uncond_prompt_embeds.
        timesteps, scale, display: as in :func:`iterative_denoise_cfg`.
        kernel_size, sigma: the Gaussian low-pass filter (33 and 2 as in the course).
    Returns:
        the hybrid ``[B, 3, S, S]``.
    """
    _check_bound()
    _check_image(image, "image")
    _check_i_start(i_start, timesteps)
    if kernel_size // 2 >= image.shape[-1]:
        raise ValueError(f"kernel_size {kernel_size} is too large for {image.shape[-1]}×{image.shape[-1]} images")
    p1 = _check_embeds(prompt_embeds_1, image, "prompt_embeds_1")
    p2 = _check_embeds(prompt_embeds_2, image, "prompt_embeds_2")
    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")
    embeds = torch.cat([p1, p2, uncond])
    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="make_hybrids"):
        # DDPM step [schedule]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        t, prev_t = timesteps[i], timesteps[i + 1]
        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]
        alpha = alpha_cumprod / alpha_cumprod_prev
        beta = 1 - alpha

        model_in = torch.cat([image, image, image]).to(stage_1.unet.dtype)
        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)
        out_1, out_2, out_u = model_output.chunk(3)
        noise_1 = out_u[:, :3] + scale * (out_1[:, :3] - out_u[:, :3])
        noise_2 = out_u[:, :3] + scale * (out_2[:, :3] - out_u[:, :3])
        low_1 = TF.gaussian_blur(noise_1, [kernel_size, kernel_size], [sigma, sigma])
        high_2 = noise_2 - TF.gaussian_blur(noise_2, [kernel_size, kernel_size], [sigma, sigma])
        noise_est = low_1 + high_2
        predicted_variance = (out_1[:, 3:] + out_2[:, 3:]) / 2

        # DDPM step [update]: copy of iterative_denoise's (each loop is one self-contained notebook cell)
        x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()
        pred_prev_image = (alpha_cumprod_prev.sqrt() * beta / (1 - alpha_cumprod)) * x0_est + (
            alpha.sqrt() * (1 - alpha_cumprod_prev) / (1 - alpha_cumprod)
        ) * image
        image = add_variance(predicted_variance, t, pred_prev_image)
    return image


# ----------------------------------------------------------------------------------------------------------------
# Argument checks (clear errors for bad input)


def _check_bound() -> None:
    missing = [name for name in ("stage_1", "add_variance") if globals()[name] is None]
    if missing:
        raise RuntimeError(f"Part A's given names {missing} are not bound. Run the setup cell, or "
                           "`solutions.part_a.bind(**assignment.setup_part_a('mini'))` first.")


def _check_image(image: torch.Tensor, name: str) -> None:
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor [B, 3, H, W], got {type(image).__name__}")
    size = stage_1.unet.config.sample_size
    size = size if isinstance(size, int) else size[0]
    if image.dim() != 4 or image.shape[1] != 3 or tuple(image.shape[-2:]) != (size, size):
        raise ValueError(f"{name} must have shape [B, 3, {size}, {size}] (this model's size); got {tuple(image.shape)}. "
                         f"Resize with assignment.images.load_image(path, size={size}), and add a batch dimension.")
    if not image.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got {image.dtype}")


def _check_clean_image(image: torch.Tensor, name: str) -> None:
    _check_image(image, name)
    lo, hi = image.min().item(), image.max().item()
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f"{name} must be a clean image in [-1, 1]; its values span [{lo:.3g}, {hi:.3g}]. "
                         "Convert [0, 1] images with 2 * x - 1 (assignment.images.to_model_range).")


def _check_t(t) -> int:
    t = int(t)
    n = len(stage_1.scheduler.alphas_cumprod)
    if not 0 <= t < n:
        raise ValueError(f"t must be a timestep in 0..{n - 1}, got {t}")
    return t


def _check_i_start(i_start: int, timesteps) -> None:
    if len(timesteps) < 2:
        raise ValueError(f"timesteps needs at least two entries, got {list(timesteps)}")
    if not 0 <= int(i_start) < len(timesteps) - 1:
        raise ValueError(f"i_start must be in 0..{len(timesteps) - 2} (an index into timesteps with a step after it), "
                         f"got {i_start}")
    if any(int(a) <= int(b) for a, b in zip(timesteps, timesteps[1:])):
        raise ValueError("timesteps must be strictly decreasing (noisiest first), e.g. strided_timesteps")
    _check_t(timesteps[0])


def _check_embeds(embeds: torch.Tensor, image: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(embeds, torch.Tensor) or embeds.dim() != 3:
        shape = tuple(embeds.shape) if isinstance(embeds, torch.Tensor) else type(embeds).__name__
        raise ValueError(f"{name} must be a tensor [1 or B, tokens, width] (a prompt_embeds_dict value), got {shape}")
    width = stage_1.unet.config.encoder_hid_dim or stage_1.unet.config.cross_attention_dim
    if embeds.shape[-1] != width:
        raise ValueError(f"{name} has width {embeds.shape[-1]} but this model expects {width}: "
                         "use the prompt_embeds_dict that belongs to the loaded model")
    batch = image.shape[0]
    if embeds.shape[0] not in (1, batch):
        raise ValueError(f"{name} batch {embeds.shape[0]} must be 1 or the image batch {batch}")
    return embeds.expand(batch, -1, -1).to(device=image.device, dtype=stage_1.unet.dtype)
