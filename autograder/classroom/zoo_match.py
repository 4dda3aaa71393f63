"""The bug zoo's side of the class report: a mutant's failure *signature* (the set of ``(test, normalised first line
of feedback)`` it fails), graded once per grader version and device and cached in ``OUTDIR/.zoo_signatures.json``,
and the normalisation that makes one mistake's messages group together (numbers replaced by ``#``)."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.classroom.engine import grader_version, read_json, resolve_device, write_json

if TYPE_CHECKING:
    from autograder.classroom.report import ReportOptions

ZOO_CACHE = ".zoo_signatures.json"
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def normalise(message: str) -> str:
    """The first line of a feedback message, numbers replaced by ``#`` and spaces collapsed."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return " ".join(_NUMBER.sub("#", first).split())[:240]


def failure_set(tests: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    """``{(test name, normalised message)}`` of the failed tests."""
    return frozenset((t.get("name", ""), normalise(t.get("output", ""))) for t in tests if t.get("status") != "passed")


# --------------------------------------------------------------------------------------------------------------
# the bug zoo's signatures


def zoo_signatures(outdir: Path, parts: set[str], options: ReportOptions, echo: Any = None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every mutant of ``parts``: ``{name: {doc, spec_line, target, part, signature}}``, and notes.

    Cached in ``OUTDIR/.zoo_signatures.json`` per grader version, device and mutant file: only mutants not yet
    graded by this grader version are graded (in one batch).
    """
    from autograder.grading import Options, grade_many
    from autograder.render import render_reference
    from autograder.validate import zoo

    folder = Path(options.zoo_dir) if options.zoo_dir else zoo.ZOO_ROOT / "mutants"
    parts = set(parts) | ({"b_fm"} if "b" in parts else set())  # Part B's flow-matching version's mutants too
    entries = [e for e in zoo.entries(folder) if e.part in parts and e.target]
    version, device = zoo_version(), resolve_device(options.gpu)
    cache = read_json(outdir / ZOO_CACHE)
    if not (isinstance(cache, dict) and cache.get("grader_version") == version and cache.get("device") == device):
        cache = {"grader_version": version, "device": device, "mutants": {}}
    known: dict[str, dict[str, Any]] = cache["mutants"]
    hashes = {e.name: hashlib.sha256(e.path.read_bytes()).hexdigest()[:16] for e in entries}
    needed = [e for e in entries if known.get(e.name, {}).get("file_hash") != hashes[e.name]]
    notes: list[str] = []
    if needed:
        if echo:
            echo(f"report: grading {len(needed)} bug-zoo mutant(s) once for this grader version, to match failures "
                 f"(cached in {outdir / ZOO_CACHE}; --no-zoo-match skips this)")
        sources = {part: render_reference((part,)) for part in parts}
        with tempfile.TemporaryDirectory(prefix="fundiff-zoo-") as tmp:
            paths, only, graded = [], [], []
            for entry in needed:
                try:
                    patched = zoo.apply(sources[entry.part], entry)
                except ValueError as error:
                    notes.append(f"mutant {entry.name} not used: {error}")
                    continue
                path = Path(tmp) / f"{entry.name}.py"
                path.write_text(patched)
                paths.append(path)
                only.append(frozenset(zoo.reach(patched, entry.within)))
                graded.append(entry)
            reports = grade_many(paths, Options(part="all", gpu=options.gpu, jobs=options.jobs,
                                                timeout_scale=options.timeout_scale), only_names=only) if paths else []
        for entry, report in zip(graded, reports):
            signature = failure_set([t.as_gradescope() for t in report.tests])
            known[entry.name] = {"doc": entry.doc.strip().splitlines()[0] if entry.doc.strip() else entry.name,
                                 "spec_line": entry.spec_line or "", "target": entry.target or "", "part": entry.part,
                                 "file_hash": hashes[entry.name], "signature": sorted(map(list, signature))}
        write_json(outdir / ZOO_CACHE, cache)
    return {e.name: known[e.name] for e in entries if e.name in known}, notes



def zoo_version() -> str:
    """The key of the mutants' signatures: the grader version and the code that applies a zoo entry to the reference."""
    from autograder.validate import zoo

    return f"{grader_version()}+{hashlib.sha256(Path(zoo.__file__).read_bytes()).hexdigest()[:8]}"


def merge_zoo_caches(folders: list[Path], out: Path) -> None:
    """Merge the bug-zoo signature caches of ``folders`` into ``out``'s: those of this grader version, per device."""
    version = zoo_version()
    caches = [read_json(folder / ZOO_CACHE) for folder in [out, *folders]]
    caches = [c for c in caches if isinstance(c, dict) and c.get("grader_version") == version]
    if not caches:
        return
    merged = caches[0]
    for cache in caches[1:]:
        if cache.get("device") == merged.get("device"):
            for name, record in (cache.get("mutants") or {}).items():
                merged.setdefault("mutants", {}).setdefault(name, record)
    write_json(out / ZOO_CACHE, merged)
