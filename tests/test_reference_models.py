"""The shipped reference DDPMs (``data/reference_models/``, built on a GPU by ``data/build_reference_models.py``)
load into the reference classes on the CPU and still draw what their training record says.

CPU cost: the D = 64 UNet takes ~1 GFLOP per image and sampling step, so the samples are few: the ten digits
0–9 at γ = 5 (one CFG run, batch 20 × 300 steps) and ten time-conditioned samples (batch 10 × 300 steps).
"""

from __future__ import annotations

import pytest
import torch

from solutions.reference_models import KINDS, REFERENCE_DIR, available, checkpoint_path, load_reference_ddpm, record

pytestmark = pytest.mark.skipif(not available(), reason=f"no reference checkpoints in {REFERENCE_DIR}")

# Ten time-conditioned samples (seed 0) on the CPU. The classifier's mean top-class confidence is ~0.9 for
# these checkpoints (0.89 on 100 GPU samples, training.json); noise or blobs score ~0.3, and the GPU convergence
# check's limit for a 5-epoch model is 0.75 (solutions.fast_training.CONVERGENCE_THRESHOLDS).
TIME_CONFIDENCE_MIN = 0.75


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
