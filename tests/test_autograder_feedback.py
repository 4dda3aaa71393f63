"""Feedback on notebooks written the way real submissions are: it names the student's own line, in cell numbers
Jupyter and Colab show, lists harmless top-level lines calmly, and blames nothing on the student that a library did.

One batch grades two notebooks (about 30 s on 2 cores): a course-style Part A notebook (markdown between code
cells, a multi-line ``!pip install \\`` cell, ``import mediapy``, a missing optional import, a top-level lookup of the
student's own prompt, a ``forward`` that raises on its 5th line, an anagram with the wrong parameter list) and the
kit's own Part B solution notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.grading import Options, grade_many
from autograder.render import render_reference

REPO = Path(__file__).resolve().parents[1]

RAISING_FORWARD = """def forward(im, t):
    alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]
    noise = torch.randn_like(im)
    scale = alpha_cumprod.sqrt()
    patches = im.reshape(-1, 7)
    return scale * im + (1 - alpha_cumprod).sqrt() * noise
"""

# (an anagram lacking only i_start is accepted and starts at timesteps[0]; this one lacks uncond_prompt_embeds too)
WRONG_SIGNATURE_ANAGRAM = """def make_flip_illusion(image, prompt_embeds_1, prompt_embeds_2, timesteps, scale=7):
    return image
"""


def _course_style_notebook(path: Path) -> tuple[Path, int]:
    """The notebook, and the code-cell number (as Jupyter counts: code cells only) of the raising ``forward``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    nb.cells = [
        md("# Part A: the power of diffusion models"),
        code("!pip install diffusers \\\n    transformers \\\n    accelerate mediapy"),
        md("## Setup"),
        code("import torch\nimport mediapy as media\nimport matplotlib.pyplot as plt\nfrom google.colab import drive"),
        md("Look up the prompts used below."),
        code("rocket = prompt_embeds_dict['a rocket ship']"),
        md("## The reference's loops (as a student would have them)"),
        code(render_reference(("a",))),
        md("## 1.1 Implementing the forward process"),
        code(RAISING_FORWARD),
        md("## 1.8 Visual anagrams"),
        code(WRONG_SIGNATURE_ANAGRAM),
    ]
    path.write_text(nbformat.writes(nb))
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    return path, 1 + next(i for i, c in enumerate(code_cells) if c.source == RAISING_FORWARD)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    course, forward_cell = _course_style_notebook(tmp / "course_style.ipynb")
    solution_b = REPO / "solutions" / "part_b.ipynb"
    reports = grade_many([course, solution_b], Options(part="all", gpu="off"))
    return reports[0], forward_cell, reports[1]


def _test(report, prefix: str):
    return next(t for t in report.tests if t.name.startswith(prefix))


def test_the_error_names_the_students_line_its_text_and_the_code_cell_number(graded):
    report, forward_cell, _ = graded
    forward = _test(report, "forward:")
    assert forward.score == 0
    assert f"code cell {forward_cell}, line 5, in forward" in forward.output, forward.output
    assert "patches = im.reshape(-1, 7)" in forward.output, forward.output


def test_a_wrong_parameter_list_gets_one_clear_line_naming_the_expected_signature(graded):
    report, _, _ = graded
    anagram = _test(report, "make_flip_illusion:")
    assert anagram.score == 0
    first = anagram.output.splitlines()[0]
    assert "make_flip_illusion(image, i_start, prompt_embeds_1, prompt_embeds_2, uncond_prompt_embeds, timesteps" in first, first
    assert "Traceback" not in anagram.output and "TypeError" not in anagram.output


def test_correct_functions_keep_their_points_beside_the_broken_ones(graded):
    report, _, _ = graded
    for prefix in ("gaussian_denoise:", "one_step_denoise:", "iterative_denoise:", "iterative_denoise_cfg:", "sdedit:",
                   "inpaint:", "make_hybrids:"):
        test = _test(report, prefix)
        assert test.score == test.max_score, (test.name, test.output)


def test_harmless_top_level_lines_are_listed_calmly_not_as_errors(graded):
    report, _, _ = graded
    calm = [n for n in report.notes if n.startswith("Top-level lines not run while grading")]
    assert calm and "google" in calm[0] and "KeyError" in calm[0], report.notes
    assert not any(n.startswith("Error while defining") for n in report.notes), report.notes
    assert not any("syntax error" in n for n in report.notes), report.notes  # the `!pip install \` continuation lines


def test_no_library_noise_from_the_sandbox_is_shown_as_the_students_output(graded):
    """matplotlib loads fontconfig, which printed "Fontconfig error: Cannot load default config file" under
    "your code printed" in every test while the sandbox hid /etc/fonts."""
    course, _, solution_b = graded
    for report in (course, solution_b):
        noisy = [t.name for t in report.tests if "Fontconfig" in t.output]
        assert not noisy, noisy


def test_no_library_wrapper_is_blamed_on_the_student(graded):
    course, _, solution_b = graded
    for report in (course, solution_b):
        assert not any("replaced library functions" in n for n in report.notes), report.notes
    part_b = [t for t in solution_b.tests if not t.group.startswith("part_a")]
    assert part_b and all(t.passed for t in part_b), [(t.name, t.output) for t in part_b if not t.passed]
