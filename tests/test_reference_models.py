"""The shipped reference models (``data/reference_models/``, built on a GPU by ``data/build_reference_models.py``)
load into the reference classes on the CPU and still draw what their training record says.

CPU cost: the D = 64 UNet takes ~1 GFLOP per image and sampling step, so the samples are few: the ten digits
0–9 at γ = 5 (one CFG run, batch 20 × 300 steps) and ten time-conditioned samples (batch 10 × 300 steps). The
one-step denoiser (D = 128, ~4 GFLOP per image) denoises the 100 test digits its record was measured on, once.
"""

from __future__ import annotations

import pytest
import torch

from solutions.reference_models import (
    DENOISER_SIGMA,
    KINDS,
    REFERENCE_DIR,
    available,
    checkpoint_path,
    denoiser_available,
    denoiser_checkpoint_path,
    denoiser_test_mse,
    load_reference_ddpm,
    load_reference_denoiser,
    record,
)

pytestmark = pytest.mark.skipif(not available(), reason=f"no reference checkpoints in {REFERENCE_DIR}")

# Ten time-conditioned samples (seed 0) on the CPU. The classifier's mean top-class confidence is ~0.9 for
# these checkpoints (0.89 on 100 GPU samples, training.json); noise or blobs score ~0.3, and the GPU convergence
# check's limit for a 5-epoch model is 0.75 (solutions.fast_training.CONVERGENCE_THRESHOLDS).
TIME_CONFIDENCE_MIN = 0.75
# The denoiser's test MSE on the CPU may differ from the GPU's record only by float rounding (fp32, tf32 off there).
DENOISER_MSE_RTOL = 0.02
needs_denoiser = pytest.mark.skipif(not denoiser_available(), reason=f"no reference denoiser in {REFERENCE_DIR}")


def test_training_record_describes_the_course_settings():
    info = record()
    assert info["settings"]["num_hiddens"] == 64 and info["settings"]["batch_size"] == 128
    assert info["settings"]["epochs"] == 20 and info["settings"]["num_ts"] == 300 and info["seed"] == 0
    assert info["gpu"] and info["torch"] and info["mnist"]["source"]
    assert info["models"]["class"]["class_accuracy"] >= 0.9
    for kind in KINDS:
        assert info["models"][kind]["final_loss"] < 0.045  # the GPU convergence check's limit after 5 epochs


def test_checkpoints_are_fp16_state_dicts_of_the_reference_classes():
    from safetensors.torch import load_file

    for kind, unet_cls in KINDS.items():
        state = load_file(str(checkpoint_path(kind)))
        assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float16}
        ddpm = load_reference_ddpm(kind)
        assert isinstance(ddpm.unet, unet_cls) and ddpm.num_ts == 300 and ddpm.unet.num_hiddens == 64
        assert next(ddpm.parameters()).dtype == torch.float32 and not ddpm.training


def test_class_conditioned_checkpoint_reproduces_its_recorded_accuracy():
    from assignment.classifier import class_accuracy

    recorded = record()["models"]["class"]["class_accuracy"]
    ddpm = load_reference_ddpm("class")
    c = torch.arange(10)
    images, _ = ddpm.sample(c=c, guidance_scale=5.0, seed=0)
    accuracy = class_accuracy(images, c)
    # ten samples: one wrong digit is allowed (a 0.1 step), never more
    assert accuracy >= max(0.9, recorded - 0.1), f"{accuracy:.2f} of the digits 0–9 recognised (recorded {recorded:.2f})"


def test_time_conditioned_checkpoint_draws_digit_like_images():
    from assignment.classifier import digit_confidence

    images, _ = load_reference_ddpm("time").sample(num_samples=10, seed=0)
    confidence = digit_confidence(images)
    assert confidence >= TIME_CONFIDENCE_MIN, f"mean classifier confidence {confidence:.3f}"


@needs_denoiser
def test_denoiser_record_describes_the_course_settings():
    info = record()["models"]["denoiser"]
    assert info["unet"] == "UnconditionalUNet" and info["seed"] == 0
    assert info["settings"] == {**info["settings"], "num_hiddens": 128, "sigma": DENOISER_SIGMA, "batch_size": 256,
                                "epochs": 5, "lr": 1e-4, "optimizer": "Adam"}
    assert info["device"] and info["torch"] and len(info["epoch_mean_loss"]) == 5
    # a one-step denoiser that learned anything beats the noisy input (MSE σ² = 0.25) by far
    assert info["test_mse"]["mse"] < 0.05 < info["test_mse"]["noisy_input_mse"]


@needs_denoiser
def test_denoiser_checkpoint_reproduces_its_recorded_test_mse():
    from safetensors.torch import load_file

    from assignment.mnist import load_mnist, mnist_tensors
    from solutions.part_b import UnconditionalUNet

    state = load_file(str(denoiser_checkpoint_path()))
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float16}
    unet = load_reference_denoiser()
    assert isinstance(unet, UnconditionalUNet) and unet.num_hiddens == 128 and not unet.training
    assert next(unet.parameters()).dtype == torch.float32

    recorded = record()["models"]["denoiser"]["test_mse"]
    n = int(recorded["images"].split()[1])  # "first N test digits"
    test_x, _ = mnist_tensors(load_mnist(train=False))
    measured = denoiser_test_mse(unet, test_x[:n], recorded["sigma"], seed=recorded["noise_seed"])
    assert measured["noisy_mse"] == pytest.approx(recorded["noisy_input_mse"], rel=1e-4)  # the same noisy digits
    assert measured["mse"] == pytest.approx(recorded["mse"], rel=DENOISER_MSE_RTOL), (
        f"test MSE {measured['mse']:.6f}, recorded {recorded['mse']:.6f}")
