"""Pairs of submissions whose solution code is alike: a lead for a person to read, never a verdict.

What is compared is the code the grader keeps (:func:`autograder.submission.load_submission`'s statements: imports
left out), minus the kit's own code: every statement identical to one of the generated student notebooks
(``assignment/part_a.ipynb``, ``assignment/part_b.ipynb``) is removed, and what remains of those notebooks (the
signatures and docstrings every student keeps) is given to the detector as boilerplate. Each submission's code is
written to ``OUTDIR/code/<id>.py`` when it is graded, so ``merge-shards`` can compare the whole class.

Two backends:

* ``copydetect`` (winnowed fingerprints of the token stream, names and strings normalised, as in MOSS) when the
  package is installed;
* otherwise a fallback: :class:`difflib.SequenceMatcher` on normalised token streams (names → ``V``, strings →
  ``S``), with a note saying so.

A pair's score is the mean of the two shares of each file's code found in the other; both shares are shown.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import io
import itertools
import keyword
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.classroom.inputs import Entry

REPO_ROOT = Path(__file__).resolve().parents[2]
STUDENT_NOTEBOOKS = (REPO_ROOT / "assignment" / "part_a.ipynb", REPO_ROOT / "assignment" / "part_b.ipynb")
CODE_HEADER = "# fundiff solution code of "
#: copydetect's defaults (noise threshold 25 and guarantee threshold 30 characters of normalised code).
NOISE_CHARS, GUARANTEE_CHARS = 25, 30
#: The fallback counts only common runs of at least this many tokens.
MIN_RUN_TOKENS = 12


@dataclass
class Pair:
    """Two submissions' likeness: the score, each side's share, and each side's matched character spans."""

    a: str
    b: str
    score: float
    share_a: float
    share_b: float
    spans_a: list[tuple[int, int]] = field(default_factory=list)
    spans_b: list[tuple[int, int]] = field(default_factory=list)
    identical: bool = False  # the same code once names, strings, comments and layout are normalised


@dataclass
class Similarity:
    """The ranked pairs, which backend found them, notes (missing library, submissions too short to compare)."""

    pairs: list[Pair]
    method: str
    notes: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


@functools.lru_cache(maxsize=1)
def kit_statements() -> tuple[frozenset[str], str]:
    """The generated student notebooks' statements (normalised) and their code joined (the boilerplate)."""
    from autograder.submission import load_submission

    statements: set[str] = set()
    chunks = []
    for notebook in STUDENT_NOTEBOOKS:
        if notebook.exists():
            for statement in load_submission(notebook).statements:
                statements.add(_normalised(statement.code))
                if statement.kind != "import":
                    chunks.append(statement.code)
    return frozenset(statements), "\n\n".join(chunks)


def solution_code(paths: list[Path]) -> str:
    """The code of ``paths`` that similarity compares: kept statements, less imports and the kit's own statements."""
    from autograder.submission import load_submission

    given, _ = kit_statements()
    chunks = []
    for path in paths:
        for statement in load_submission(path).statements:
            if statement.kind != "import" and _normalised(statement.code) not in given:
                chunks.append(f"# {path.name}, {statement.origin}\n{statement.code}")
    return "\n\n".join(chunks) + ("\n" if chunks else "")


def write_code_files(outdir: Path, entries: list[Entry]) -> None:
    """``OUTDIR/code/<id>.py`` for each entry, unless already there for the same content hash."""
    folder = outdir / "code"
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        path = folder / f"{entry.id}.py"
        header = f"{CODE_HEADER}{entry.id} ({entry.content_hash})\n"
        try:
            if path.read_text().startswith(header):
                continue
        except OSError:
            pass
        try:
            code = solution_code([f.path for f in entry.files])
        except Exception as error:  # a file the loader cannot read: nothing to compare
            code = f"# not compared: {type(error).__name__}\n"
        path.write_text(header + code)


def read_code_files(outdir: Path, ids: list[str] | None = None) -> dict[str, str]:
    """The solution code of each submission in ``OUTDIR/code`` (of ``ids`` only, when given)."""
    codes = {}
    for path in sorted((outdir / "code").glob("*.py")):
        if ids is None or path.stem in ids:
            codes[path.stem] = path.read_text()
    return codes


def find_similar(codes: dict[str, str], top: int = 20, backend: str = "auto") -> Similarity:
    """The ``top`` most alike pairs among ``codes`` (id → code), best first.

    ``backend`` is ``"auto"`` (copydetect if installed, else the fallback), ``"copydetect"`` or ``"difflib"``.
    """
    _, boilerplate = kit_statements()
    notes = []
    method = backend
    if backend in ("auto", "copydetect"):
        try:
            import copydetect  # noqa: F401
            method = "copydetect"
        except ImportError:
            method = "difflib"
            notes.append("copydetect is not installed: pairs were found with the fallback (difflib on normalised "
                         "token streams), which is slower and cruder; `pip install copydetect` for winnowed fingerprints.")
    if method == "copydetect":
        pairs, short = _copydetect_pairs(codes, boilerplate)
    else:
        pairs, short = _difflib_pairs(codes, top)
    if short:
        notes.append(f"{len(short)} submission(s) with too little solution code to compare: {', '.join(sorted(short)[:10])}")
    pairs.sort(key=lambda p: (-p.score, not p.identical, p.a, p.b))
    return Similarity(pairs[:top], method, notes, codes)


