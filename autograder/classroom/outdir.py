"""The files grade-all keeps in ``OUTDIR`` (``results/<id>.json``, ``results/<id>.meta.json``): paths, atomic
writes, reading back, and whether a submission's stored result is up to date."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from autograder.classroom.inputs import Entry

#: Status of a submission's row: graded (whatever the score), no gradable file, or the grader failed on it.
GRADED, MISSING, ERROR = "graded", "missing", "error"

# --------------------------------------------------------------------------------------------------------------
# files in OUTDIR


def _file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


#: The mode of the files written (as ``open`` would create them): ``mkstemp``'s 0600 would hide them from the staff's group.
FILE_MODE = _file_mode()


def results_path(outdir: Path, entry_id: str) -> Path:
    """``OUTDIR/results/<id>.json``."""
    return outdir / "results" / f"{entry_id}.json"


def meta_path(outdir: Path, entry_id: str) -> Path:
    """``OUTDIR/results/<id>.meta.json``."""
    return outdir / "results" / f"{entry_id}.meta.json"


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a temporary file in the same folder, then :func:`os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(data, out, indent=2, default=str)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """Parsed JSON, or ``None`` when the file is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_metas(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every ``results/<id>.meta.json`` of ``outdir`` whose results file exists, by id."""
    metas = {}
    for path in sorted((outdir / "results").glob("*.meta.json")):
        meta = read_json(path)
        if isinstance(meta, dict) and "id" in meta and results_path(outdir, meta["id"]).is_file():
            metas[meta["id"]] = meta
    return metas


def current_ids(outdir: Path) -> list[str] | None:
    """The ids of ``outdir``'s submissions as its last run (or merge) listed them in ``inputs.json``."""
    data = read_json(outdir / "inputs.json")
    return list(data["ids"]) if isinstance(data, dict) and isinstance(data.get("ids"), list) else None


def _up_to_date(outdir: Path, entry: Entry, version: str, settings: dict[str, Any]) -> bool:
    meta = read_json(meta_path(outdir, entry.id))
    return (isinstance(meta, dict) and meta.get("status") in (GRADED, MISSING)
            and meta.get("content_hash") == entry.content_hash and meta.get("grader_version") == version
            and meta.get("settings") == settings and isinstance(read_json(results_path(outdir, entry.id)), dict))


def _meta(entry: Entry, row: dict[str, Any], version: str, settings: dict[str, Any]) -> dict[str, Any]:
    results = row["results"]
    return {
        "id": entry.id,
        "status": row["status"],
        "error": row.get("error"),
        "score": results.get("score"),
        "max_score": results.get("max_score"),
        "content_hash": entry.content_hash,
        "grader_version": version,
        "settings": settings,
        "files": [{"path": f.relative, "part": f.part} for f in entry.files],
        "source": str(entry.source),
        "submitters": [dataclasses.asdict(s) for s in entry.submitters],
        "notes": list(entry.notes),
        "graded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(float(row.get("seconds", 0.0)), 2),
    }
