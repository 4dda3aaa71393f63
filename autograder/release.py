"""Release: templates → solution notebooks → (nbgrader) → student notebooks → the students' zip.

A release is a short list of steps, each usable alone:

1. :func:`solution_notebook` expands a template (``solutions/templates/part_*.pct.py``) into the solution
   notebook: reference code read from ``solutions.part_a`` / ``solutions.part_b`` inside nbgrader's
   ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers;
2. :func:`student_notebook` runs nbgrader's own preprocessors on it (``ClearSolutions``, ``ClearOutput``,
   ``LockCells``) after dropping the solution-only helper cell, so each implementation becomes
   ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` under its signature and docstring;
3. :func:`release` writes both (``solutions/part_*.ipynb``, ``assignment/part_*.ipynb``), byte-for-byte stable;
   Part B comes in two versions from the same blocks — ``part_b`` (DDPM) and ``part_b_fm`` (flow matching) —
   and ``--part-b ddpm|flow|both`` picks which ones a release writes and the students' zip holds;
4. :func:`pack` zips what students download: the ``assignment`` package with its notebooks, the data it reads,
   a ``requirements.txt`` and a short README — no solutions, no grader, no reference outputs.

    python -m autograder release                 # regenerate all notebooks
    python -m autograder release --check         # exit 1 if the committed notebooks differ from a fresh release
    python -m autograder release pack [--part-b flow] [--out dist/fun-with-diffusion-student.zip]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = [
    "REPO",
    "PARTS",
    "PART_B_VERSIONS",
    "solution_notebook",
    "student_notebook",
    "notebook_bytes",
    "release",
    "pack",
    "pack_members",
    "main",
]

REPO = Path(__file__).resolve().parents[1]
PARTS = ("a", "b", "b_fm")
PART_B_VERSIONS = {"ddpm": ("b",), "flow": ("b_fm",), "both": ("b", "b_fm")}
"""``--part-b`` → the Part B notebooks (``part_b``: DDPM, ``part_b_fm``: flow matching) a release covers."""
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same pack bytes on every run


def solution_notebook(part: str) -> NotebookNode:
    """Step 1: the solution notebook of part ``"a"``, ``"b"`` or ``"b_fm"``, built from its template."""
    from solutions.templates import template_path
    from solutions.templates.build import build_solution_notebook
    from solutions.templates.percent import read_template

    return build_solution_notebook(read_template(template_path(part)))


def student_notebook(solution: NotebookNode) -> NotebookNode:
    """Step 2: the student notebook derived from ``solution`` by nbgrader's preprocessors (input untouched)."""
    try:
        from nbgrader.preprocessors import ClearOutput, ClearSolutions, LockCells
    except ImportError as error:  # nbgrader is in the [dev] extra
        raise RuntimeError("releasing needs nbgrader: pip install -e '.[dev]'") from error
    from solutions.templates.build import SOLUTION_ONLY_TAG

    nb = copy.deepcopy(solution)
    nb.cells = [c for c in nb.cells if SOLUTION_ONLY_TAG not in c.get("metadata", {}).get("tags", [])]
    resources: dict = {}
    for step in (ClearSolutions(), ClearOutput(), LockCells()):
        nb, resources = step.preprocess(nb, resources)
    nbformat.validate(nb)
    return nb


