"""Template → solution notebook (nbformat), with fixed cell ids and nbgrader cell metadata.

The solution notebook is the instructor's master: the reference code sits in nbgrader solution regions,
and :mod:`autograder.release` derives the student notebook from it with nbgrader's preprocessors.
"""

from __future__ import annotations

import ast
import hashlib

import nbformat
from nbformat import NotebookNode

from solutions.templates.percent import Template, TemplateCell
from solutions.templates.regions import given_source, helper_source, implementation_source

__all__ = ["SOLUTION_ONLY_TAG", "STUDENT_PACK", "COLAB_CELL", "build_solution_notebook", "NOTEBOOK_METADATA"]

STUDENT_PACK = "fun-with-diffusion-student.zip"
"""File name of the students' download (written by ``python -m autograder release pack``)."""

COLAB_CELL = f'''# Colab: make the course kit importable. Elsewhere (kit installed with pip) this cell does nothing.
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

if "google.colab" in sys.modules and importlib.util.find_spec("assignment") is None:
    pack, kit = Path("/content/{STUDENT_PACK}"), Path("/content/fun-with-diffusion")
    if not kit.exists():
        if not pack.exists():
            raise FileNotFoundError(f"Upload {{pack.name}} (from the course page) to /content, then run this cell again.")
        zipfile.ZipFile(pack).extractall(kit)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-r", str(kit / "requirements.txt")])
    sys.path.insert(0, str(kit))'''
"""The first code cell of every notebook."""

SOLUTION_ONLY_TAG = "solution_only"
"""Cells tagged so are dropped whole from the student notebook (the reference's private helpers)."""

NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
    "accelerator": "GPU",  # Colab: ask for a GPU runtime (QUICK = False needs one)
}


def build_solution_notebook(template: Template) -> NotebookNode:
    """The solution notebook of ``template``: every directive expanded, no outputs, deterministic ids."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = NotebookNode(NOTEBOOK_METADATA)
    given_so_far: dict[str, set[str]] = {}
    ids: set[str] = set()
    for cell in template.cells:
        for new in _expand(cell, template.reference, given_so_far):
            if new.id in ids:
                new.id = _unique(new.id, ids)
            ids.add(new.id)
            nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def _expand(cell: TemplateCell, reference: str, given_so_far: dict[str, set[str]]) -> list[NotebookNode]:
    if cell.kind == "markdown":
        return [_markdown(cell.source, "md-" + _digest(cell.source))]
    if cell.kind == "code":
        return [_code(cell.source, "code-" + _digest(cell.source))]
    if cell.kind == "implement":
        (name,) = cell.args
        impl = _code(implementation_source(reference, name), f"impl-{name}")
        impl.metadata["nbgrader"] = _nbgrader(f"impl-{name}", solution=True)
        checker = _code(f"check({name})", f"check-{name}")
        checker.metadata["nbgrader"] = _nbgrader(f"check-{name}", locked=True)
        return [impl, checker]
    if cell.kind == "colab":
        return [_code(COLAB_CELL, "colab-setup")]
    if cell.kind == "helpers":
        helpers = _code(
            "# Reference helpers used by the solutions below (this cell is not in the student notebook).\n"
            + helper_source(cell.args[0] if cell.args else reference),
            "helpers" + (f"-{cell.args[0].rsplit('.', 1)[-1]}" if cell.args else ""),
        )
        helpers.metadata["tags"] = [SOLUTION_ONLY_TAG]
        return [helpers]
    if cell.kind == "given":
        module, *names = cell.args
        done = given_so_far.setdefault(module, set())
        source = given_source(module, names, already=done, with_imports=not done)
        done.update(_top_level_names(source))
        return [_code(source, "given-" + names[0].replace("_", "-").lower())]
    raise ValueError(f"unknown template cell kind {cell.kind!r}")


def _top_level_names(source: str) -> set[str]:
    """Functions, classes and assigned names defined at the top level of ``source``."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _markdown(source: str, cell_id: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cell_id
    return cell


def _code(source: str, cell_id: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    return cell


def _nbgrader(grade_id: str, solution: bool = False, locked: bool = False) -> dict:
    return {
        "grade": False,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _unique(cell_id: str, taken: set[str]) -> str:
    n = 2
    while f"{cell_id}-{n}" in taken:
        n += 1
    return f"{cell_id}-{n}"
