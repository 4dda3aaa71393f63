"""The generated notebooks: up to date, runnable, and the student versions hold no solution.

* ``release`` regenerates byte-identical notebooks (committed == fresh);
* the solution notebooks execute top to bottom with nbclient on CPU, offline, in QUICK mode, every
  ``check(...)`` passes and every figure of the write-ups is written;
* the student notebooks execute too: every error traces back to a stub's ``NotImplementedError``;
* the student notebooks and the students' zip contain no reference code.

Part A needs ``solutions.part_a`` and the offline mini denoiser; its cases skip until those land.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.release import REPO, pack, release, solution_notebook, student_notebook

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("nbgrader")

STUB = "raise NotImplementedError()"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

# Figures each solution notebook must write (QUICK mode: one epoch, so "epoch01" files).
EXPECTED_FIGURES = {
    "b": [
        "b1_noising_process.png",
        "b1_denoiser_loss.png",
        "b1_denoiser_results.png",
        "b1_sigma_sweep.png",
        "b2_time_loss.png",
        "b2_time_samples_epoch01.png",
        "b2_time_sampling_epoch01.gif",
        "b2_class_loss.png",
        "b2_class_samples_epoch01.png",
        "b2_class_sampling_epoch01.gif",
        "b2_guidance_scales.png",
    ],
    "b_fm": [
        "b1_noising_process.png",
        "b1_denoiser_loss.png",
        "b1_denoiser_results.png",
        "b1_sigma_sweep.png",
        "b2_fm_time_loss.png",
        "b2_fm_time_samples_epoch01.png",
        "b2_fm_time_sampling_epoch01.gif",
        "b2_fm_class_loss.png",
        "b2_fm_class_samples_epoch01.png",
        "b2_fm_class_sampling_epoch01.gif",
        "b2_fm_guidance_scales.png",
    ],
    "a": [
        "a0_pipeline_samples.png",
        "a1_1_forward.png",
        "a1_2_gaussian_denoise.png",
        "a1_3_one_step_denoise.png",
        "a1_4_iterative_steps.png",
        "a1_4_compare.png",
        "a1_5_samples.png",
        "a1_5_sampling_steps.png",
        "a1_6_cfg_samples.png",
        "a1_6_cfg_sampling_steps.png",
        "a1_7_sdedit_test_image.png",
        "a1_7_1_sdedit_scribble.png",
        "a1_7_2_inpaint.png",
        "a1_7_3_text_sdedit.png",
        "a1_8_anagram_1.png",
        "a1_8_anagram_2.png",
        "a1_9_hybrid_1.png",
        "a1_9_hybrid_2.png",
    ],
}

# SPEC §2: the names students implement (solutions.part_a's __all__ also lists bind() and constants).
SPEC_NAMES = {
    "a": ["forward", "gaussian_denoise", "one_step_denoise", "iterative_denoise", "iterative_denoise_cfg", "sdedit",
          "inpaint", "make_flip_illusion", "make_hybrids"],
    "b": ["Conv", "DownConv", "UpConv", "Flatten", "Unflatten", "ConvBlock", "DownBlock", "UpBlock", "FCBlock",
          "UnconditionalUNet", "TimeConditionalUNet", "ClassConditionalUNet", "add_noise", "ddpm_schedule",
          "ddpm_forward", "ddpm_sample", "ddpm_forward_cond", "ddpm_sample_cond", "DDPM"],
    "b_fm": ["Conv", "DownConv", "UpConv", "Flatten", "Unflatten", "ConvBlock", "DownBlock", "UpBlock", "FCBlock",
             "UnconditionalUNet", "TimeConditionalUNet", "ClassConditionalUNet", "add_noise", "time_fm_forward",
             "time_fm_sample", "FlowMatching", "class_fm_forward", "class_fm_sample"],
}
MINI_IF_READY = (REPO / "data" / "mini_if" / "model_index.json").exists()


def _part_a_ready() -> bool:
    if importlib.util.find_spec("solutions.part_a") is None:
        return False
    from solutions.templates import template_path

    return template_path("a").exists()


def _parts() -> list:
    skip_a = pytest.mark.skip(reason="Part A: solutions.part_a or its template not there yet")
    return [pytest.param("a", marks=() if _part_a_ready() else skip_a), "b", "b_fm"]


PARTS = _parts()
EXECUTION_SECONDS: dict[str, float] = {}


# ------------------------------------------------------------------------------------------ fixtures


def _execute(path: Path, workdir: Path, allow_errors: bool) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ["FUNDIFF_OFFLINE"] = "1"
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU, QUICK settings
    os.environ.setdefault("MPLBACKEND", "Agg")
    if not MINI_IF_READY:  # until the mini denoiser's weights ship, run Part A on the random tiny IF pipeline
        os.environ["FUNDIFF_PART_A_MODEL"] = "tiny"
    try:
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
            resources={"metadata": {"path": str(workdir)}},
        )
        start = time.perf_counter()
        client.execute()
        EXECUTION_SECONDS[f"{path.parent.name}/{path.name}"] = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return nb


@pytest.fixture(scope="module")
def executed_solution(tmp_path_factory):
    cache: dict[str, tuple[nbformat.NotebookNode, Path]] = {}

    def run(part: str):
        if part not in cache:
            workdir = tmp_path_factory.mktemp(f"solution_{part}")
            cache[part] = (_execute(REPO / "solutions" / f"part_{part}.ipynb", workdir, allow_errors=False), workdir)
        return cache[part]

    return run


@pytest.fixture(scope="module")
def executed_student(tmp_path_factory):
    cache: dict[str, nbformat.NotebookNode] = {}

    def run(part: str):
        if part not in cache:
            workdir = tmp_path_factory.mktemp(f"student_{part}")
            cache[part] = _execute(REPO / "assignment" / f"part_{part}.ipynb", workdir, allow_errors=True)
        return cache[part]

    return run


@pytest.fixture(scope="module", autouse=True)
def report_execution_time():
    yield
    if EXECUTION_SECONDS:
        total = sum(EXECUTION_SECONDS.values())
        lines = [f"  {name}: {seconds:.1f} s" for name, seconds in sorted(EXECUTION_SECONDS.items())]
        print("\nnotebook execution times:\n" + "\n".join(lines) + f"\n  total: {total:.1f} s")


# ---------------------------------------------------------------------------------------- helpers


def _text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def _solution_lines(nb: nbformat.NotebookNode, helpers: str = "all") -> set[str]:
    """Distinctive lines of the reference: inside solution regions and in solution-only cells, less those that
    also occur in the notebook's given code (signatures, training loops).

    ``helpers``: ``"all"`` lines of the solution-only helper cells, or only their ``"defs"`` (``def _sample(…``): a
    generic line such as an argument check may legitimately also occur in the given package.
    """
    lines: set[str] = set()
    shown: list[str] = []
    for cell in nb.cells:
        if helpers == "defs" and "solution_only" in cell.metadata.get("tags", []):
            lines |= {line.strip() for line in cell.source.splitlines() if line.startswith(("def ", "class "))}
            continue
        inside = "solution_only" in cell.metadata.get("tags", [])
        for line in cell.source.splitlines():
            stripped = line.strip()
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = "solution_only" in cell.metadata.get("tags", [])
            elif inside and len(stripped) >= 24 and not stripped.startswith(("#", '"""', "return ", "super().__init__")):
                lines.add(stripped)
            elif not inside:
                shown.append(line)
    shown_text = "\n".join(shown)
    return {line for line in lines if line not in shown_text}


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        elif "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"])
    return "".join(parts)


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return names


