"""``merge-shards``: combine the ``OUTDIR``s of ``grade-all --shard I/N`` runs into one.

Each shard's results, meta and solution-code files are copied (atomically) into the merged folder; when two shards
hold the same id, the most recently graded copy wins (and a note says so). The merged ``inputs.json`` lists the union
of the shards' ids and problems, the bug-zoo signature caches are merged, the grading logs concatenated, and the
gradebook and the report are rebuilt over the whole class.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.classroom.engine import current_ids, meta_path, read_json, read_metas, results_path, write_json


@dataclass
class MergeSummary:
    """What a merge did."""

    out: Path
    ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gradebook: Path | None = None
    report: Path | None = None

    def text(self) -> str:
        """The summary printed by ``merge-shards``."""
        lines = [f"merge-shards: {len(self.ids)} submissions merged into {self.out}"]
        lines += [f"  note: {note}" for note in self.notes]
        if self.gradebook:
            lines.append(f"  gradebook  {self.gradebook}")
        if self.report:
            lines.append(f"  report     {self.report}")
        return "\n".join(lines)


def merge_shards(inputs: list[str | Path], out: str | Path, report_options: Any = None, echo: Any = print) -> MergeSummary:
    """Merge the shard folders ``inputs`` into ``out`` (which may be one of them) and rebuild the gradebook and the
    report (``report_options``: a :class:`autograder.classroom.report.ReportOptions`; ``False`` for no report)."""
    from autograder.classroom import gradebook, report

    out = Path(out)
    folders = [Path(p) for p in inputs]
    for folder in folders:
        if not (folder / "results").is_dir():
            raise FileNotFoundError(f"{folder} is not a grade-all output folder (no results/ inside)")
    (out / "results").mkdir(parents=True, exist_ok=True)
    summary = MergeSummary(out)
    chosen: dict[str, tuple[Path, dict[str, Any]]] = {}
    problems: list[str] = []
    roots, layouts, parts = [], [], []
    versions, settings = set(), set()
    for folder in folders:
        ids = current_ids(folder)
        info = read_json(folder / "inputs.json") or {}
        roots.append(str(info.get("root", folder)))
        layouts.append(str(info.get("layout", "?")))
        parts.append(info.get("part"))
        problems += [p for p in info.get("problems", []) if p not in problems]
        for entry_id, meta in read_metas(folder).items():
            if ids is not None and entry_id not in ids:
                continue
            versions.add(str(meta.get("grader_version")))
            settings.add(repr(sorted((meta.get("settings") or {}).items())))
            if entry_id in chosen:
                newer = str(meta.get("graded_at", "")) > str(chosen[entry_id][1].get("graded_at", ""))
                summary.notes.append(f"{entry_id} is in {chosen[entry_id][0]} and {folder}: kept the "
                                     f"{'latter' if newer else 'former'} (graded last)")
                if not newer:
                    continue
            chosen[entry_id] = (folder, meta)
    for entry_id, (folder, meta) in sorted(chosen.items()):
        if folder.resolve() != out.resolve():
            _copy(results_path(folder, entry_id), results_path(out, entry_id))
            write_json(meta_path(out, entry_id), meta)
            code = folder / "code" / f"{entry_id}.py"
            if code.is_file():
                _copy(code, out / "code" / f"{entry_id}.py")
    summary.ids = sorted(chosen)
    if len(versions) > 1:
        summary.notes.append(f"the shards were graded by {len(versions)} grader versions: {', '.join(sorted(versions))}")
    if len(settings) > 1:
        summary.notes.append("the shards were graded with different settings (part or device)")
    write_json(out / "inputs.json", {
        "root": roots[0] if len(set(roots)) == 1 else roots, "layout": layouts[0] if len(set(layouts)) == 1 else "mixed",
        "ids": summary.ids, "all_ids": summary.ids, "problems": problems, "shard": None,
        "part": parts[0] if len(set(map(str, parts))) == 1 else None, "merged_from": [str(f) for f in folders]})
    report.merge_zoo_caches([f for f in folders if f.resolve() != out.resolve()], out)
    logs = [f / "grading_log.jsonl" for f in folders if f.resolve() != out.resolve() and (f / "grading_log.jsonl").is_file()]
    if logs:
        with open(out / "grading_log.jsonl", "a") as merged:
            for log in logs:
                merged.write(log.read_text())
    summary.gradebook = gradebook.write_gradebook(out)
    if report_options is not False:
        summary.report = report.write_report(out, report_options or report.ReportOptions(), echo=echo)
    if echo:
        echo(summary.text())
    return summary


def _copy(source: Path, target: Path) -> None:
    """Copy atomically (a temporary name in the target folder, then :func:`os.replace`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
