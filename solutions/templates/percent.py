"""Read a notebook template: a jupytext-style "percent" script (``*.pct.py``).

A template is a plain Python file split into cells by ``# %%`` lines. Besides jupytext's own headers it knows
three directives that pull code from the ``solutions`` package instead of repeating it:

=======================================  =====================================================================
``# %% [markdown]``                      a Markdown cell; each line loses its leading ``# `` (``#`` alone = blank)
``# %%``                                 a code cell, copied as written
``# %% implement NAME``                  the reference ``NAME`` with solution markers, then ``check(NAME)``
``# %% helpers [MODULE]``                the reference module's (or ``MODULE``'s) private helpers (solution notebook only)
``# %% colab``                             the first-cell set-up for Colab (unpacks the student kit)
``# %% given MODULE NAME [NAME …]``      experiment code from ``MODULE`` shown as is (e.g. training loops)
=======================================  =====================================================================

Lines before the first ``# %%`` are the template's own notes; a line ``# reference: MODULE`` among them names
the module that ``implement`` and ``helpers`` read (e.g. ``solutions.part_b``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TemplateCell", "Template", "parse_template", "read_template"]

_HEADER = re.compile(r"^# %%(?P<rest>.*)$")
_REFERENCE = re.compile(r"^#\s*reference:\s*(?P<module>[\w.]+)\s*$")
KINDS = ("markdown", "code", "implement", "helpers", "colab", "given")


@dataclass(frozen=True)
class TemplateCell:
    """One cell of a template: its ``kind`` (see :data:`KINDS`), its text and the directive's arguments."""

    kind: str
    source: str = ""
    args: tuple[str, ...] = ()
    line: int = 0  # where the cell starts in the template (1-based), for error messages


@dataclass(frozen=True)
class Template:
    """A parsed template: the reference module it draws on and its cells, in order."""

    reference: str
    cells: list[TemplateCell] = field(default_factory=list)
    path: Path | None = None


def read_template(path: str | Path) -> Template:
    """Parse the template file at ``path``."""
    path = Path(path)
    template = parse_template(path.read_text(encoding="utf-8"))
    return Template(template.reference, template.cells, path)


def parse_template(text: str) -> Template:
    """Parse a percent-format template (see the module docstring)."""
    reference = ""
    cells: list[TemplateCell] = []
    current: tuple[str, tuple[str, ...], int] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is not None:
            kind, args, line = current
            cells.append(TemplateCell(kind, _cell_text(kind, body, line), args, line))

    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            flush()
            current = (*_directive(match.group("rest").strip(), number), number)
            body = []
        elif current is None:
            ref = _REFERENCE.match(line)
            if ref:
                reference = ref.group("module")
        else:
            body.append(line)
    flush()
    if any(c.kind in ("implement", "helpers") for c in cells) and not reference:
        raise ValueError("the template uses `implement`/`helpers` but names no `# reference: MODULE`")
    return Template(reference, cells)


def _directive(rest: str, number: int) -> tuple[str, tuple[str, ...]]:
    if rest in ("", "[code]"):
        return "code", ()
    if rest == "[markdown]":
        return "markdown", ()
    words = rest.split()
    kind, args = words[0], tuple(words[1:])
    if kind == "implement" and len(args) == 1:
        return kind, args
    if kind == "colab" and not args or kind == "helpers" and len(args) <= 1:
        return kind, args
    if kind == "given" and len(args) >= 2:
        return kind, args
    raise ValueError(f"line {number}: unknown cell header `# %% {rest}`")


def _cell_text(kind: str, lines: list[str], number: int) -> str:
    if kind == "markdown":
        out = []
        for offset, line in enumerate(lines, start=1):
            if line == "#":
                out.append("")
            elif line.startswith("# "):
                out.append(line[2:])
            elif not line.strip():
                out.append("")
            else:
                raise ValueError(f"line {number + offset}: markdown lines must start with '# ' ({line!r})")
        lines = out
    elif kind in ("implement", "helpers", "colab", "given") and any(line.strip() for line in lines):
        raise ValueError(f"line {number}: a `{kind}` cell is generated; leave its body empty")
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(lines)
