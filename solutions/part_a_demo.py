"""Part A's main job: every experiment of the course's Part A, run with the reference loops, written as figures.

``run_part_a_demo(out_dir)`` runs offline on the mini model (a CPU is enough) or, with ``model="deepfloyd"``, on
DeepFloyd IF stage 1 with the course's prompts. Each experiment re-seeds torch with the course's 42.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import torch
import torchvision.transforms.functional as TF

__all__ = ["MINI_PROMPTS", "DEEPFLOYD_PROMPTS", "SDEDIT_I_STARTS", "NOISE_LEVELS", "EXPERIMENTS", "run_part_a_demo"]

SDEDIT_I_STARTS = (1, 3, 5, 7, 10, 20)
NOISE_LEVELS = (250, 500, 750)
#: Prompts per experiment for the mini model's world (coloured digits) and for DeepFloyd (the course's own).
MINI_PROMPTS = {
    "generic": "a high quality photo",
    "samples": "a photo of the digit 2",  # the mini model's "a high quality photo" samples are mostly blobs
    "image_to_image": "a photo of the digit 3",
    "inpaint": "a photo of the digit 9",
    "anagram": ("a photo of the digit 6", "a photo of the digit 9"),
    "hybrid": ("a photo of the digit 0", "a photo of the digit 1"),
}
DEEPFLOYD_PROMPTS = {
    "generic": "a high quality photo",
    "samples": "a high quality photo",
    "image_to_image": "a rocket ship",
    "inpaint": "a high quality photo",
    "anagram": ("an oil painting of an old man", "an oil painting of people around a campfire"),
    "hybrid": ("a lithograph of a skull", "a lithograph of waterfalls"),
}


#: the experiments in the order they run (``on_experiment`` is called once after each)
EXPERIMENTS = ("1.1–1.3 forward process and one-step denoising", "1.4 iterative denoising", "1.5–1.6 sampling and CFG",
               "1.6 CFG per digit", "1.7 SDEdit", "1.7.1 SDEdit of a hand-drawn image", "1.7.3 text-conditional SDEdit",
               "1.7.2 inpainting", "1.8 visual anagram", "1.9 hybrid image")


def run_part_a_demo(out_dir: Path, model: str = "mini", device=None,
                    on_experiment: Callable[[], object] | None = None) -> dict:
    """Run Part A's experiments and write their figures under ``out_dir`` (PNG files).

    Args:
        out_dir: folder for the figures (created).
        model: ``"mini"`` (offline, CPU in about a minute), ``"deepfloyd"`` (GPU with IF weights) or ``"tiny"``.
        device: default CUDA when available, else CPU.
        on_experiment: called after each of :data:`EXPERIMENTS` (a progress bar's ``update``).
    Returns:
        ``{"model", "device", "seconds", "figures": {name: path}, "captions": {name: text},
        "experiment_seconds": {experiment: wall seconds}}``.
    """
    from assignment import images, masks
    from assignment.figures import save_labelled_rows
    from assignment.part_a_setup import SEED, setup_part_a
    from solutions import part_a as A

    start = time.time()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    given = setup_part_a(model, device)
    A.bind(**given)
    dev, ts, embeds = given["device"], given["strided_timesteps"], given["prompt_embeds_dict"]
    dtype = given["stage_1"].unet.dtype
    size = images.model_size(given["stage_1"])
    prompts = DEEPFLOYD_PROMPTS if model == "deepfloyd" else MINI_PROMPTS
    uncond, generic = embeds[""], embeds[prompts["generic"]]
    test_im = images.load_image(images.TEST_IMAGE_PATH, size, dev, dtype)
    scribble = images.load_image(images.SCRIBBLE_PATH, size, dev, dtype)
    mask = masks.load_mask(images.TEST_MASK_PATH, size, dev).to(dtype)
    figures: dict[str, Path] = {}
    captions: dict[str, str] = {}
    seconds: dict[str, float] = {}
    clock = [time.perf_counter()]

    def save(name: str, rows, labels, cols=None, title=None, caption=None):
        figures[name] = save_labelled_rows([r.float().cpu() for r in rows], labels, out_dir / f"part_a_{name}.png",
                                           col_labels=cols, value_range=(-1, 1), title=title)
        captions[name] = caption or title or name

    def done(experiment: str) -> None:
        now = time.perf_counter()
        seconds[experiment] = round(now - clock[0], 1)
        clock[0] = now
        if on_experiment is not None:
            on_experiment()

    def randn(n: int) -> torch.Tensor:
        return torch.randn(n, 3, size, size, device=dev, dtype=dtype)

    with _cpu_threads(dev):
        # 1.1 forward, 1.2 blur, 1.3 one-step
        torch.manual_seed(SEED)
        noisy = torch.cat([A.forward(test_im, t) for t in NOISE_LEVELS])
        blurred = A.gaussian_denoise(noisy, 5, 2)
        one_step = torch.cat([A.one_step_denoise(noisy[i : i + 1], t, generic) for i, t in enumerate(NOISE_LEVELS)])
        cols = [f"t={t}" for t in NOISE_LEVELS]
        save("1_1_forward", [noisy], ["noisy"], cols, "forward process",
             "1.1: the test image noised to t = " + ", ".join(map(str, NOISE_LEVELS)))
        save("1_3_denoising", [noisy, blurred, one_step], ["noisy", "Gaussian blur", "one-step"], cols,
             "classical vs one-step denoising", "1.2–1.3: Gaussian blur (kernel 5, σ 2) vs one-step denoising per t")
        done(EXPERIMENTS[0])

        # 1.4 iterative denoising from strided_timesteps[10]
        torch.manual_seed(SEED)
        i_start = 10
        x = A.forward(test_im, ts[i_start])
        iterative = A.iterative_denoise(x, i_start, generic, ts)
        save("1_4_iterative", [torch.cat([test_im, x, iterative, A.one_step_denoise(x, ts[i_start], generic),
                                          A.gaussian_denoise(x, 5, 2)])], ["t=" + str(ts[i_start])],
             ["original", "noisy", "iterative", "one-step", "blur"], "iterative denoising",
             f"1.4: iterative denoising from t = {ts[i_start]} (strided_timesteps[{i_start}]) vs one-step and blur")
        done(EXPERIMENTS[1])

        # 1.5 sampling, 1.6 CFG
        sample_prompt = embeds[prompts["samples"]]
        torch.manual_seed(SEED)
        plain = A.iterative_denoise(randn(5), 0, sample_prompt, ts)
        torch.manual_seed(SEED)
        guided = A.iterative_denoise_cfg(randn(5), 0, sample_prompt, uncond, ts, scale=7)
        save("1_5_1_6_samples", [plain, guided], ["no CFG", "CFG γ=7"], [f"sample {i + 1}" for i in range(5)],
             f'"{prompts["samples"]}"', f'1.5–1.6: five samples of "{prompts["samples"]}" without and with CFG (γ = 7)')
        done(EXPERIMENTS[2])
        if model != "deepfloyd":
            torch.manual_seed(SEED)
            rows = [A.iterative_denoise_cfg(randn(10), 0, torch.cat([embeds[f"a photo of the digit {k}"] for k in range(10)]),
                                            uncond, ts, scale=7)]
            save("1_6_cfg_per_digit", rows, ["CFG γ=7"], [f"digit {k}" for k in range(10)], '"a photo of the digit k"',
                 '1.6: CFG (γ = 7) samples of "a photo of the digit k", one column per digit k = 0–9')
        done(EXPERIMENTS[3])

        # 1.7 SDEdit, 1.7.1 a hand-drawn image, 1.7.3 text-conditional image-to-image
        cols = [f"i_start={i}" for i in SDEDIT_I_STARTS] + ["original"]
        for experiment, name, image, prompt in (
                (EXPERIMENTS[4], "1_7_sdedit", test_im, prompts["generic"]),
                (EXPERIMENTS[5], "1_7_1_hand_drawn", scribble, prompts["generic"]),
                (EXPERIMENTS[6], "1_7_3_text_conditional", test_im, prompts["image_to_image"])):
            torch.manual_seed(SEED)
            edits = [A.sdedit(image, i, embeds[prompt], uncond, ts) for i in SDEDIT_I_STARTS]
            save(name, [torch.cat(edits + [image])], [f'"{prompt}"'], cols, name.split("_", 2)[-1].replace("_", " "),
                 f'{experiment}: "{prompt}", from i_start = {SDEDIT_I_STARTS[0]} (much noise, big edits) to '
                 f"{SDEDIT_I_STARTS[-1]} (close to the original)")
            done(experiment)

        # 1.7.2 inpainting
        torch.manual_seed(SEED)
        filled = A.inpaint(test_im, mask, embeds[prompts["inpaint"]], uncond, ts)
        hole = test_im * (1 - mask) + mask * 1.0
        save("1_7_2_inpainting", [torch.cat([test_im, mask.expand_as(test_im) * 2 - 1, hole, filled])],
             [f'"{prompts["inpaint"]}"'], ["original", "mask", "hole to fill", "inpainted"], "inpainting",
             f'1.7.2: inpainting the masked region with "{prompts["inpaint"]}"')
        done(EXPERIMENTS[7])

        # 1.8 visual anagram, 1.9 hybrid. DeepFloyd starts from pure noise as in the course. The mini model is too
        # small to settle two conflicting prompts from pure noise (it draws blobs), so its illusions start from a
        # real test digit noised to strided_timesteps[i_start] — the function's own i_start argument.
        p1, p2 = prompts["anagram"]
        low, high = prompts["hybrid"]
        if model == "deepfloyd":
            anagram_start, anagram_i, hybrid_start, hybrid_i, scale = randn(3), 0, randn(3), 0, 7
        else:
            torch.manual_seed(SEED)
            anagram_i, hybrid_i, scale = 8, 5, 5
            anagram_start = A.forward(_test_digits(p1, size, dev, dtype), ts[anagram_i])
            hybrid_start = A.forward(_test_digits(low, size, dev, dtype), ts[hybrid_i])
        torch.manual_seed(SEED)
        anagram = A.make_flip_illusion(anagram_start, anagram_i, embeds[p1], embeds[p2], uncond, ts, scale=scale)
        save("1_8_anagram", [anagram, anagram.flip(2)], [f'"{p1}"', f'upside down: "{p2}"'], None,
             f"visual anagrams (i_start={anagram_i}, γ={scale})",
             f'1.8: visual anagrams, "{p1}" upright and "{p2}" upside down (i_start = {anagram_i}, γ = {scale})')
        done(EXPERIMENTS[8])
        kernel = min(33, 2 * (size // 2) - 1)
        torch.manual_seed(SEED)
        hybrid = A.make_hybrids(hybrid_start, hybrid_i, embeds[low], embeds[high], uncond, ts, scale=scale,
                                kernel_size=kernel)
        afar = TF.gaussian_blur(hybrid.float(), [kernel, kernel], [2.0, 2.0])
        save("1_9_hybrid", [hybrid, afar], [f'up close: "{high}"', f'blurred (afar): "{low}"'], None,
             f"hybrid images (i_start={hybrid_i}, γ={scale})",
             f'1.9: hybrid images, "{high}" up close and "{low}" from afar (blurred; i_start = {hybrid_i}, γ = {scale})')
        done(EXPERIMENTS[9])

    return {"model": model, "device": str(dev), "seconds": round(time.time() - start, 1), "figures": figures,
            "captions": captions, "experiment_seconds": seconds}


def _test_digits(prompt: str, size: int, device, dtype, n: int = 3) -> torch.Tensor:
    """``n`` coloured MNIST test-split digits of the prompt's class ``[n, 3, size, size]`` in ``[-1, 1]``."""
    from torch.nn.functional import interpolate

    from assignment.mnist import load_mnist, mnist_tensors

    digit = int(prompt.rsplit(" ", 1)[-1])
    grey, labels = mnist_tensors(load_mnist(train=False))
    grey = torch.nn.functional.pad(grey[labels == digit][:n], (2, 2, 2, 2))
    colours = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.9, 0.2], [0.2, 1.0, 1.0], [1.0, 0.3, 1.0]])[:n]
    images = grey * colours[:, :, None, None] * 2 - 1
    return interpolate(images, size=(size, size), mode="bilinear", antialias=True).to(device=device, dtype=dtype)


@contextmanager
def _cpu_threads(device: torch.device):
    """Small UNets on a CPU run fastest (and without thread contention) on one thread."""
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
