"""Reference source → notebook code, by reading the ``solutions`` modules with :mod:`ast`.

One source of truth: the notebooks never hold a hand-written copy of the reference. This module cuts the
text of a top-level function or class out of its module and wraps every body in nbgrader's solution markers,
so that the signature and the docstring stay outside them (what students see) and the body inside (what
``ClearSolutions`` replaces with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``).

* a function: header and docstring kept, the rest of the body marked;
* a class: header, docstring and every public method's signature and docstring kept; each public method's
  body is marked, together with the private methods that follow it (``_encode`` …), which are reference too;
* :func:`helper_source`: the module's private helpers and constants (``_sample``, ``one_hot`` …) — the
  solution notebook needs them, the student notebook drops them whole;
* :func:`given_source`: experiment code (training loops) shown to students as is, with the private
  helpers it needs, and imports of ``solutions`` removed so it runs against the notebook's own names.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterable, Sequence
from functools import cache

__all__ = ["BEGIN", "END", "module_source", "implementation_source", "helper_source", "given_source", "public_names"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


@cache
def module_source(module: str) -> str:
    """The source text of an importable module, e.g. ``"solutions.part_b"``."""
    return inspect.getsource(importlib.import_module(module))


def public_names(module: str) -> list[str]:
    """The module's ``__all__`` (the SPEC names it implements), in order."""
    return list(importlib.import_module(module).__all__)


def implementation_source(module: str, name: str) -> str:
    """The source of top-level ``name`` in ``module`` with each body wrapped in nbgrader solution markers.

    A name ``module`` imports from another ``solutions`` module (the flow-matching version re-exports the DDPM
    version's blocks) is read where it is defined, so each implementation is still written once.
    """
    defined_in = getattr(getattr(importlib.import_module(module), name, None), "__module__", module)
    if defined_in != module and defined_in.startswith("solutions."):
        module = defined_in
    source = module_source(module)
    lines = source.splitlines()
    node = _top_level(ast.parse(source), name, module)
    if isinstance(node, ast.ClassDef):
        return "\n".join(_marked_class(node, lines))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "\n".join(_marked_function(node, lines, _end(node)))
    raise TypeError(f"{module}.{name} is neither a function nor a class")


def helper_source(module: str, exclude: Iterable[str] = ()) -> str:
    """The private helpers the reference calls: the module's ``NOTEBOOK_HELPERS`` when it declares them, else every
    top-level statement that is not a docstring, an import, ``__all__``, a public (``__all__``) name or in ``exclude``."""
    source = module_source(module)
    tree = ast.parse(source)
    declared = getattr(importlib.import_module(module), "NOTEBOOK_HELPERS", None)
    if declared is not None:  # the module says which helpers a notebook embeds (Part A: argument checks only)
        wanted = set(declared) - set(exclude)
        return "\n\n\n".join(_segment(source, n) for n in tree.body if _defined(n) & wanted and not _is_import(n))
    skip = set(public_names(module)) | set(exclude)
    pieces = [
        _segment(source, node)
        for node in tree.body
        if not _is_docstring(node) and not _is_import(node) and not _is_dunder_all(node) and _defined(node) - skip
    ]
    return "\n\n\n".join(pieces)


def given_source(module: str, names: Sequence[str], already: Iterable[str] = (), with_imports: bool = True) -> str:
    """``names`` from ``module`` with the top-level helpers they use (transitively), in module order.

    Args:
        names: the public functions/classes to show.
        already: top-level names emitted by an earlier cell (not repeated).
        with_imports: start with the module's imports, less ``__future__`` and ``solutions.*`` ones.
    """
    source = module_source(module)
    tree = ast.parse(source)
    defs = {name: node for node in tree.body for name in _defined(node) if not _is_import(node)}
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in wanted or name in set(already):
            continue
        if name not in defs:
            raise KeyError(f"{module} defines no top-level {name!r}")
        wanted.add(name)
        todo.extend(n for n in _names_used(defs[name]) if n in defs and n not in wanted)
    pieces = []
    if with_imports:
        pieces.append("\n".join(_segment(source, n) for n in tree.body if _is_import(n) and not _skipped_import(n)))
    pieces += [_segment(source, node) for node in tree.body if _defined(node) & wanted and not _is_import(node)]
    return "\n\n\n".join(pieces)


# ------------------------------------------------------------------------------------------ helpers


def _top_level(tree: ast.Module, name: str, module: str) -> ast.stmt:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return node
    raise KeyError(f"{module} defines no top-level function or class {name!r}")


def _start(node: ast.stmt) -> int:
    """First line (1-based) of ``node``, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _end(node: ast.stmt) -> int:
    return node.end_lineno  # type: ignore[return-value]


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_import(node: ast.stmt) -> bool:
    return isinstance(node, (ast.Import, ast.ImportFrom))


def _skipped_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "__future__" or (node.module or "").split(".")[0] == "solutions"
    return any(alias.name.split(".")[0] == "solutions" for alias in node.names)  # type: ignore[attr-defined]


def _is_dunder_all(node: ast.stmt) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)


def _defined(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _segment(source: str, node: ast.stmt) -> str:
    lines = source.splitlines()
    return "\n".join(lines[_start(node) - 1 : _end(node)])


def _body_start(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[int, int | None]:
    """(last line of the kept header, first line of the marked body or None when only a docstring)."""
    body = node.body
    if body and _is_docstring(body[0]):
        header_end = _end(body[0])
        rest = body[1:]
    else:
        header_end = body[0].lineno - 1
        rest = body
    return header_end, (rest[0].lineno if rest else None)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _marked_function(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str], region_end: int) -> list[str]:
    """Header + docstring, then ``BEGIN``, the body (up to line ``region_end``), ``END``."""
    header_end, body_start = _body_start(node)
    if body_start is None:
        raise ValueError(f"{node.name} has no body besides its docstring")
    indent = _indent(lines[body_start - 1])
    body = lines[header_end:region_end]
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    return lines[_start(node) - 1 : header_end] + [indent + BEGIN] + body + [indent + END]


def _marked_class(node: ast.ClassDef, lines: list[str]) -> list[str]:
    header_end, _ = _body_start(node)
    out = lines[_start(node) - 1 : header_end]
    members = [m for m in node.body if not _is_docstring(m)]
    i = 0
    while i < len(members):
        member = members[i]
        if not _is_public_method(member):
            # statements before the first public method (class attributes) are shown as they are
            out += [""] + lines[_start(member) - 1 : _end(member)]
            i += 1
            continue
        j = i + 1
        while j < len(members) and not _is_public_method(members[j]):
            j += 1  # private methods after a public one belong to its solution region
        region_end = _end(members[j - 1])
        out += [""] + _marked_function(member, lines, region_end)  # type: ignore[arg-type]
        i = j
    return out


def _is_public_method(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return not node.name.startswith("_") or (node.name.startswith("__") and node.name.endswith("__"))
