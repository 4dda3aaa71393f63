"""The given graph-training engine on a GPU (skipped without CUDA): a step that cannot be captured trains eagerly,
in the same process, with the CUDA generator still usable — the grader depends on it for students' code."""

import pytest
import torch
from torch import nn

from graph_training import train_with_cuda_graph

pytestmark = pytest.mark.gpu


def _problem():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8)).cuda()
    data = {"x": torch.randn(4096, 8)}

    def loss(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        noisy = batch["x"] + 0.1 * torch.randn_like(batch["x"])
        return ((model(noisy).float() - batch["x"]) ** 2).mean()

    return model, data, loss


def _learned(result) -> bool:
    """Denoising x + 0.1·noise: the untrained net's loss is ~1; the identity's is 0.01."""
    return sum(result.losses[-20:]) / 20 < 0.1 < result.losses[0]


def test_a_capturable_step_runs_as_a_graph_and_learns():
    model, data, loss = _problem()
    result = train_with_cuda_graph(model, loss, data, epochs=10, lr=1e-2, bf16=False)
    assert result.mode == "graph", result.fallback_reason
    assert _learned(result), result.losses[::20]


def test_a_step_that_reads_a_gpu_value_on_the_host_is_found_before_capture_and_trained_eagerly():
    model, data, loss = _problem()

    def syncing_loss(batch):
        value = loss(batch)
        assert float(value) >= 0  # a host read: cannot live in a graph
        return value

    result = train_with_cuda_graph(model, syncing_loss, data, epochs=10, lr=1e-2, bf16=False)
    assert result.mode == "eager"
    assert "host" in result.fallback_reason
    assert _learned(result)
    assert torch.isfinite(torch.randn(16, device="cuda")).all()


def test_a_capture_that_fails_midway_leaves_the_generator_usable():
    model, data, loss = _problem()

    def fails_only_when_captured(batch):
        value = loss(batch)
        if torch.cuda.is_current_stream_capturing():
            torch.cuda.synchronize()  # not allowed while capturing: the capture is invalidated
        return value

    result = train_with_cuda_graph(model, fails_only_when_captured, data, epochs=10, lr=1e-2, bf16=False)
    assert result.mode == "eager"
    assert _learned(result)
    # the same process can still draw random numbers and capture a clean step afterwards
    assert torch.isfinite(torch.randn(16, device="cuda")).all()
    model2, data2, loss2 = _problem()
    assert train_with_cuda_graph(model2, loss2, data2, epochs=2, lr=1e-2, bf16=False).mode == "graph"
