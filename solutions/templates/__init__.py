"""Notebook templates and the code that expands them into solution notebooks.

``part_a.pct.py``, ``part_b.pct.py`` and ``part_b_fm.pct.py`` (Part B's flow-matching version) hold the prose, setup and experiment cells of each notebook; their
``implement`` cells name the SPEC §2 functions and classes whose reference code is read from
``solutions.part_a`` / ``solutions.part_b`` at release time (:mod:`solutions.templates.regions`). Run
``python -m autograder release`` to regenerate the notebooks.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATES_DIR", "TEMPLATES", "template_path"]

TEMPLATES_DIR = Path(__file__).resolve().parent
TEMPLATES = {"a": "part_a.pct.py", "b": "part_b.pct.py", "b_fm": "part_b_fm.pct.py"}


def template_path(part: str) -> Path:
    """The template file of part ``"a"``, ``"b"`` (DDPM version) or ``"b_fm"`` (flow-matching version)."""
    return TEMPLATES_DIR / TEMPLATES[part]
