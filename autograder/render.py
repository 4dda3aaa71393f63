"""Render the reference package as a student submission (``.py``), so ``validate`` grades it the same way.

The result is what a student notebook would contain: imports, the reference's definitions and its
top-level constants, read from the ``solutions`` modules' source. Any module-level helpers the reference
uses come along, so the rendered file runs on its own without importing ``solutions``.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path


def render_reference(parts: tuple[str, ...] = ("a", "b")) -> str:
    """The source of ``solutions.part_a``/``part_b`` concatenated as one submission file."""
    chunks = []
    for part in parts:
        try:
            module = importlib.import_module(f"solutions.part_{part}")
        except ImportError:
            continue
        source = inspect.getsource(module)
        chunks.append(f"# %% ---- reference part {part} ({Path(module.__file__).name}) ----\n{source}")
    return "\n\n".join(chunks)


def write_reference(path: str | Path, parts: tuple[str, ...] = ("a", "b")) -> Path:
    """Write :func:`render_reference` to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_reference(parts))
    return path
