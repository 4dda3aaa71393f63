"""The main job's figure helpers (``solutions.demo_figures``), on tiny random models: seconds on a CPU.

The batched samplers that draw the headline figures must be the reference's sampler (``DDPM.sample``): every row
of the digit × γ grid is what ``ddpm.sample(c, guidance_scale=γ, seed)`` returns, and the BatchNorm-folded copy
computes the same function as the model.
"""

from __future__ import annotations

import json

import pytest
import torch

from solutions.demo_figures import (
    fast_eval_copy,
    frame_labels,
    sample_ddpm,
    sample_guidance_rows,
    save_titled_gif,
    write_index,
)
from solutions.part_b import DDPM, ClassConditionalUNet, TimeConditionalUNet


def _trained_looking(ddpm: DDPM) -> DDPM:
    """Give the BatchNorms non-trivial running statistics and affine weights (as after training), eval mode."""
    g = torch.Generator().manual_seed(1)
    for m in ddpm.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return ddpm.eval()


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny UNets: one thread is fastest and immune to other processes' load."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def class_ddpm() -> DDPM:
    torch.manual_seed(0)
    return _trained_looking(DDPM(ClassConditionalUNet(1, 10, 4), num_ts=8))


def test_fast_eval_copy_is_the_same_function(class_ddpm):
    x, c, t = torch.randn(6, 1, 28, 28), torch.arange(6), torch.rand(6)
    fast = fast_eval_copy(class_ddpm.unet)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in class_ddpm.unet.modules())  # the original is untouched
    with torch.no_grad():
        torch.testing.assert_close(fast(x, c, t), class_ddpm.unet(x, c, t), atol=1e-5, rtol=1e-4)


def test_guidance_rows_are_ddpm_sample_at_each_scale(class_ddpm):
    classes = torch.arange(10)
    rows, frames = sample_guidance_rows(class_ddpm, classes, (0.0, 5.0, 10.0), seed=3)
    for gamma, images in rows.items():
        expected, expected_frames = class_ddpm.sample(c=classes, guidance_scale=gamma, seed=3)
        torch.testing.assert_close(images, expected, atol=1e-4, rtol=1e-4)
        assert len(frames[gamma]) == len(expected_frames)
        torch.testing.assert_close(frames[gamma][-1], expected_frames[-1], atol=1e-4, rtol=1e-4)


def test_time_samples_are_ddpm_sample():
    torch.manual_seed(0)
    ddpm = _trained_looking(DDPM(TimeConditionalUNet(1, 10, 4), num_ts=8))
    steps = []
    images, frames = sample_ddpm(ddpm, 5, seed=2, on_step=lambda: steps.append(1))
    expected, expected_frames = ddpm.sample(num_samples=5, seed=2)
    torch.testing.assert_close(images, expected, atol=1e-4, rtol=1e-4)
    assert len(frames) == len(expected_frames) and len(steps) == 8


def test_frame_labels_name_the_time_step():
    labels = frame_labels(31, num_ts=300, frame_every=10)
    assert labels[:3] == ["t=300", "t=290", "t=280"] and labels[-1] == "t=0" and len(labels) == 31


def test_index_page_shows_every_figure_with_caption_and_numbers(tmp_path):
    (tmp_path / "part_b").mkdir()
    save_titled_gif([torch.rand(2, 1, 28, 28)] * 3, tmp_path / "part_b" / "b2_x.gif", "title")
    (tmp_path / "part_b" / "b1_y.png").write_bytes(b"\x89PNG")
    summary = {"wall_seconds": 12.5, "part_b": {"denoiser": {"final_loss": 0.0123456}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    page = write_index(tmp_path, summary, {"part_b/b1_y.png": "a caption & more"}).read_text()
    assert 'src="part_b/b1_y.png"' in page and 'src="part_b/b2_x.gif"' in page
    assert "a caption &amp; more" in page and "part_b.denoiser.final_loss" in page and "0.01235" in page


def test_flow_stage_draws_every_flow_figure_and_scores_it(tmp_path):
    from solutions.demo import Stages
    from solutions.demo_flow import flow_captions, run_flow_models

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(64, 1, 28, 28, generator=g), torch.arange(64) % 10
    stages = Stages(progress=False)
    summary = run_flow_models(tmp_path, x, y, hiddens=4, epochs=1, device=torch.device("cpu"), seed=0,
                              progress=False, stages=stages, label="test run")
    written = {p.name for p in tmp_path.iterdir()}
    assert {"b2_fm_time_loss.png", "b2_fm_class_loss.png", "b2_fm_time_samples_epoch01.png",
            "b2_fm_class_samples_epoch01.png", "b2_fm_time_sampling.gif", "b2_fm_class_sampling.gif",
            "b2_fm_class_guidance_scales.png"} <= written, written
    assert 0.0 <= summary["class_flow"]["class_accuracy"] <= 1.0
    assert set(summary["class_flow"]["guidance_grid_class_accuracy"]) == {"0", "5", "10"}
    assert 0.0 < summary["time_flow"]["classifier_confidence"] <= 1.0
    captions = flow_captions(summary["time_flow"], summary["class_flow"])
    assert all(f"part_b/{name}" in captions for name in written if name.startswith("b2_fm_")), sorted(written)
