"""Turn a submission file (``.ipynb`` or ``.py``) into the list of statements the grader will run.

From each code cell only top-level imports, function and class definitions and simple assignments are
kept; everything else (training loops, plots, DeepFloyd loading, ``!pip``/``%%bash`` cells, expression
statements) is skipped and listed in :attr:`Submission.skipped`. One exception: a top-level assignment that
calls something (``criterion = nn.MSELoss()``, ``unet = TimeConditionalUNet(1, 10, 64).to(device)``) is kept
when the submission's functions or classes read that name and every call in it is a cheap constructor (a
``torch``/``torch.nn`` object, one of the submission's own classes, or an allowed call), because the
functions would otherwise fail with a ``NameError`` the notebook never showed (:func:`_keep_needed`).
Assignments to the given names (``stage_1``, ``device``, …) are skipped too: the grader binds those to its own
models. A cell that does not parse is skipped with a message; problems with the file itself (not JSON, another
kernel language, too large, empty) become :attr:`Submission.problems`, which the results file reports instead
of crashing.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assignment.names import FUNCTION_ALIASES

GIVEN_NAMES = ("stage_1", "stage_2", "device", "strided_timesteps", "add_variance", "prompt_embeds_dict")
#: Notebooks keep their outputs (Colab embeds every figure): only code is read, so the limit is Gradescope's own
#: upload limit, not the size of the code (a 50 MB notebook loads in 0.2 s).
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_CELL_CHARS = 200_000
_CHUNK_START = re.compile(r"^(def |class |async def |import |from |@|[A-Za-z_][A-Za-z_0-9]* *=)")

# Calls that may appear in a kept top-level assignment: cheap, side-effect-free constructors.
ALLOWED_CALLS = {
    "int", "float", "str", "bool", "list", "tuple", "dict", "set", "frozenset", "range", "len", "sorted",
    "min", "max", "abs", "round", "zip", "enumerate", "reversed", "sum", "slice", "print",
    "torch.tensor", "torch.as_tensor", "torch.linspace", "torch.arange", "torch.zeros", "torch.ones",
    "torch.full", "torch.device", "torch.float16", "torch.float32", "torch.cumprod", "torch.sqrt",
    "np.array", "np.linspace", "np.arange", "numpy.array", "math.sqrt", "math.exp", "math.log",
    "functools.partial", "partial", "namedtuple", "collections.namedtuple", "TypeVar", "dataclass",
    "torch.cuda.is_available", "ddpm_schedule", "torch.Generator",
}
ALLOWED_METHODS = {"to", "half", "float", "cuda", "cpu", "manual_seed", "tolist", "item", "clone", "detach"}


@dataclass
class Statement:
    """One kept top-level statement and where it came from (``cell 3, line 5``)."""

    code: str
    origin: str
    lineno: int
    kind: str
    names: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form sent to the child."""
        return {"code": self.code, "origin": self.origin, "lineno": self.lineno, "kind": self.kind, "names": self.names}


@dataclass
class Submission:
    """What the grader will run from a submission, and what it left out and why."""

    path: str
    statements: list[Statement] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    deferred: list[tuple[int, Statement, list[str], str]] = field(default_factory=list, repr=False)
    """Skipped assignments that call something: ``(position among statements, statement, calls, why skipped)``."""

    @property
    def defined_names(self) -> set[str]:
        """Names the kept statements define (functions, classes, assigned names), with the assignment's name of a
        function defined under one of the course's other names (:data:`FUNCTION_ALIASES`)."""
        names = {name for s in self.statements for name in s.names}
        return names | {canonical for canonical, aliases in FUNCTION_ALIASES.items() if names & set(aliases)}

    def payload(self) -> list[dict[str, Any]]:
        """The statements in the form the sandboxed child reads."""
        return [s.as_dict() for s in self.statements]


