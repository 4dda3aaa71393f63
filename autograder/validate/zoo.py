"""The kit's zoo of submissions: patches on the reference (mutants and correct variants), and their reach.

A zoo entry is a Python file of constants (read with :func:`ast.literal_eval`, never executed): ``PART``,
``IN`` (the top-level function/class the patch lives in, or a list), ``REPLACE`` (``(old, new)`` pairs, each matching
once in exactly one ``IN`` definition; ``(old, new, "each")`` is applied in every ``IN`` definition), optionally
``APPEND`` (top-level code added at the end of the file: the imports and module-level values a real notebook has,
e.g. ``import mediapy as media``), ``ORIGIN`` (the real-submission pattern it reproduces, in words), and for
mutants ``TARGET`` (the start of the test's name that must lose points) and ``SPEC_LINE`` (the bug, as listed in
``docs/spec.md`` §6).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ZOO_ROOT = Path(__file__).resolve().parent / "zoo_files"


@dataclass
class ZooEntry:
    """One mutant or variant."""

    path: Path
    doc: str
    part: str
    within: list[str]
    replace: list[tuple[str, ...]]
    target: str | None = None
    spec_line: str | None = None
    append: str = ""
    origin: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The file's stem."""
        return self.path.stem


def read_entry(path: Path) -> ZooEntry:
    """Parse a zoo file's constants without running it."""
    tree = ast.parse(path.read_text())
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    within = values["IN"] if isinstance(values["IN"], list) else [values["IN"]]
    return ZooEntry(path, ast.get_docstring(tree) or "", values["PART"], within,
                    [tuple(pair) for pair in values.get("REPLACE", [])], values.get("TARGET"), values.get("SPEC_LINE"),
                    values.get("APPEND", ""), values.get("ORIGIN", ""))


def entries(folder: Path) -> list[ZooEntry]:
    """All entries of a zoo folder, sorted by name."""
    return [read_entry(p) for p in sorted(folder.glob("*.py")) if p.name != "__init__.py"]


def apply(source: str, entry: ZooEntry) -> str:
    """``source`` with the entry's replacements applied inside its ``IN`` definitions.

    Raises ``ValueError`` (a stale entry) when a replacement does not match exactly once there.
    """
    spans = _spans(source)
    lines = source.split("\n")
    for pair in entry.replace:
        old, new = pair[0], pair[1]
        each = len(pair) > 2 and pair[2] == "each"  # apply in every IN definition (each must hold it once)
        hits = []
        for name in entry.within:
            if name not in spans:
                raise ValueError(f"{entry.name}: no top-level definition {name!r} in the reference")
            start, end = spans[name]
            segment = "\n".join(lines[start:end])
            if segment.count(old) == 1:
                hits.append(name)
        if (len(hits) != len(entry.within)) if each else (len(hits) != 1):
            raise ValueError(f"{entry.name}: replacement {old[:50]!r}… matches {len(hits)} of {entry.within} (stale?)")
        for name in hits:
            start, end = spans[name]
            segment = "\n".join(lines[start:end]).replace(old, new)
            lines[start:end] = segment.split("\n")
            source = "\n".join(lines)
            spans = _spans(source)
            lines = source.split("\n")
    if entry.append:
        source = source.rstrip("\n") + "\n\n" + entry.append.strip("\n") + "\n"
    return source


def reach(source: str, names: list[str]) -> set[str]:
    """``names`` and every top-level definition that uses them, directly or through others."""
    uses: dict[str, set[str]] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            refs = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            refs |= {b.id for b in getattr(node, "bases", []) if isinstance(b, ast.Name)}
            uses.setdefault(node.name, set()).update(refs - {node.name})
    found = set(names)
    changed = True
    while changed:
        changed = False
        for definition, refs in uses.items():
            if definition not in found and refs & found:
                found.add(definition)
                changed = True
    return found


def _spans(source: str) -> dict[str, tuple[int, int]]:
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            spans[node.name] = (start, node.end_lineno)
    return spans
