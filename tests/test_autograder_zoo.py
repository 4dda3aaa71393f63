"""``validate``'s claims, as CI tests: the reference gets full marks, every correct variant of SPEC §4 gets full
marks, the generated student notebooks get zero with a valid results file, and every mutant of SPEC §5 loses
points on the test aimed at it and on no test outside the reach of the code it changes.

Everything is graded in one batch (``autograder.validate.run_all``), about 100 s on a 2-core CPU.
"""

from __future__ import annotations

import pytest

from autograder import validate, zoo


@pytest.fixture(scope="module")
def validation() -> validate.Validation:
    result = validate.run_all("all")
    validate.print_validation(result)
    return result


def test_reference_gets_full_marks(validation):
    ref = validation.reference
    assert ref.score == ref.max_score, [(t.name, t.output) for t in ref.tests if not t.passed]


def test_student_notebooks_get_zero_with_valid_results(validation):
    for name, (report, clean) in validation.notebooks.items():
        assert report.score == 0 and clean, name


@pytest.mark.parametrize("name", [e.name for e in zoo.entries(zoo.ZOO_ROOT / "variants")])
def test_correct_variant_gets_full_marks(validation, name):
    report = validation.variants[name]
    assert not isinstance(report, str), report
    assert report.score == report.max_score, [(t.name, t.output) for t in report.tests if not t.passed]


@pytest.mark.parametrize("name", [e.name for e in zoo.entries(zoo.ZOO_ROOT / "mutants")])
def test_mutant_is_caught_by_its_test_only(validation, name):
    outcome = next(o for o in validation.mutants if o.name == name)
    assert outcome.killed, outcome.note
    assert not outcome.collateral


def test_every_spec_bug_line_has_a_mutant():
    lines = {e.spec_line for e in zoo.entries(zoo.ZOO_ROOT / "mutants")}
    expected = {
        "wrong ᾱ index or α instead of ᾱ", "missing square roots", "sign errors in CFG", "guidance applied to the variance",
        "forgetting to flip the noise estimate back", "flipping the wrong axis, or rotating by 180° instead of flipping upside down",
        "low/high-pass swapped", "mask polarity reversed", "inpainting forced at the wrong timestep", "`add_variance` skipped",
        "off-by-one in the strided loop", "t not normalised", "class dropout not applied or applied at sampling",
        "CFG formula with `ε_c` and `ε_u` swapped", "wrong block kernel/stride/padding", "missing BatchNorm or GELU",
        "a skip connection or a conditioning injection left out", "schedule `betas` off by one element",
    }
    assert expected <= lines, expected - lines


@pytest.mark.gpu
def test_reference_on_gpu(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from autograder.grading import Options, grade
    from autograder.render import write_reference

    report = grade(write_reference(tmp_path / "ref.py"), Options(gpu="on"))
    assert report.score == report.max_score, [(t.name, t.output) for t in report.tests if not t.passed]