def load_submission(path: str | Path) -> Submission:
    """Read ``path`` and extract its gradable statements; never raises for a bad file."""
    path = Path(path)
    submission = Submission(path=str(path))
    try:
        size = path.stat().st_size
    except OSError as error:
        submission.problems.append(f"cannot read the submission file: {error.strerror or error}")
        return submission
    if size > MAX_FILE_BYTES:
        submission.problems.append(
            f"the submission is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB. "
            "Clear the notebook's outputs (Kernel → Restart & Clear Output) and submit again."
        )
        return submission
    raw = path.read_bytes()
    if not raw.strip():
        submission.problems.append("the submission file is empty")
        return submission
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        submission.problems.append("the submission is not a UTF-8 text file (a notebook .ipynb or a Python .py file)")
        return submission
    if path.suffix == ".ipynb" or (path.suffix != ".py" and text.lstrip().startswith("{")):
        cells = _notebook_cells(text, submission)
    else:
        cells = [("file", text)]
    for label, source in cells:
        _extract(label, source, submission)
    _keep_needed(submission)
    if not submission.statements and not submission.problems:
        submission.problems.append("no function, class or import definitions were found in the submission")
    return submission


def _notebook_cells(text: str, submission: Submission) -> list[tuple[str, str]]:
    import nbformat

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        submission.problems.append(
            f"the notebook is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "re-download it from Jupyter/Colab (File → Download .ipynb) and submit again"
        )
        return []
    if not isinstance(data, dict) or "cells" not in data:
        submission.problems.append("the file is JSON but not a Jupyter notebook (no 'cells')")
        return []
    language = str(((data.get("metadata") or {}).get("kernelspec") or {}).get("language")
                   or ((data.get("metadata") or {}).get("language_info") or {}).get("name") or "python")
    if language.lower() not in ("python", "python3", "ipython", "ipython3"):
        submission.problems.append(f"the notebook's kernel language is {language!r}; this assignment is graded in Python")
        return []
    try:
        with warnings.catch_warnings():  # cells without ids (nbformat < 4.5 files) are fine: only sources are read
            warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
            notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several types for odd notebooks
        submission.problems.append(f"the notebook could not be read ({type(error).__name__}); re-save it in Jupyter")
        return []
    cells = []
    for cell in notebook.cells:  # numbered among code cells only: markdown cells have no number in Jupyter/Colab
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            cells.append((f"code cell {len(cells) + 1}", str(source)))
    return cells


def _extract(label: str, source: str, submission: Submission) -> None:
    if len(source) > MAX_CELL_CHARS:
        submission.skipped.append(f"{label}: too long ({len(source)} characters), skipped")
        return
    lines = source.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        submission.skipped.append(f"{label}: cell magic {first.split()[0]} skipped")
        return
    cleaned = []
    continued = False
    for line in lines:  # line magics and shell escapes (with their `\` continuation lines) become blank lines
        stripped = line.lstrip()
        magic = continued or stripped.startswith(("!", "%"))
        cleaned.append("" if magic else line)
        continued = magic and line.rstrip().endswith("\\")
    text = "\n".join(cleaned)
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        where = f"line {error.lineno}" if error.lineno else "somewhere"
        submission.skipped.append(f"{label}: syntax error at {where} ({error.msg})")
        submission.problems.append(f"{label} has a syntax error at {where}: {error.msg}; the definitions around it were graded separately")
        for start, chunk in _top_level_chunks(cleaned):
            try:
                sub_tree = ast.parse("\n" * (start - 1) + chunk)
            except SyntaxError:
                submission.skipped.append(f"{label}, line {start}: part of the syntax error, not graded")
                continue
            _keep(label, sub_tree, cleaned, submission)
        return
    _keep(label, tree, cleaned, submission)


def _top_level_chunks(lines: list[str]) -> list[tuple[int, str]]:
    """Split source at column-0 definitions so one syntax error spoils only its own definition."""
    starts = [i for i, line in enumerate(lines) if _CHUNK_START.match(line)] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = starts[1:] + [len(lines)]
    return [(a + 1, "\n".join(lines[a:b])) for a, b in zip(starts, bounds)]