# ------------------------------------------------------------------------------------------- tests


def test_release_regenerates_the_committed_notebooks():
    parts = ["a", "b", "b_fm"] if _part_a_ready() else ["b", "b_fm"]
    stale = [str(p.relative_to(REPO)) for p, changed in release(REPO, parts, check=True).items() if changed]
    assert not stale, f"committed notebooks differ from a fresh release (run `python -m autograder release`): {stale}"


def test_release_is_deterministic():
    from autograder.release import notebook_bytes

    first, second = solution_notebook("b"), solution_notebook("b")
    assert notebook_bytes(first) == notebook_bytes(second)
    assert notebook_bytes(student_notebook(first)) == notebook_bytes(student_notebook(second))


@pytest.mark.parametrize("part", PARTS)
def test_student_notebook_shows_a_stub_for_each_spec_name(part):
    student = nbformat.read(REPO / "assignment" / f"part_{part}.ipynb", as_version=4)
    impl = {c.id.removeprefix("impl-"): c for c in student.cells if c.id.startswith("impl-")}
    assert sorted(impl) == sorted(SPEC_NAMES[part]), "one implementation cell per SPEC §2 name"
    for name, cell in impl.items():
        assert re.search(rf"^(class|def) {name}\b", cell.source, re.M), f"{name}: the signature is missing"
        assert STUB in cell.source and "# YOUR CODE HERE" in cell.source, f"{name}: no stub"
        assert '"""' in cell.source, f"{name}: the docstring is missing"
        assert cell.metadata["nbgrader"]["solution"] is True
    assert BEGIN not in _text(student) and END not in _text(student)
    checks = [c.source for c in student.cells if c.id.startswith("check-")]
    assert checks == [f"check({name})" for name in impl], "a check(...) cell after every implementation"
    for cell in student.cells:
        assert cell.cell_type != "code" or (not cell.outputs and cell.execution_count is None), "outputs left in"


