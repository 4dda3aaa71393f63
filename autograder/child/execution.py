"""Execute a submission's statements in a fresh module namespace, inside the sandboxed child.

The given names are bound first and win over any rebinding; each statement is compiled under its cell's name and
registered with :mod:`linecache` (tracebacks show the student's own line); a statement that fails costs only the
names it defines; library functions the submission replaced at import are put back (and reported only when the
submission, not a library it imported, replaced them).
"""

from __future__ import annotations

import ast
import sys
import types
from typing import Any


def execute_submission(submission: dict[str, Any], given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Execute the submission's statements in a fresh module namespace with ``given`` bound first.

    Returns the namespace and a log ``{"errors": {origin: message}, "not_run": {origin: message}, "defined": [...]}``.
    ``errors`` are failures of the student's definitions (a ``def``/``class`` statement, a decorator); ``not_run``
    are harmless top-level lines that could not run while grading (an optional import such as ``google.colab``,
    a lookup of the student's own prompt in the grader's dictionary, a value computed from a skipped
    experiment). Each statement is compiled under its cell's name and registered with :mod:`linecache`, so a
    traceback inside a student's function shows that line's text.
    """
    import linecache

    import records

    module = types.ModuleType("submission")
    module.__dict__.update(given)
    sys.modules["submission"] = module
    errors: dict[str, str] = {}
    not_run: dict[str, str] = {}
    dependent: list[str] = []
    cell_lines: dict[str, list[str]] = {}
    snapshot = _snapshot()
    for statement in submission.get("statements", []):
        origin = statement["origin"]
        label = origin.rsplit(", line ", 1)[0]
        start = int(statement.get("lineno", 1))
        filename = f"{records.SUBMISSION_FILENAME}:{label}"
        lines = cell_lines.setdefault(filename, [])
        code_lines = statement["code"].split("\n")
        lines.extend("\n" for _ in range(start - 1 + len(code_lines) - len(lines)))
        for offset, text in enumerate(code_lines):
            lines[start - 1 + offset] = text + "\n"
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
        source = "\n" * (start - 1) + statement["code"]
        try:
            code = compile(ast.parse(source), filename, "exec")
            exec(code, module.__dict__)
        except BaseException as error:  # SystemExit at import must not end the probe
            if isinstance(error, KeyboardInterrupt):
                raise
            kind = statement.get("kind")
            if kind == "assign" and isinstance(error, NameError):
                dependent.append(origin)  # a leftover of an experiment the grader skipped
            elif kind in ("import", "assign") and isinstance(error, Exception):
                not_run[origin] = records.describe_error(error, with_location=False)
            else:
                errors[origin] = records.describe_error(error)
        for name, value in given.items():  # the grader's models win over any rebinding
            module.__dict__[name] = value
    restored = _restore(snapshot)
    if restored:
        errors["import"] = "your code replaced library functions at import (restored by the grader): " + ", ".join(restored[:8])
    defined = sorted(k for k in module.__dict__ if not k.startswith("__"))
    return module.__dict__, {"errors": errors, "not_run": not_run, "defined": defined, "dependent": dependent}


def _snapshot() -> list[tuple[Any, dict[str, Any]]]:
    """Shallow copies of the namespaces a submission could poison at import (builtins, torch, numpy)."""
    import builtins

    import numpy
    import torch

    owners = [builtins, torch, torch.Tensor, torch.nn.functional, torch.testing, numpy, torch.nn.Module]
    return [(owner, dict(vars(owner))) for owner in owners]


def _restore(snapshot: list[tuple[Any, dict[str, Any]]]) -> list[str]:
    """Put back every attribute changed since :func:`_snapshot`; returns the names the *submission* replaced.

    Libraries imported by a submission may wrap library functions themselves (importing ``torchvision`` pulls in
    ``torch._dynamo``, which wraps ``torch.manual_seed``): those are restored too but not blamed on the student.
    A change is the submission's when the new value's code was compiled from the submission (or is not code).
    """
    changed = []
    for owner, saved in snapshot:
        for name, value in saved.items():
            current = vars(owner).get(name)
            if current is not value:
                try:
                    setattr(owner, name, value)
                    if _from_submission(current):
                        changed.append(f"{getattr(owner, '__name__', owner)}.{name}")
                except (AttributeError, TypeError):
                    pass
        for name in [n for n in vars(owner) if n not in saved and not isinstance(vars(owner)[n], types.ModuleType)]:
            try:
                current = vars(owner)[name]
                delattr(owner, name)
                if _from_submission(current):
                    changed.append(f"{getattr(owner, '__name__', owner)}.{name}")
            except (AttributeError, TypeError):
                pass
    return changed


def _from_submission(value: Any) -> bool:
    """Whether ``value`` came from the submission: code compiled from it, or anything that is not library code."""
    import records

    target = value
    for _ in range(8):  # unwrap functools.wraps chains and bound methods
        inner = getattr(target, "__wrapped__", None) or getattr(target, "__func__", None)
        if inner is None or inner is target:
            break
        code = getattr(target, "__code__", None)
        if code is not None and code.co_filename.startswith(records.SUBMISSION_FILENAME):
            return True
        target = inner
    code = getattr(target, "__code__", None)
    if code is not None:
        return code.co_filename.startswith(records.SUBMISSION_FILENAME)
    module = getattr(target, "__module__", None) or getattr(type(target), "__module__", "")
    return not module or module == "submission" or module == "builtins" and not callable(target)
