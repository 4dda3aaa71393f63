"""``autograder.compare``: tensor checks with messages a student can act on, and the draw matcher.

``check_tensor`` must pass within ``atol + rtol·|expected|`` and otherwise name the largest difference and
where it is; ``tensor_problem`` must say why a value cannot be compared (missing, not a tensor, wrong shape,
not float, NaN/inf); ``matches_a_draw`` must accept exactly the recorded noise (or an equal-size chunk of a
larger draw, in any shape) and reject anything further than ``atol`` from all of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograder.compare import check_tensor, matches_a_draw, max_diff, tensor_problem

SETTINGS = settings(derandomize=True, max_examples=30, deadline=None)


def gaussian(seed: int, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------- check_tensor


def test_check_tensor_passes_within_atol_and_reports_the_difference():
    expected = torch.zeros(3, 4)
    got = expected.clone()
    got[1, 2] = 0.004
    ok, message = check_tensor(got, expected, "out", atol=0.01)
    assert ok
    assert message == "out: matches (max |Δ| = 4.00e-03, tolerance 0.01)"


def test_check_tensor_fails_beyond_atol_naming_max_difference_and_where():
    expected = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    got = expected.clone()
    got[1, 3] += 0.05  # flat index 7, expected value 7
    got[0, 0] += 0.02
    ok, message = check_tensor(got, expected, "UNet output", atol=0.01)
    assert not ok
    assert message.startswith("UNet output: values differ")
    assert "max |Δ| = 0.05 > tolerance 0.01" in message
    assert "at flat index 7: expected 7, got 7.05" in message


def test_check_tensor_bound_is_inclusive_and_exact_at_the_edge():
    expected = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert check_tensor(expected + 0.25, expected, "x", atol=0.25)[0]  # exactly representable: |Δ| == atol passes
    assert not check_tensor(expected + 0.25, expected, "x", atol=0.2499)[0]


def test_check_tensor_relative_tolerance_scales_with_expected():
    expected = torch.tensor([100.0, 0.0])
    got = torch.tensor([100.5, 0.0])
    assert check_tensor(got, expected, "x", atol=0.0, rtol=0.01)[0]  # 0.5 ≤ 0.01·100
    assert not check_tensor(got, expected, "x", atol=0.0, rtol=0.001)[0]  # 0.5 > 0.001·100
    # rtol does nothing where the expected value is 0
    assert not check_tensor(torch.tensor([100.0, 0.5]), expected, "x", atol=0.0, rtol=0.5)[0]


def test_check_tensor_compares_in_double_across_dtypes():
    expected = torch.full((5,), 1.0 / 3.0, dtype=torch.float64)
    got = expected.float()  # float32 rounding ~1e-8
    assert check_tensor(got, expected, "x", atol=1e-6)[0]
    assert not check_tensor(got, expected, "x", atol=1e-10)[0]


def test_check_tensor_shape_mismatch_message():
    ok, message = check_tensor(torch.zeros(3, 2), torch.zeros(2, 3), "images", atol=1.0)
    assert not ok
    assert message == "images: expected shape [2, 3], got [3, 2]"
    # same number of elements is not enough, and broadcasting is never applied
    assert not check_tensor(torch.zeros(1, 3), torch.zeros(3), "x", atol=1.0)[0]
    assert not check_tensor(torch.zeros(3, 1), torch.zeros(3, 3), "x", atol=1.0)[0]


@pytest.mark.parametrize(
    ("bad", "count"),
    [(float("nan"), 1), (float("inf"), 1), (-float("inf"), 1)],
)
def test_check_tensor_rejects_nan_and_inf_even_with_huge_tolerance(bad, count):
    got = torch.zeros(2, 2)
    got[0, 1] = bad
    ok, message = check_tensor(got, torch.zeros(2, 2), "loss", atol=1e30)
    assert not ok
    assert message == f"loss: contains {count} NaN/inf value(s)"


def test_tensor_problem_counts_every_non_finite_value():
    got = torch.tensor([float("nan"), 1.0, float("inf"), float("nan")])
    assert tensor_problem(got, (4,), "x") == "x: contains 3 NaN/inf value(s)"


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.uint8])
def test_check_tensor_rejects_non_float(dtype):
    got = torch.zeros(2, 3, dtype=dtype)
    ok, message = check_tensor(got, torch.zeros(2, 3), "mask", atol=1.0)
    assert not ok
    assert message == f"mask: expected a float tensor, got {dtype}"


def test_tensor_problem_missing_and_not_a_tensor():
    assert tensor_problem(None, (1,), "x") == "x: no tensor was returned"
    assert tensor_problem([1.0, 2.0], (2,), "x") == "x: expected a tensor, got list"
    assert tensor_problem(np.zeros(2), (2,), "x") == "x: expected a tensor, got ndarray"
    ok, message = check_tensor(None, torch.zeros(2), "images", atol=1.0)
    assert (ok, message) == (False, "images: no tensor was returned")


def test_tensor_problem_accepts_a_finite_float_tensor_and_any_shape_when_none():
    assert tensor_problem(torch.zeros(2, 3, dtype=torch.float16), (2, 3), "x") is None
    assert tensor_problem(torch.zeros(7, 1), None, "x") is None


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    fraction=st.floats(0.0, 0.95),
)
def test_check_tensor_property_passes_strictly_inside_atol(seed, shape, fraction):
    expected = gaussian(seed, *shape).double()
    atol = 1e-3
    sign = torch.where(gaussian(seed + 1, *shape) >= 0, 1.0, -1.0).double()
    ok, message = check_tensor(expected + sign * fraction * atol, expected, "x", atol=atol)
    assert ok, message


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    factor=st.floats(1.05, 100.0),
)
def test_check_tensor_property_fails_beyond_atol_naming_the_largest_difference(seed, shape, factor):
    expected = gaussian(seed, *shape).double()
    atol = 1e-3
    got = expected.clone()
    index = seed % got.numel()
    got.view(-1)[index] += factor * atol
    ok, message = check_tensor(got, expected, "x", atol=atol)
    assert not ok
    assert f"max |Δ| = {factor * atol:.3g} > tolerance {atol:g}" in message
    assert f"at flat index {index}:" in message


# ------------------------------------------------------------------------------------------- max_diff


def test_max_diff_values_and_shape_mismatch():
    a = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    b = torch.tensor([[1.5, -2.0], [0.0, 4.25]])
    assert max_diff(a, b) == 3.0
    assert max_diff(a, a) == 0.0
    assert max_diff(a, b.flatten()) == math.inf
    assert max_diff(torch.zeros(2, 3), torch.zeros(3, 2)) == math.inf
    assert max_diff(torch.zeros(3), torch.zeros(1, 3)) == math.inf  # no broadcasting


def test_max_diff_is_computed_in_double():
    a = torch.tensor([1.0 + 2**-40], dtype=torch.float64)
    b = torch.tensor([1.0], dtype=torch.float32)
    assert max_diff(a, b) == pytest.approx(2**-40, rel=1e-12)


# --------------------------------------------------------------------------------------- matches_a_draw


def test_matches_a_draw_finds_the_draw_among_others():
    draws = [gaussian(1, 4, 3), gaussian(2, 2, 1, 8, 8), gaussian(3, 4, 3)]
    assert matches_a_draw(draws[1].clone(), draws, atol=1e-6)
    assert matches_a_draw(draws[2].clone(), draws, atol=0.0)
    assert not matches_a_draw(gaussian(4, 4, 3), draws, atol=1e-3)


def test_matches_a_draw_ignores_shape_and_dtype_only_values_count():
    draw = gaussian(5, 2, 3, 4)
    assert matches_a_draw(draw.reshape(6, 4).double(), [draw], atol=1e-9)
    assert matches_a_draw(draw.reshape(-1), [draw], atol=1e-9)
    # a transpose has the same values in another order: not this draw
    assert not matches_a_draw(draw.transpose(1, 2).contiguous(), [draw], atol=1e-3)


def test_matches_a_draw_accepts_each_equal_size_chunk_of_a_larger_draw():
    big = gaussian(6, 2 * 4, 1, 5, 5)  # e.g. noise for a doubled (CFG) batch
    for part in big.split(4):
        assert matches_a_draw(part.clone(), [big], atol=1e-6)
    thirds = gaussian(7, 3, 10)
    for row in thirds:
        assert matches_a_draw(row.clone(), [thirds], atol=0.0)


def test_matches_a_draw_chunks_are_aligned_to_the_candidate_size():
    big = gaussian(8, 12)
    assert matches_a_draw(big[4:8].clone(), [big], atol=0.0)
    assert not matches_a_draw(big[2:6].clone(), [big], atol=1e-3)


def test_matches_a_draw_rejects_a_candidate_off_by_more_than_atol():
    draw = gaussian(9, 4, 1, 6, 6)
    atol = 2e-3
    assert matches_a_draw(draw + 0.9 * atol, [draw], atol)
    assert not matches_a_draw(draw + 1.1 * atol, [draw], atol)
    one_off = draw.clone()
    one_off[2, 0, 3, 3] -= 1.5 * atol  # a single element too far is enough
    assert not matches_a_draw(one_off, [draw], atol)
    # the chunk must match as a whole: halves of two different chunks do not
    big = gaussian(10, 2, 8)
    mixed = torch.cat([big[0, :4], big[1, 4:]])
    assert not matches_a_draw(mixed.reshape(8), [big], atol)


def test_matches_a_draw_size_mismatch_and_empty_inputs():
    draw = gaussian(11, 10)
    assert not matches_a_draw(draw[:3].clone(), [draw], atol=1.0)  # 3 does not divide 10
    assert not matches_a_draw(gaussian(11, 20), [draw], atol=1.0)  # larger than any draw
    assert not matches_a_draw(draw, [], atol=1.0)
    assert not matches_a_draw(draw, [torch.zeros(0)], atol=1.0)
    assert matches_a_draw(draw, [torch.zeros(0), torch.zeros(3), draw], atol=0.0)  # skips the misfits


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    chunks=st.integers(1, 6),
    size=st.integers(1, 64),
    pick=st.integers(0, 5),
)
def test_matches_a_draw_property_a_draw_and_its_chunks_always_match(seed, chunks, size, pick):
    draw = gaussian(seed, chunks, size)
    others = [gaussian(seed + 1, 3, size + 1), gaussian(seed + 2, 1)]
    assert matches_a_draw(draw.clone(), [*others, draw], atol=0.0)
    assert matches_a_draw(draw[pick % chunks].clone(), [*others, draw], atol=0.0)


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    size=st.integers(4, 256),
    scale=st.one_of(st.floats(-3.0, 0.9), st.floats(1.1, 3.0)),
)
def test_matches_a_draw_property_a_scaled_draw_never_matches(seed, size, scale):
    draw = gaussian(seed, size)
    atol = 2e-3
    assume(float(draw.abs().max()) * abs(scale - 1.0) > 2 * atol)
    assert not matches_a_draw(scale * draw, [draw], atol)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(1, 128), shift=st.floats(2.5e-3, 1.0))
def test_matches_a_draw_property_a_shifted_draw_never_matches(seed, size, shift):
    draw = gaussian(seed, size)
    assert not matches_a_draw(draw + shift, [draw], atol=2e-3)
    assert not matches_a_draw(draw - shift, [draw], atol=2e-3)