@pytest.mark.parametrize("part", PARTS)
def test_student_notebook_contains_no_reference_code(part):
    solution = nbformat.read(REPO / "solutions" / f"part_{part}.ipynb", as_version=4)
    student_text = _text(nbformat.read(REPO / "assignment" / f"part_{part}.ipynb", as_version=4))
    reference = _solution_lines(solution)
    assert len(reference) > 20, "the solution notebook should hold the reference"
    leaked = sorted(line for line in reference if line in student_text)
    assert not leaked, f"reference lines in the student notebook: {leaked[:5]}"
    assert not any("solution_only" in c.metadata.get("tags", []) for c in
                   nbformat.read(REPO / "assignment" / f"part_{part}.ipynb", as_version=4).cells)


@pytest.mark.parametrize("part", PARTS)
def test_solution_notebook_runs_and_draws_every_figure(part, executed_solution):
    nb, workdir = executed_solution(part)
    for cell in nb.cells:
        if re.fullmatch(r"check\(\w+\)", cell.source.strip()):
            output = _outputs_text(cell)
            assert "❌" not in output and "public checks passed" in output, f"{cell.source}:\n{output}"
    figures = workdir / "outputs" / f"part_{part}"
    missing = [name for name in EXPECTED_FIGURES[part] if not (figures / name).is_file()]
    assert not missing, f"figures not written: {missing} (have {sorted(p.name for p in figures.glob('*'))})"


@pytest.mark.parametrize("part", PARTS)
def test_student_notebook_fails_only_with_not_implemented(part, executed_student):
    nb = executed_student(part)
    failed_names: set[str] = set()
    not_implemented = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if re.fullmatch(r"check\(\w+\)", cell.source.strip()):
            assert not errors, f"{cell.source} raised {errors[0].ename}: {errors[0].evalue}"
            assert "not implemented yet" in _outputs_text(cell), f"{cell.source}: {_outputs_text(cell)}"
            continue
        for error in errors:
            if error.ename == "NotImplementedError":
                not_implemented += 1
            else:
                missing = re.match(r"name '(\w+)' is not defined", error.evalue)
                assert error.ename == "NameError" and missing and missing.group(1) in failed_names, (
                    f"cell {cell.id} broke with {error.ename}: {error.evalue}\n{cell.source}"
                )
            failed_names |= _assigned_names(cell.source)
    assert not_implemented > 0, "the experiments should hit the stubs"


def test_student_pack_holds_no_solution(tmp_path):
    reference: set[str] = set()
    for part in ("b", "b_fm"):
        reference |= _solution_lines(nbformat.read(REPO / "solutions" / f"part_{part}.ipynb", as_version=4), helpers="defs")
    if _part_a_ready():
        reference |= _solution_lines(nbformat.read(REPO / "solutions" / "part_a.ipynb", as_version=4), helpers="defs")
    path = pack(REPO, tmp_path / "student.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        checks = {f"assignment/checks/{module}.py" for module in ("__init__", "registry", "tracing", "blocks", "unets",
                                                                "ddpm", "flow_matching", "fake_pipelines", "part_a")}
        assert {"assignment/part_b.ipynb", "assignment/part_b_fm.ipynb"} <= set(names), "both Part B versions by default"
        assert checks <= set(names), sorted(checks - set(names))
        assert "requirements.txt" in names and "data/mnist_classifier.safetensors" in names
        forbidden = [n for n in names if n.split("/")[0] in {"solutions", "autograder", "graph_training", "tests", "docker",
                                                           "benchmarks", ".ci"}]
        assert not forbidden, f"instructor files in the pack: {forbidden}"
        for name in names:
            data = archive.read(name)
            if b"\0" in data[:1024]:
                continue  # binary (weights, images)
            text = data.decode("utf-8", errors="ignore")
            assert BEGIN not in text, f"{name} holds a solution region"
            assert not re.search(r"^\s*(from|import)\s+(solutions|autograder|graph_training)\b", text, re.M), \
                f"{name} imports the reference or the grader's machinery"
            leaked = [line for line in reference if line in text]
            assert not leaked, f"{name} holds reference code: {leaked[:3]}"
    assert pack(REPO, tmp_path / "again.zip").read_bytes() == path.read_bytes(), "the pack is not reproducible"


@pytest.mark.parametrize("version, shipped, left_out", [("ddpm", "part_b", "part_b_fm"), ("flow", "part_b_fm", "part_b")])
def test_student_pack_holds_the_chosen_part_b_version(tmp_path, version, shipped, left_out):
    with zipfile.ZipFile(pack(REPO, tmp_path / "student.zip", part_b=version)) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.md").decode()
    assert f"assignment/{shipped}.ipynb" in names and f"assignment/{left_out}.ipynb" not in names
    assert f"`assignment/{shipped}.ipynb`" in readme and left_out + ".ipynb" not in readme