@contextlib.contextmanager
def _stable_kgram_hashes() -> Iterator[None]:
    """copydetect hashes k-grams with Python's ``hash``, salted per process: its winnowing (and so the scores) would
    change from run to run. While fingerprinting, use a stable hash (blake2b) instead."""
    import numpy as np
    from copydetect import utils

    def hashed_kgrams(string: str, k: int) -> Any:
        return np.array([int.from_bytes(hashlib.blake2b(string[i:i + k].encode(), digest_size=8).digest(), "little",
                                        signed=True) for i in range(len(string) - k + 1)], dtype=np.int64)

    original = utils.hashed_kgrams
    utils.hashed_kgrams = hashed_kgrams
    try:
        yield
    finally:
        utils.hashed_kgrams = original


def _copydetect_pairs(codes: dict[str, str], boilerplate: str) -> tuple[list[Pair], list[str]]:
    import numpy as np
    from copydetect import CodeFingerprint, compare_files

    window = GUARANTEE_CHARS - NOISE_CHARS + 1
    prints, short = {}, []
    with _stable_kgram_hashes():
        kit = CodeFingerprint("kit.py", NOISE_CHARS, window, fp=io.StringIO(boilerplate), language="python")
        boiler = np.unique(np.fromiter(kit.hashes, dtype=np.int64)) if len(kit.hashes) else None
        for name, code in codes.items():
            fingerprint = CodeFingerprint(f"{name}.py", NOISE_CHARS, window, boilerplate=boiler, fp=io.StringIO(code),
                                          language="python")
            if len(fingerprint.hashes) == 0 or fingerprint.token_coverage == 0:  # shorter than the noise threshold
                short.append(name)
                continue
            prints[name] = fingerprint
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        if overlap == 0:
            continue
        share_a, share_b = float(min(1.0, share_a)), float(min(1.0, share_b))
        spans = lambda s: [(int(x), int(y)) for x, y in zip(*s)] if len(np.asarray(s).shape) == 2 else []
        identical = prints[a].filtered_code == prints[b].filtered_code
        pairs.append(Pair(a, b, (share_a + share_b) / 2, share_a, share_b, spans(slices_a), spans(slices_b), identical))
    return pairs, short


_TOKEN = re.compile(r"\w+|[^\w\s]")


def _tokens(code: str) -> list[tuple[str, int, int]]:
    """Normalised tokens with their character spans: names → ``V``, strings → ``S``, comments dropped."""
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENDMARKER):
                continue
            text = token.string
            if token.type == tokenize.NAME and not keyword.iskeyword(text):
                text = "V"
            elif token.type == tokenize.STRING:
                text = "S"
            begin = starts[token.start[0] - 1] + token.start[1]
            end = starts[token.end[0] - 1] + token.end[1]
            found.append((text, begin, end))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        found = [("V" if m.group().isidentifier() and not keyword.iskeyword(m.group()) else m.group(), m.start(), m.end())
                 for m in _TOKEN.finditer(code) if not code[max(0, code.rfind("\n", 0, m.start())):m.start()].lstrip().startswith("#")]
    return found


def _difflib_pairs(codes: dict[str, str], top: int) -> tuple[list[Pair], list[str]]:
    """The fallback: candidate pairs by shared token 8-grams (fast, sets), then :class:`difflib.SequenceMatcher` on
    the ``3 × top`` best candidates for the score and the matched regions."""
    streams, grams, short = {}, {}, []
    for name, code in codes.items():
        tokens = _tokens(code)
        if len(tokens) < MIN_RUN_TOKENS:
            short.append(name)
            continue
        streams[name] = tokens
        texts = [t[0] for t in tokens]
        grams[name] = {hash(tuple(texts[i:i + 8])) for i in range(len(texts) - 7)}
    candidates = []
    for a, b in itertools.combinations(sorted(streams), 2):
        shared = len(grams[a] & grams[b])
        if shared:
            candidates.append(((shared / len(grams[a]) + shared / len(grams[b])) / 2, a, b))
    candidates.sort(reverse=True)
    pairs = []
    for _, a, b in candidates[:max(30, 3 * top)]:
        ta, tb = streams[a], streams[b]
        matcher = difflib.SequenceMatcher(None, [t[0] for t in ta], [t[0] for t in tb], autojunk=False)
        blocks = [m for m in matcher.get_matching_blocks() if m.size >= MIN_RUN_TOKENS]
        if not blocks:
            continue
        matched = sum(m.size for m in blocks)
        share_a, share_b = matched / len(ta), matched / len(tb)
        pairs.append(Pair(a, b, (share_a + share_b) / 2, share_a, share_b,
                          [(ta[m.a][1], ta[m.a + m.size - 1][2]) for m in blocks],
                          [(tb[m.b][1], tb[m.b + m.size - 1][2]) for m in blocks],
                          [t[0] for t in ta] == [t[0] for t in tb]))
    return pairs, short