def _keep(label: str, tree: ast.Module, cleaned: list[str], submission: Submission) -> None:
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        kind, names, why = _classify(node)
        origin = f"{label}, line {node.lineno}"
        decorators = getattr(node, "decorator_list", [])
        start = min([node.lineno] + [d.lineno for d in decorators])
        segment = "\n".join(cleaned[start - 1: node.end_lineno])
        if why:
            submission.skipped.append(f"{origin}: {why}")
            if kind == "assign" and why.startswith("calls ") and isinstance(node, ast.Assign):
                calls = [_dotted(n.func) or (f".{n.func.attr}" if isinstance(n.func, ast.Attribute) else "")
                         for n in ast.walk(node.value) if isinstance(n, ast.Call)]
                statement = Statement(segment, origin, start, kind, names)
                submission.deferred.append((len(submission.statements), statement, calls, f"{origin}: {why}"))
            continue
        submission.statements.append(Statement(segment, origin, start, kind, names))


def _classify(node: ast.stmt) -> tuple[str, list[str], str | None]:
    """``(kind, names defined, reason to skip or None)``."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = [(a.asname or a.name).split(".")[0] for a in node.names]
        return "import", names, None
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if node.name in GIVEN_NAMES:
            return "def", [node.name], f"redefines the given name {node.name!r}, which the grader provides"
        return "def", [node.name], None
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        if not names or any(not isinstance(t, (ast.Name, ast.Tuple)) for t in targets):
            return "assign", names, "assignment to an attribute or item (skipped)"
        if any(n in GIVEN_NAMES for n in names):
            return "assign", names, f"assigns the given name(s) {', '.join(n for n in names if n in GIVEN_NAMES)}, which the grader provides"
        value = node.value
        if value is None:
            return "assign", names, None
        bad = _disallowed_call(value)
        if bad:
            return "assign", names, f"calls {bad}(…) at the top level (experiments are not run by the grader)"
        return "assign", names, None
    if isinstance(node, ast.Try) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body):
        return "import", [], None
    return type(node).__name__.lower(), [], f"top-level {type(node).__name__} statement (not run by the grader)"


#: torchvision transforms too: Part A submissions build their blur once at the top level (T.GaussianBlur(33, 2)).
CHEAP_CALL_PREFIXES = ("nn.", "torch.nn.", "F.", "torch.", "math.", "np.", "numpy.", "T.", "TF.", "transforms.",
                       "torchvision.transforms.")
NOT_CHEAP_CALLS = {"torch.load", "torch.hub.load", "np.load", "numpy.load", "torch.compile"}


def _keep_needed(submission: Submission) -> None:
    """Keep the deferred assignments whose names the kept functions and classes read and nothing kept defines.

    Each goes back in its notebook position (so the classes it constructs are defined first); a deferred
    assignment that still fails while grading costs only the names it defines, like any kept assignment.
    """
    if not submission.deferred:
        return
    defined = {name for s in submission.statements for name in s.names} | set(GIVEN_NAMES)
    classes = {s.names[0] for s in submission.statements if s.kind == "def" and _is_class(s.code)}
    wanted = set()
    for statement in submission.statements:
        if statement.kind == "def":
            wanted |= _free_names(statement.code)
    chosen: dict[str, tuple[int, Statement, str]] = {}
    for position, statement, calls, why in submission.deferred:
        needed = [n for n in statement.names if n in wanted and n not in defined]
        cheap = all(c and c not in NOT_CHEAP_CALLS and (c in ALLOWED_CALLS or c in classes or c.startswith(CHEAP_CALL_PREFIXES)
                                                          or c.rsplit(".", 1)[-1] in ALLOWED_METHODS) for c in calls)
        if needed and cheap:
            for name in needed:
                chosen[name] = (position, statement, why)  # the notebook's last assignment of the name wins
    for position, statement, why in sorted({id(v[1]): v for v in chosen.values()}.values(), key=lambda v: v[0], reverse=True):
        submission.statements.insert(position, statement)
        if why in submission.skipped:
            submission.skipped.remove(why)


def _is_class(code: str) -> bool:
    try:
        return isinstance(ast.parse(textwrap.dedent(code)).body[0], ast.ClassDef)
    except (SyntaxError, IndexError):
        return False


def _free_names(code: str) -> set[str]:
    """Names a function or class definition reads but does not bind itself (parameters, local stores)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return set()
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
    return loads - stores


def _disallowed_call(value: ast.expr) -> str | None:
    for node in ast.walk(value):
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in ALLOWED_CALLS:
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in ALLOWED_METHODS:
                continue
            return name or "a function"
    return None


def _dotted(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return ".".join(reversed(parts))
    return ""
