"""The in-notebook checks (``assignment.checks``) judge behaviour, not form.

Correct blocks written differently from the reference (functional GELU and pooling, a stride-1 Unflatten that is
the same layer on a 1×1 map, convolutions without bias before BatchNorm) pass every public check; blocks that
compute something else (no GELU, ReLU, no BatchNorm, a stride or padding that changes the output) fail with a
message that says what behaviour was expected.
"""

from __future__ import annotations

import ast
import contextlib
import io

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from assignment.checks import CHECKS, run_checks
from solutions import part_b as pb


def spec_name(name: str):
    """Give a test class the SPEC name that ``check`` looks its checks up by."""

    def rename(cls):
        cls.__name__ = cls.__qualname__ = name
        return cls

    return rename


def outcome(cls) -> tuple[int, int, str]:
    """``(passed, total, printed text)`` of ``check(cls)``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        passed, total = run_checks(cls)
    return passed, total, out.getvalue()


def assert_passes(cls) -> None:
    passed, total, text = outcome(cls)
    assert total > 0 and passed == total and "❌" not in text, text
    assert "public checks passed" in text


def failures(cls) -> str:
    """The ❌ lines of ``check(cls)`` (there must be some)."""
    passed, total, text = outcome(cls)
    lines = [line for line in text.splitlines() if line.startswith("❌") and "public checks passed" not in line]
    assert passed < total and lines, text
    return "\n".join(lines)


# ------------------------------------------------------------------------------ correct variants


class _Step(nn.Module):
    """conv → BatchNorm2d → GELU, with the activation written functionally (no nn.GELU module)."""

    def __init__(self, conv: nn.Module, channels: int, gelu=F.gelu):
        super().__init__()
        self.conv, self.bn, self.gelu = conv, nn.BatchNorm2d(channels), gelu

    def forward(self, x):
        return self.gelu(self.bn(self.conv(x)))


@spec_name("Conv")
class FunctionalConv(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv = nn.Conv2d(i, o, 3, padding=1)
        self.bn = nn.BatchNorm2d(o)

    def forward(self, x):
        return torch.nn.functional.gelu(self.bn(self.conv(x)))


@spec_name("Conv")
class BiasFreeConv(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.step = _Step(nn.Conv2d(i, o, 3, padding="same", bias=False), o)

    def forward(self, x):
        return self.step(x)


@spec_name("Conv")
class TanhGeluConv(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.step = _Step(nn.Conv2d(i, o, 3, padding=1), o, gelu=lambda z: F.gelu(z, approximate="tanh"))

    def forward(self, x):
        return self.step(x)


@spec_name("DownConv")
class FunctionalDownConv(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.step = _Step(nn.Conv2d(i, o, 3, stride=2, padding=1, bias=False), o)

    def forward(self, x):
        return self.step(x)


@spec_name("UpConv")
class FunctionalUpConv(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.step = _Step(nn.ConvTranspose2d(i, o, 4, stride=2, padding=1), o)

    def forward(self, x):
        return self.step(x)


@spec_name("Flatten")
class FunctionalFlatten(nn.Module):
    def forward(self, x):
        return F.gelu(F.avg_pool2d(x, 7))


@spec_name("Flatten")
class AdaptiveFlatten(nn.Module):
    def forward(self, x):
        return F.gelu(F.adaptive_avg_pool2d(x, 1))


@spec_name("Unflatten")
class StrideOneUnflatten(nn.Module):
    """ConvTranspose2d(C, C, 7) with the default stride 1: on a 1×1 map it is the stride-7 layer."""

    def __init__(self, c):
        super().__init__()
        self.step = _Step(nn.ConvTranspose2d(c, c, 7), c)

    def forward(self, x):
        return self.step(x)


@spec_name("ConvBlock")
class FunctionalConvBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.a, self.b = FunctionalConv(i, o), BiasFreeConv(o, o)

    def forward(self, x):
        return self.b(self.a(x))


@spec_name("DownBlock")
class FunctionalDownBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.down, self.block = FunctionalDownConv(i, o), FunctionalConvBlock(o, o)

    def forward(self, x):
        return self.block(self.down(x))


@spec_name("UpBlock")
class FunctionalUpBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.up, self.block = FunctionalUpConv(i, o), FunctionalConvBlock(o, o)

    def forward(self, x):
        return self.block(self.up(x))


@spec_name("FCBlock")
class FunctionalFCBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(i, o), nn.Linear(o, o)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def _drop_conv_biases(unet: nn.Module) -> nn.Module:
    """Make every convolution that BatchNorm follows bias=False (the reference blocks hold them in Sequentials)."""
    for module in unet.modules():
        if isinstance(module, nn.Sequential) and len(module) > 1 and isinstance(module[1], nn.BatchNorm2d):
            module[0].bias = None
    return unet


@spec_name("UnconditionalUNet")
class BiasFreeUnconditionalUNet(pb.UnconditionalUNet):
    def __init__(self, *args):
        super().__init__(*args)
        _drop_conv_biases(self)
        self.unused = nn.Linear(3, 3)  # a leftover layer that never runs changes nothing


@spec_name("TimeConditionalUNet")
class BiasFreeTimeConditionalUNet(pb.TimeConditionalUNet):
    def __init__(self, *args):
        super().__init__(*args)
        _drop_conv_biases(self)


@spec_name("ClassConditionalUNet")
class BiasFreeClassConditionalUNet(pb.ClassConditionalUNet):
    def __init__(self, *args):
        super().__init__(*args)
        _drop_conv_biases(self)


CORRECT = [FunctionalConv, BiasFreeConv, TanhGeluConv, FunctionalDownConv, FunctionalUpConv, FunctionalFlatten,
           AdaptiveFlatten, StrideOneUnflatten, FunctionalConvBlock, FunctionalDownBlock, FunctionalUpBlock,
           FunctionalFCBlock, BiasFreeUnconditionalUNet, BiasFreeTimeConditionalUNet, BiasFreeClassConditionalUNet]


@pytest.mark.parametrize("cls", CORRECT, ids=lambda cls: cls.__name__ + ":" + cls.__doc__.split(":")[0][:30]
                         if cls.__doc__ else cls.__name__)
def test_correct_variants_pass(cls):
    assert_passes(cls)


@pytest.mark.parametrize("name", [name for name in pb.__all__ if name in CHECKS])
def test_the_reference_passes(name):
    assert_passes(getattr(pb, name))


def test_stride_one_unflatten_is_the_stride_seven_layer():
    """The premise of StrideOneUnflatten: on a 1×1 map both give the same output."""
    a = nn.ConvTranspose2d(4, 4, 7)
    b = nn.ConvTranspose2d(4, 4, 7, stride=7)
    b.load_state_dict(a.state_dict())
    x = torch.randn(3, 4, 1, 1)
    assert torch.equal(a(x), b(x))


# ------------------------------------------------------------------------------- wrong variants


def _conv_variant(name, conv, activation=F.gelu, norm=True, order="bn-act", down=False):
    """A one-convolution block of ``name`` built from ``conv(i, o)``, with the given activation/normalisation."""

    @spec_name(name)
    class Block(nn.Module):
        def __init__(self, i, o=None):
            super().__init__()
            o = i if o is None else o
            self.conv = conv(i, o)
            self.bn = nn.BatchNorm2d(o) if norm else nn.Identity()

        def forward(self, x):
            h = self.conv(x)
            return self.bn(activation(h)) if order == "act-bn" else activation(self.bn(h))

    return Block


def _conv3(i, o):
    return nn.Conv2d(i, o, 3, padding=1)


def _down3(i, o):
    return nn.Conv2d(i, o, 3, stride=2, padding=1)


def _behaviour_failure(cls) -> str:
    text = failures(cls)
    assert " computes " in text, f"the behaviour check should be the one failing:\n{text}"
    return text


def test_missing_gelu_fails():
    text = _behaviour_failure(_conv_variant("Conv", _conv3, activation=lambda h: h))
    assert "GELU(z) ≥ −0.170" in text and "is GELU missing" in text


def test_relu_instead_of_gelu_fails():
    text = _behaviour_failure(_conv_variant("DownConv", _down3, activation=F.relu))
    assert "ReLU" in text and "instead of GELU" in text


def test_gelu_before_batchnorm_fails():
    text = _behaviour_failure(_conv_variant("Conv", _conv3, order="act-bn"))
    assert "applied before BatchNorm2d" in text


def test_missing_batchnorm_fails():
    text = _behaviour_failure(_conv_variant("Conv", _conv3, norm=False))
    assert "blind to the input's scale" in text and "is BatchNorm2d missing" in text


def test_instance_norm_instead_of_batchnorm_fails():
    @spec_name("Conv")
    class InstanceNormConv(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.conv, self.norm = _conv3(i, o), nn.InstanceNorm2d(o)

        def forward(self, x):
            return F.gelu(self.norm(self.conv(x)))

    assert "instance, layer or group normalisation" in _behaviour_failure(InstanceNormConv)


def test_batchnorm_without_learnable_parameters_fails_and_says_why():
    """Behaviour at initialisation is the same; the message must say the structure is what differs."""

    @spec_name("Conv")
    class ParameterFreeNorm(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.conv = _conv3(i, o)

        def forward(self, x):
            return F.gelu(F.batch_norm(self.conv(x), None, None, training=True))

    text = _behaviour_failure(ParameterFreeNorm)
    assert "eval mode" in text or "learnable" in text


def test_downconv_stride_or_padding_that_changes_the_output_fails():
    for conv in (lambda i, o: nn.Conv2d(i, o, 3, stride=2, padding=0), lambda i, o: nn.Conv2d(i, o, 3, padding=1)):
        text = _behaviour_failure(_conv_variant("DownConv", conv))
        assert "should have shape [4, 5, 4, 4]" in text and "Conv2d(3, 5, kernel_size=(3, 3)" in text


def test_padding_mode_that_changes_values_fails():
    """Same shapes, different border values: the message names the convolution and the difference."""
    text = _behaviour_failure(_conv_variant("Conv", lambda i, o: nn.Conv2d(i, o, 3, padding=1,
                                                                            padding_mode="reflect")))
    assert "1st convolution's output differs from the diagram's Conv2d(3×3, stride 1, padding 1)" in text
    assert "padding_mode=reflect" in text


def test_wrong_kernel_fails():
    text = _behaviour_failure(_conv_variant("Conv", lambda i, o: nn.Conv2d(i, o, 5, padding=2)))
    assert "weight [5, 3, 3, 3]" in text and "different function" in text


def test_unflatten_with_a_kernel_that_changes_the_map_fails():
    text = _behaviour_failure(_conv_variant("Unflatten", lambda i, o: nn.ConvTranspose2d(i, o, 4, stride=2)))
    assert "should have shape [4, 4, 7, 7]" in text


def test_convblock_missing_the_second_gelu_fails():
    @spec_name("ConvBlock")
    class HalfGelu(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.a = FunctionalConv(i, o)
            self.conv, self.bn = _conv3(o, o), nn.BatchNorm2d(o)

        def forward(self, x):
            return self.bn(self.conv(self.a(x)))

    assert "GELU" in _behaviour_failure(HalfGelu)


def test_downblock_missing_an_inner_batchnorm_fails():
    @spec_name("DownBlock")
    class InnerNoNorm(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.down = FunctionalDownConv(i, o)
            self.conv1, self.conv2, self.bn2 = _conv3(o, o), _conv3(o, o), nn.BatchNorm2d(o)

        def forward(self, x):
            h = F.gelu(self.conv1(self.down(x)))  # no BatchNorm after the 2nd convolution
            return F.gelu(self.bn2(self.conv2(h)))

    text = _behaviour_failure(InnerNoNorm)
    assert "3rd convolution's input" in text and "BatchNorm2d is missing" in text


def test_flatten_without_gelu_or_with_max_pooling_fails():
    @spec_name("Flatten")
    class NoGelu(nn.Module):
        def forward(self, x):
            return F.avg_pool2d(x, 7)

    @spec_name("Flatten")
    class MaxPool(nn.Module):
        def forward(self, x):
            return F.gelu(F.max_pool2d(x, 7))

    assert "GELU is missing" in failures(NoGelu)
    assert "use average pooling, not max" in failures(MaxPool)


def test_fcblock_without_gelu_relu_or_biases_fails():
    @spec_name("FCBlock")
    class NoGelu(FunctionalFCBlock):
        def forward(self, x):
            return self.fc2(self.fc1(x))

    @spec_name("FCBlock")
    class Relu(FunctionalFCBlock):
        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

    @spec_name("FCBlock")
    class NoBias(FunctionalFCBlock):
        def __init__(self, i, o):
            super().__init__(i, o)
            self.fc1, self.fc2 = nn.Linear(i, o, bias=False), nn.Linear(o, o, bias=False)

    assert "GELU is missing between them" in failures(NoGelu)
    assert "ReLU is between them" in failures(Relu)
    assert "maps the zero vector to exactly 0" in failures(NoBias)


def test_unet_with_a_different_architecture_fails_and_says_the_structure_is_the_point():
    @spec_name("UnconditionalUNet")
    class NoNormParameters(pb.UnconditionalUNet):  # BatchNorm2d(affine=False) everywhere
        def __init__(self, *args):
            super().__init__(*args)
            for module in self.modules():
                if isinstance(module, nn.Sequential) and len(module) > 1 and isinstance(module[1], nn.BatchNorm2d):
                    module[1] = nn.BatchNorm2d(module[1].num_features, affine=False)

    text = failures(NoNormParameters)
    assert "parameters that shape the output" in text and "output at initialisation cannot show them" in text


def test_unet_with_a_detached_layer_fails():
    @spec_name("UnconditionalUNet")
    class Detached(pb.UnconditionalUNet):
        def _encode(self, x):
            h0, h1, h2, bottleneck = super()._encode(x)
            return h0, h1, h2, bottleneck.detach()

    assert "run in forward but get no gradient" in failures(Detached)


def test_batchnorm_stuck_in_training_mode_fails_in_eval_mode():
    @spec_name("UpConv")
    class AlwaysBatchStatistics(FunctionalUpConv):
        def forward(self, x):
            self.step.bn.train()  # ignores eval(): sampling would normalise with the batch's statistics
            return self.step(x)

    text = _behaviour_failure(AlwaysBatchStatistics)
    assert "in eval mode" in text and "running statistics" in text


# ------------------------------------------------------------------- the grader's zoo, run through check(...)
# Every correct variant of the zoo (autograder/validate/zoo_files/variants, written from patterns in public
# submissions) must pass the in-notebook checks of the names it defines; the bugs of the zoo must fail one. The
# variant's code is the rendered reference with the variant's patch applied, run as a notebook runs it.

ZOO_CHECK_EXEMPT = {
    "b_schedule_device_param": "builds the schedule on CUDA by default; the checks run on this CPU machine",
    "b_schedule_extra_key": "the patch leaves the reference DDPM module's three-key schedule, so DDPM.sample breaks",
    "b_schedule_numpy": "the patch leaves the reference DDPM module's register_buffer, which refuses numpy arrays",
}
ZOO_VARIANTS_CHECKED = [
    # Part B, DDPM version: the forms the brief names, and the return/signature forms of the course's starter
    "b_functional_gelu", "b_functional_flatten", "b_unflatten_stride1", "b_conv_bias_false", "b_time_unet_t_flat_only",
    "b_time_unet_t_column_only", "b_class_unet_indices_only", "b_class_unet_one_hot_only", "b_zero_based_time",
    "b_sample_eps_form", "b_sample_frames_stacked", "b_sample_frames_numpy", "b_course_starter_signatures",
    "b_flatten_to_vector", "b_schedule_broadcast_shape", "b_sample_images_clipped", "b_zero_based_time_over_t_minus_1",
]
ZOO_MUTANTS_CHECKED = ["b_dropout_at_sampling"]


def _zoo(kind: str, part: str, names: list[str] | None = None):
    from autograder.validate import zoo

    return [e for e in zoo.entries(zoo.ZOO_ROOT / kind)
            if e.part == part and (names is None or e.name in names) and e.name not in ZOO_CHECK_EXEMPT]


def _zoo_outcomes(entry) -> dict[str, tuple[int, int, str]]:
    """``check`` of every name the patch can change (the names it is in and their callers, as ``validate`` grades)."""
    from autograder.render import render_reference
    from autograder.validate import zoo

    source = zoo.apply(render_reference((entry.part,)), entry)
    reach = zoo.reach(source, entry.within)
    if entry.append:  # what the patch adds at the end (e.g. the course starter's modules) is in its reach too
        reach |= {node.name for node in ast.parse(entry.append).body if hasattr(node, "name")}
    namespace = {"__name__": "__main__"}
    code = compile(source.replace("from __future__ import annotations", ""), f"<zoo {entry.name}>", "exec")
    exec(code, namespace)  # noqa: S102  (the kit's own zoo)
    return {name: outcome(namespace[name]) for name in CHECKS if name in namespace and name in reach}


@pytest.mark.parametrize("entry", _zoo("variants", "b_fm") + _zoo("variants", "b", ZOO_VARIANTS_CHECKED),
                         ids=lambda entry: entry.name)
def test_zoo_variants_pass_the_checks(entry):
    failed = {name: text for name, (passed, total, text) in _zoo_outcomes(entry).items() if passed < total}
    assert not failed, "\n".join(failed.values())


@pytest.mark.parametrize("entry", _zoo("mutants", "b_fm") + _zoo("mutants", "b", ZOO_MUTANTS_CHECKED),
                         ids=lambda entry: entry.name)
def test_zoo_mutants_fail_a_check(entry):
    outcomes = _zoo_outcomes(entry)
    failed = [text for passed, total, text in outcomes.values() if passed < total]
    assert failed, f"{entry.name} passes every check of {sorted(outcomes)}"
    assert any("❌" in text for text in failed)


def test_sampler_checks_accept_the_course_starters_forms():
    """Images alone, (images, stacked caches), no num_samples: what the course's starters and real notebooks return."""

    def velocity_sampler(unet, img_wh, num_ts, seed=0):  # no num_samples; returns (images, caches tensor)
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(5, 1, *img_wh, generator=g)
        caches = [x]
        for i in range(num_ts):
            x = x + unet(x, torch.full((1,), i / num_ts)) / num_ts
            caches.append(x)
        return x, torch.stack(caches, dim=1)

    velocity_sampler.__name__ = "time_fm_sample"
    assert_passes(velocity_sampler)

    def images_only(unet, img_wh, num_ts, seed=0, num_samples=40):
        torch.manual_seed(seed)
        x = torch.randn(num_samples, 1, *img_wh)
        t = torch.zeros(num_samples, 1)
        for _ in range(num_ts):
            x = x + unet(x, t) / num_ts
            t += 1 / num_ts
        return x

    images_only.__name__ = "time_fm_sample"
    assert_passes(images_only)


def test_reversed_sampler_with_course_training_fails_with_a_hint():
    """Sampling from t = 1 down while moving along u (x ← x + u/T) is the DDPM habit on a course-trained flow."""

    def time_fm_sample(unet, img_wh, num_ts, seed=0, num_samples=40):
        x = torch.randn(num_samples, 1, *img_wh, generator=torch.Generator().manual_seed(seed))
        for i in range(num_ts):
            x = x + unet(x, torch.full((num_samples,), 1 - i / num_ts)) / num_ts
        return x, [x]

    text = failures(time_fm_sample)
    assert "your first step is at t = 1" in text
