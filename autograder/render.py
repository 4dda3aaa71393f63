"""Render the reference package as a student submission (``.py``), so ``validate`` grades it the same way.

The result is what a student notebook would contain: imports, the reference's definitions and its
top-level constants, read from the ``solutions`` modules' source. Any module-level helpers the reference
uses come along, so the rendered file runs on its own without importing ``solutions``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path


def render_reference(parts: tuple[str, ...] = ("a", "b")) -> str:
    """The source of ``solutions.part_a``/``part_b`` (or ``part_b_fm``, Part B's flow-matching version) concatenated
    as one submission file."""
    chunks = []
    for part in parts:
        if part == "b_fm":
            chunks.append(_flow_matching_source())
            continue
        try:
            module = importlib.import_module(f"solutions.part_{part}")
        except ImportError:
            continue
        source = inspect.getsource(module)
        chunks.append(f"# %% ---- reference part {part} ({Path(module.__file__).name}) ----\n{source}")
    return "\n\n".join(chunks)


def _flow_matching_source() -> str:
    """Part B's flow-matching version as a student would write it: the DDPM version's blocks, UNets and helpers
    (less what only DDPM uses, and less its ``TimeConditionalUNet``), then ``solutions.part_b_fm`` without its import
    of them."""
    from autograder.groups import DDPM_NAMES

    ddpm_only = set(DDPM_NAMES) | {"TimeConditionalUNet", "_noise_at_random_times", "_sample", "__all__"}
    blocks = _without(inspect.getsource(importlib.import_module("solutions.part_b")), ddpm_only, drop_imports_from=None)
    flow = _without(inspect.getsource(importlib.import_module("solutions.part_b_fm")), {"__all__"},
                    drop_imports_from="solutions.part_b")
    return (f"# %% ---- reference part b, flow-matching version (part_b.py blocks + part_b_fm.py) ----\n{blocks}\n\n"
            f"# %% ---- part_b_fm.py ----\n{flow}")


def _without(source: str, names: set[str], drop_imports_from: str | None) -> str:
    """``source`` less its top-level definitions and assignments of ``names`` (and ``from MODULE import …``)."""
    lines = source.split("\n")
    cut: list[tuple[int, int]] = []
    for node in ast.parse(source).body:
        defined = set()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined = {node.name}
        elif isinstance(node, ast.Assign):
            defined = {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and node.module == drop_imports_from:
            defined = names
        if defined and defined <= names | ({"__all__"} if drop_imports_from else set()):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            cut.append((first - 1, node.end_lineno))
    for first, last in reversed(cut):
        del lines[first:last]
    return "\n".join(lines)


def write_reference(path: str | Path, parts: tuple[str, ...] = ("a", "b")) -> Path:
    """Write :func:`render_reference` to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_reference(parts))
    return path
