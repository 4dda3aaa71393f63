"""Part B blocks and UNets: shapes, layer types, exact parameter counts, bad input."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from solutions import part_b as pb

batch_sizes = st.integers(min_value=1, max_value=4)
channels = st.integers(min_value=1, max_value=6)


# ------------------------------------------------------------------ parameter counts, derived by hand


def conv_params(i, o):  # Conv2d 3x3 with bias + BatchNorm (weight, bias)
    return 9 * i * o + o + 2 * o


def upconv_params(i, o):  # ConvTranspose2d 4x4 with bias + BatchNorm
    return 16 * i * o + o + 2 * o


def convblock_params(i, o):
    return conv_params(i, o) + conv_params(o, o)


def fc_params(i, o):
    return (i * o + o) + (o * o + o)


def unconditional_params(c, d):
    return (
        convblock_params(c, d)
        + conv_params(d, d) + convblock_params(d, d)  # DownBlock(D, D)
        + conv_params(d, 2 * d) + convblock_params(2 * d, 2 * d)  # DownBlock(D, 2D)
        + 49 * (2 * d) ** 2 + 2 * d + 2 * (2 * d)  # Unflatten(2D): ConvTranspose2d 7x7 + BN
        + upconv_params(4 * d, d) + convblock_params(d, d)  # UpBlock(4D, D)
        + upconv_params(2 * d, d) + convblock_params(d, d)  # UpBlock(2D, D)
        + convblock_params(2 * d, d)
        + 9 * d * c + c  # final Conv2d(D, C, 3, 1, 1)
    )


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    "model, expected",
    [
        (lambda: pb.UnconditionalUNet(1, 128), unconditional_params(1, 128)),
        (lambda: pb.TimeConditionalUNet(1, 10, 64), unconditional_params(1, 64) + fc_params(1, 128) + fc_params(1, 64)),
        (
            lambda: pb.ClassConditionalUNet(1, 10, 64),
            unconditional_params(1, 64) + fc_params(1, 128) + fc_params(1, 64) + fc_params(10, 128) + fc_params(10, 64),
        ),
    ],
    ids=["unconditional_D128", "time_D64", "class_D64"],
)
def test_seed_configurations_have_exact_parameter_counts(model, expected):
    assert count(model()) == expected


def test_seed_parameter_counts_in_numbers():
    # The figures an instructor can quote: 7.89 M for the denoiser, ~2.0 M for the DDPM UNets.
    assert count(pb.UnconditionalUNet(1, 128)) == 7_891_073
    assert count(pb.ClassConditionalUNet(1, 10, 64)) == 2_019_201


# ------------------------------------------------------------------------------------ layer types


def layer_signature(module: nn.Module) -> list[tuple]:
    out = []
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            out.append((type(layer).__name__, layer.kernel_size[0], layer.stride[0], layer.padding[0]))
        elif isinstance(layer, (nn.BatchNorm2d, nn.GELU, nn.AvgPool2d)):
            out.append((type(layer).__name__,))
    return out


@pytest.mark.parametrize(
    "block, expected",
    [
        (pb.Conv(2, 3), [("Conv2d", 3, 1, 1), ("BatchNorm2d",), ("GELU",)]),
        (pb.DownConv(2, 3), [("Conv2d", 3, 2, 1), ("BatchNorm2d",), ("GELU",)]),
        (pb.UpConv(2, 3), [("ConvTranspose2d", 4, 2, 1), ("BatchNorm2d",), ("GELU",)]),
        (pb.Flatten(), [("AvgPool2d",), ("GELU",)]),
        (pb.Unflatten(4), [("ConvTranspose2d", 7, 7, 0), ("BatchNorm2d",), ("GELU",)]),
        (pb.ConvBlock(2, 3), [("Conv2d", 3, 1, 1), ("BatchNorm2d",), ("GELU",)] * 2),
        (pb.DownBlock(2, 3), [("Conv2d", 3, 2, 1), ("BatchNorm2d",), ("GELU",)] + [("Conv2d", 3, 1, 1), ("BatchNorm2d",), ("GELU",)] * 2),
        (pb.UpBlock(2, 3), [("ConvTranspose2d", 4, 2, 1), ("BatchNorm2d",), ("GELU",)] + [("Conv2d", 3, 1, 1), ("BatchNorm2d",), ("GELU",)] * 2),
    ],
    ids=["Conv", "DownConv", "UpConv", "Flatten", "Unflatten", "ConvBlock", "DownBlock", "UpBlock"],
)
def test_blocks_are_built_from_the_diagram_layers(block, expected):
    assert layer_signature(block) == expected


def test_flatten_pools_seven_by_seven():
    pool = [m for m in pb.Flatten().modules() if isinstance(m, nn.AvgPool2d)][0]
    assert pool.kernel_size == 7


def test_fcblock_is_linear_gelu_linear():
    kinds = [type(m).__name__ for m in pb.FCBlock(3, 5).modules() if not isinstance(m, (nn.Sequential, pb.FCBlock))]
    assert kinds == ["Linear", "GELU", "Linear"]


# -------------------------------------------------------------------------------- shape contracts


@settings(max_examples=15, deadline=None, derandomize=True)
@given(n=batch_sizes, i=channels, o=channels, hw=st.sampled_from([4, 8, 14, 28]))
def test_block_shapes(n, i, o, hw):
    x = torch.randn(n, i, hw, hw)
    assert pb.Conv(i, o)(x).shape == (n, o, hw, hw)
    assert pb.ConvBlock(i, o)(x).shape == (n, o, hw, hw)
    assert pb.DownConv(i, o)(x).shape == (n, o, hw // 2, hw // 2)
    assert pb.DownBlock(i, o)(x).shape == (n, o, hw // 2, hw // 2)
    assert pb.UpConv(i, o)(x).shape == (n, o, 2 * hw, 2 * hw)
    assert pb.UpBlock(i, o)(x).shape == (n, o, 2 * hw, 2 * hw)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(n=batch_sizes, c=channels)
def test_flatten_unflatten_shapes(n, c):
    x = torch.randn(n, c, 7, 7)
    flat = pb.Flatten()(x)
    assert flat.shape == (n, c, 1, 1)
    assert pb.Unflatten(c)(flat).shape == (n, c, 7, 7)
    assert pb.FCBlock(c, 2 * c)(torch.randn(n, c)).shape == (n, 2 * c)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(n=st.integers(min_value=2, max_value=4), c=st.integers(1, 3), d=st.sampled_from([2, 4, 8]))
def test_unets_map_images_to_images(n, c, d):
    x = torch.randn(n, c, 28, 28)
    t = torch.rand(n)
    assert pb.UnconditionalUNet(c, d)(x).shape == x.shape
    assert pb.TimeConditionalUNet(c, 10, d)(x, t).shape == x.shape
    assert pb.TimeConditionalUNet(c, 10, d)(x, t[:, None]).shape == x.shape
    labels = torch.randint(0, 10, (n,))
    assert pb.ClassConditionalUNet(c, 10, d)(x, labels, t).shape == x.shape


def test_class_indices_and_one_hot_give_the_same_prediction():
    torch.manual_seed(0)
    unet = pb.ClassConditionalUNet(1, 10, 4).eval()
    x, t = torch.randn(3, 1, 28, 28), torch.rand(3)
    labels = torch.tensor([0, 4, 9])
    onehot = torch.nn.functional.one_hot(labels, 10).float()
    torch.testing.assert_close(unet(x, labels, t), unet(x, onehot, t))


def test_mask_zero_equals_the_zero_class_vector():
    torch.manual_seed(0)
    unet = pb.ClassConditionalUNet(1, 10, 4).eval()
    x, t = torch.randn(2, 1, 28, 28), torch.rand(2)
    masked = unet(x, torch.tensor([3, 7]), t, mask=torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(masked[0], unet(x, torch.zeros(2, 10), t)[0])
    torch.testing.assert_close(masked[1], unet(x, torch.tensor([3, 7]), t)[1])


def test_time_changes_the_output_of_the_time_conditioned_unet():
    torch.manual_seed(0)
    unet = pb.TimeConditionalUNet(1, 10, 4).eval()
    x = torch.randn(2, 1, 28, 28)
    assert not torch.allclose(unet(x, torch.zeros(2)), unet(x, torch.ones(2)))


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("shape", [(2, 1, 32, 32), (2, 3, 28, 28), (1, 28, 28), (2, 1, 28, 27)])
def test_wrong_image_shapes_are_rejected_with_the_expected_shape(shape):
    with pytest.raises(ValueError, match=r"expected images \[N, 1, 28, 28\], got"):
        pb.UnconditionalUNet(1, 4)(torch.randn(*shape))


def test_class_labels_out_of_range_are_rejected():
    unet = pb.ClassConditionalUNet(1, 10, 4)
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 9\]"):
        unet(torch.randn(2, 1, 28, 28), torch.tensor([3, 10]), torch.rand(2))


def test_time_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"t must have shape \[2\] or \[2, 1\]"):
        pb.TimeConditionalUNet(1, 10, 4)(torch.randn(2, 1, 28, 28), torch.rand(3))
