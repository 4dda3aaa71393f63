"""The graph-training engine's CPU-checkable parts: which biases BatchNorm cancels, and that freezing them is exact."""

import pytest
import torch
from torch import nn

from graph_training import freeze_biases_cancelled_by_batchnorm, train_with_cuda_graph
from solutions.part_b import DDPM, ClassConditionalUNet


def test_only_conv_biases_that_feed_a_batchnorm_are_frozen_and_their_gradient_is_zero():
    torch.manual_seed(0)
    unet = ClassConditionalUNet(1, 10, 16)
    convs_before_bn = [seq[i] for seq in unet.modules() if isinstance(seq, nn.Sequential)
                       for i in range(len(seq) - 1) if isinstance(seq[i + 1], nn.BatchNorm2d)]
    # input and output ConvBlocks (2 + 2), two DownBlocks and two UpBlocks (a Down/UpConv + a ConvBlock: 3 each),
    # Unflatten (1): 17 convs; the final 3×3 conv has no BatchNorm after it
    assert len(convs_before_bn) == 17

    ddpm = DDPM(unet).train()
    x, c = torch.rand(16, 1, 28, 28), torch.arange(16) % 10
    ddpm(x, c).backward()
    frozen_ids = {id(conv.bias) for conv in convs_before_bn}
    cancelled = torch.cat([conv.bias.grad for conv in convs_before_bn])
    others = torch.cat([p.grad.flatten() for p in unet.parameters() if id(p) not in frozen_ids and p.grad is not None])
    # analytically zero (the batch mean removes any per-channel constant); numerically rounding-level
    assert cancelled.abs().max() < 1e-4 * others.abs().max()

    frozen = freeze_biases_cancelled_by_batchnorm(ddpm)
    assert {id(b) for b in frozen} == frozen_ids
    assert all(not b.requires_grad for b in frozen)
    assert unet.out_conv.bias.requires_grad  # the final conv has no BatchNorm after it
    assert freeze_biases_cancelled_by_batchnorm(ddpm) == []  # idempotent: nothing left to freeze


@pytest.mark.parametrize("shift", [-3.0, 0.5, 7.0])
def test_a_cancelled_bias_does_not_change_what_the_model_computes(shift):
    torch.manual_seed(1)
    block = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.GELU())
    x = torch.randn(8, 2, 6, 6)
    before = block(x)
    with torch.no_grad():
        block[0].bias.add_(shift)
    torch.testing.assert_close(block(x), before, atol=1e-5, rtol=1e-5)


def test_the_engine_refuses_a_cpu_module_with_a_clear_message():
    with pytest.raises(RuntimeError, match="CUDA device"):
        train_with_cuda_graph(nn.Linear(2, 2), lambda b: b["x"].sum(), {"x": torch.zeros(4, 2)})
