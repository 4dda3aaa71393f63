"""``validate``'s claims, as CI tests: the reference gets full marks, every correct variant (docs/spec.md §5, many of
them patterns of real submissions) gets full marks, the generated student notebooks get zero with a valid results
file, and every mutant (one or more per bug of docs/spec.md §6, read from there) loses points on the test aimed at
it and on no test outside the reach of the code it changes.

Everything is graded in one batch (``autograder.validate.run_all``), about 100 s on a 2-core CPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import validate
from autograder.validate import zoo


@pytest.fixture(scope="module")
def validation() -> validate.Validation:
    result = validate.run_all("all")
    validate.print_validation(result)
    return result


def test_reference_gets_full_marks(validation):
    assert "b_fm" in validation.references, "Part B's flow-matching reference was not validated"
    for ref in [validation.reference, *validation.references.values()]:
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


def spec_bug_lines() -> list[str]:
    """The bullets of docs/spec.md §6 (the bugs the grader must catch), one bug per bullet."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "spec.md").read_text()
    section = text.split("## 6.", 1)[1].split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def test_every_spec_bug_line_has_a_mutant():
    lines = {e.spec_line for e in zoo.entries(zoo.ZOO_ROOT / "mutants")}
    expected = set(spec_bug_lines())
    assert len(expected) >= 19, "docs/spec.md §6 lost its bullets"
    assert expected <= lines, expected - lines


def test_every_mutant_names_a_spec_bug_line():
    known = set(spec_bug_lines())
    for entry in zoo.entries(zoo.ZOO_ROOT / "mutants"):
        assert entry.spec_line in known, f"{entry.name}: SPEC_LINE {entry.spec_line!r} is not a bullet of docs/spec.md §6"


@pytest.mark.gpu
def test_reference_on_gpu(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from autograder.grading import Options, grade
    from autograder.render import write_reference

    report = grade(write_reference(tmp_path / "ref.py"), Options(gpu="on"))
    assert report.score == report.max_score, [(t.name, t.output) for t in report.tests if not t.passed]