def notebook_bytes(nb: NotebookNode) -> bytes:
    """Canonical bytes of a notebook: nbformat's JSON (sorted keys, indent 1), no outputs, trailing newline."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def release(root: str | Path = REPO, parts: Iterable[str] = PARTS, check: bool = False) -> dict[Path, bool]:
    """Step 3: write (or with ``check`` only compare) the solution and student notebooks of ``parts``.

    Returns ``{path: changed}`` — whether the file on disk differed from the fresh release (and, unless
    ``check``, was rewritten). A part whose reference module is not importable yet is skipped with a note.
    """
    root = Path(root)
    result: dict[Path, bool] = {}
    for part in parts:
        if importlib.util.find_spec(f"solutions.part_{part}") is None:
            print(f"release: solutions.part_{part} is not there yet; skipping part {part}", file=sys.stderr)
            continue
        solution = solution_notebook(part)
        outputs = {
            root / "solutions" / f"part_{part}.ipynb": notebook_bytes(copy.deepcopy(solution)),
            root / "assignment" / f"part_{part}.ipynb": notebook_bytes(student_notebook(solution)),
        }
        for path, data in outputs.items():
            changed = not path.exists() or path.read_bytes() != data
            result[path] = changed
            if changed and not check:
                path.write_bytes(data)
    return result


def pack_members(root: str | Path = REPO, part_b: str = "both") -> dict[str, bytes]:
    """What the students' zip holds, ``{archive name: bytes}``: the git-tracked ``assignment/`` (package and
    notebooks; of Part B's notebooks those of the ``part_b`` version, see :data:`PART_B_VERSIONS`) and the data
    files it reads (``data/``, less the regenerated MNIST folder and builders that need the reference),
    ``requirements.txt`` and ``README.md``."""
    root = Path(root)
    left_out = {f"assignment/part_{part}.ipynb" for part in PART_B_VERSIONS["both"]} - {
        f"assignment/part_{part}.ipynb" for part in PART_B_VERSIONS[part_b]}
    members: dict[str, bytes] = {}
    for rel in _kit_files(root, ("assignment", "data")):
        path = root / rel
        if path.is_file() and _shippable(rel, path) and rel not in left_out:
            members[rel] = path.read_bytes()
    members["requirements.txt"] = _requirements(root).encode()
    notebooks = ", ".join(f"`{name}`" for name in sorted(members) if name.endswith(".ipynb"))
    members["README.md"] = _STUDENT_README.format(notebooks=notebooks).encode()
    return members


def pack(root: str | Path = REPO, out: str | Path | None = None, part_b: str = "both") -> Path:
    """Step 4: write the students' zip (default ``dist/fun-with-diffusion-student.zip``) with the Part B
    notebook(s) of version ``part_b`` (``"ddpm"``, ``"flow"`` or ``"both"``); returns its path."""
    from solutions.templates.build import STUDENT_PACK

    root = Path(root)
    out = Path(out) if out is not None else root / "dist" / STUDENT_PACK
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(pack_members(root, part_b).items()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.release …``: the same as ``python -m autograder release …``."""
    from autograder.cli import build_parser

    return run(build_parser().parse_args(["release", *(sys.argv[1:] if argv is None else argv)]))


def run(args: argparse.Namespace) -> int:
    """``release [--part a|b|all] [--part-b ddpm|flow|both] [--check]`` or ``release pack [--out ZIP]`` (parsed by
    :mod:`autograder.cli`); returns the exit status."""
    part_b = getattr(args, "part_b", "both")
    if getattr(args, "release_command", None) == "pack":
        path = pack(REPO, args.out, part_b)
        print(f"wrote {path} ({len(pack_members(REPO, part_b))} files; Part B: {part_b})")
        return 0
    parts = (("a",) if args.part in ("a", "all") else ()) + (PART_B_VERSIONS[part_b] if args.part in ("b", "all") else ())
    result = release(REPO, parts, check=args.check)
    for path, changed in result.items():
        state = ("differs" if args.check else "rewritten") if changed else "unchanged"
        print(f"{state:>9}  {path.relative_to(REPO)}")
    if args.check and any(result.values()):
        print("notebooks are stale: run `python -m autograder release`", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------------------------ helpers

_STUDENT_README = """# Fun with Diffusion Models — student kit

* {notebooks}: the notebooks you complete.
* `assignment/`: the given code they import (models, data, figures, `check`).
* `data/`: the files that code reads.

Local set-up: `pip install -r requirements.txt`, then open the notebooks from this folder with JupyterLab.
Colab: upload this zip to `/content` and run the notebook's first cell.
"""


def _shippable(rel: str, path: Path) -> bool:
    parts = rel.split("/")
    if "__pycache__" in parts or path.suffix in {".pyc", ".pyo"} or parts[-1].startswith("."):
        return False
    if rel.startswith("data/mnist/"):  # rebuilt (or downloaded) by assignment.mnist on first use
        return False
    if rel.startswith("data/reference_models/"):  # trained reference weights: the instructors' main job only
        return False
    if path.suffix == ".py" and re.search(r"^\s*(from|import)\s+(solutions|autograder)\b", path.read_text(errors="ignore"), re.M):
        return False  # builders that need the reference stay with the instructors
    return True


def _kit_files(root: Path, folders: Sequence[str]) -> list[str]:
    """Files under ``folders``: those git tracks (so half-built local outputs stay out), else all on disk."""
    import subprocess

    try:
        listed = subprocess.run(["git", "ls-files", "--", *folders], cwd=root, capture_output=True, text=True, check=True)
        return sorted(line for line in listed.stdout.splitlines() if line)
    except (OSError, subprocess.CalledProcessError):
        return sorted(p.relative_to(root).as_posix() for f in folders for p in (root / f).rglob("*") if p.is_file())


def _requirements(root: Path) -> str:
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return "\n".join(project.get("dependencies", [])) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
