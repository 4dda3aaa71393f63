"""Grade a whole class: batches of submissions through :func:`autograder.grading.grade_many`, resumable.

``OUTDIR`` after a run::

    results/<id>.json        Gradescope's results (two graded notebooks merged with results.merge_results)
    results/<id>.meta.json   content hash, grader version, settings, status, submitters, notes
    code/<id>.py             the solution code similarity compares (the kit's given code left out)
    grading_log.jsonl        one line per submission graded, ever (an audit trail: nothing is graded twice)
    inputs.json              what discovery found, the shard, the ids of this OUTDIR
    grades.csv, report.html  rebuilt at the end of every run

A submission is graded again only when its files (content hash), the grader (:func:`grader_version`) or the
settings (part, device) changed, or with ``force``. Each batch of ``batch`` submissions is graded in one sandbox
(the imports paid once); ``workers`` batches run at once, each in its own process. Results are written atomically
(temporary file, then :func:`os.replace`) as each batch finishes, the meta file last, so an interrupted run resumes
where it stopped. A batch whose grading raises becomes a failed row for each of its submissions, with the reason;
the run goes on, and the next run grades them again.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import multiprocessing
import os
import time
import traceback
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import config
from autograder.classroom.catalog import (  # noqa: F401  (re-exported: grade-all's public names)
    GRADING_SOURCES,
    NOT_GRADING,
    expected_max,
    grader_version,
    known_groups,
    parse_shard,
    part_tags,
    resolve_device,
    select_shard,
)
from autograder.classroom.inputs import Discovery, Entry, discover, extract_zip
from autograder.classroom.outdir import (  # noqa: F401  (re-exported)
    ERROR,
    FILE_MODE,
    GRADED,
    MISSING,
    _meta,
    _up_to_date,
    current_ids,
    meta_path,
    read_json,
    read_metas,
    results_path,
    write_json,
)


@dataclass(frozen=True)
class ClassOptions:
    """How to grade a class (the options of ``grade-all``)."""

    part: str = "all"
    gpu: str = "auto"
    workers: int = 1
    batch: int = 8
    shard: tuple[int, int] | None = None
    force: bool = False
    jobs: int = 0
    timeout_scale: float = 1.0
    memory_mb: int = config.MEMORY_MB
    max_batches: int | None = None
    zoo_match: bool = True
    zoo_dir: Path | None = None
    similarity: bool = True
    report: bool = True
    progress: bool = True


@dataclass
class RunSummary:
    """What a run did, for the one-screen summary and for tests."""

    outdir: Path
    source: Path
    layout: str = ""
    found: int = 0
    selected: list[str] = field(default_factory=list)
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_run: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shard: tuple[int, int] | None = None
    interrupted: bool = False
    seconds: float = 0.0
    mean_score: float | None = None
    max_score: float | None = None
    gradebook: Path | None = None
    report: Path | None = None
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The one-screen summary printed at the end of ``grade-all``."""
        shard = f", shard {self.shard[0]}/{self.shard[1]}: {len(self.selected)} of them" if self.shard else ""
        lines = [f"grade-all: {self.found} submissions in {self.source} (layout: {self.layout}){shard}"]
        failed = f"   ({', '.join(sorted(self.failed)[:5])}{' …' if len(self.failed) > 5 else ''}: see the report; " \
                 "run again to retry)" if self.failed else ""
        lines.append(f"  graded now            {len(self.graded):>5}   in {self.seconds:.0f} s")
        lines.append(f"  unchanged, skipped    {len(self.skipped):>5}")
        lines.append(f"  failed to grade       {len(self.failed):>5}{failed}")
        if self.not_run:
            why = "interrupted" if self.interrupted else "stopped after --max-batches"
            lines.append(f"  not graded yet        {len(self.not_run):>5}   ({why}; run the same command again to continue)")
        if self.mean_score is not None:
            lines.append(f"  mean score        {self.mean_score:>9.2f} / {self.max_score:g}")
        if self.problems:
            lines.append(f"  problems              {len(self.problems):>5}   (first: {self.problems[0][:70]})")
        lines += [f"  note: {note}" for note in self.notes]
        if self.gradebook:
            lines.append(f"  gradebook             {self.gradebook}")
        if self.report:
            lines.append(f"  report                {self.report}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------
# one batch (runs in the parent with one worker, else in a worker process)


def grade_batch(items: list[dict[str, Any]], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Grade ``items`` (``{"id", "units": [[path, part or None, label], …]}``) in one :func:`grade_many` call.

    Returns one row per item: ``{"id", "status", "results", "error", "seconds"}``. Never raises: a failure of the
    grader becomes an ``error`` row for every item of the batch, with the reason.
    """
    start = time.monotonic()
    try:
        from autograder.grading import Options, grade_many
        from autograder.results import merge_results

        paths: list[str] = []
        only: list[frozenset[str] | None] = []
        owners: list[tuple[str, str]] = []
        for item in items:
            for path, restrict, label in item["units"]:
                paths.append(path)
                only.append(part_tags(restrict) if restrict else None)
                owners.append((item["id"], label))
        options = Options(part=settings["part"], gpu=settings["gpu"], jobs=settings["jobs"],
                          timeout_scale=settings["timeout_scale"], memory_mb=settings["memory_mb"],
                          uid_offset=_UID_SHIFT)
        reports = grade_many(paths, options, only_names=only)
        if len(reports) != len(paths):
            raise RuntimeError(f"grade_many returned {len(reports)} reports for {len(paths)} files")
        parts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for (entry_id, label), report in zip(owners, reports):
            parts.setdefault(entry_id, []).append((label, report.as_gradescope()))
        seconds = (time.monotonic() - start) / max(1, len(items))
        rows = []
        for item in items:
            graded = parts[item["id"]]
            results = graded[0][1] if len(graded) == 1 else merge_results(graded)
            rows.append({"id": item["id"], "status": GRADED, "results": results, "error": None, "seconds": seconds})
        return rows
    except Exception as error:  # the grader itself failed: every submission of the batch gets the reason
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return [failure_row(item, detail, settings, time.monotonic() - start) for item in items]


def failure_row(item: dict[str, Any], reason: str, settings: dict[str, Any], seconds: float = 0.0) -> dict[str, Any]:
    """The row of a submission the grader failed on: zero points, the reason in the output, status ``error``."""
    results = {"score": 0.0, "max_score": settings.get("max_score", 0.0), "execution_time": 0.0, "tests": [],
               "output": f"The grader failed while grading this submission ({reason}). It was not your code's "
                         "fault; the course staff will grade it again."}
    return {"id": item["id"], "status": ERROR, "results": results, "error": reason, "seconds": seconds}


_UID_SHIFT = 0


def _worker_init(counter: Any, stride: int) -> None:
    """In each worker process: run this worker's sandboxes as users distinct from the other workers'.

    The sandbox gives the group at position ``i`` of a batch the user ``BASE_UID + i`` (when run as root); two batches
    graded side by side would share those users, and in rlimits isolation the harness kills a stuck group's user's
    processes everywhere. Each worker therefore shifts its batches' users by ``slot × stride`` (``Options.uid_offset``).
    """
    global _UID_SHIFT
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    _UID_SHIFT = slot * stride


# --------------------------------------------------------------------------------------------------------------
# the run


def grade_all(source: str | Path, outdir: str | Path, options: ClassOptions = ClassOptions(),
              echo: Any = print) -> RunSummary:
    """Grade every submission under ``source`` (a folder or a .zip) into ``outdir``; see the module's docstring.

    ``echo`` prints the notes and the summary (``None``: silent). Raises only for a missing ``source`` or bad options.
    """
    from autograder.classroom import gradebook, similarity

    start = time.monotonic()
    outdir, source = Path(outdir), Path(source)
    if options.batch < 1 or options.workers < 1:
        raise ValueError("--batch and --workers must be at least 1")
    root = extract_zip(source, outdir / ".inputs" / source.stem) if source.suffix.lower() == ".zip" else source
    discovery = discover(root)
    selected = select_shard(discovery.entries, options.shard)
    version, device = grader_version(), resolve_device(options.gpu)
    settings = {"part": options.part, "device": device}
    summary = RunSummary(outdir=outdir, source=source, layout=discovery.layout, found=len(discovery.entries),
                         selected=[e.id for e in selected], problems=list(discovery.problems), shard=options.shard)
    if root != source:
        summary.notes.append(f"{source.name} unpacked into {root}")
    _write_inputs(outdir, discovery, selected, options)
    similarity.write_code_files(outdir, selected)
    todo = []
    for entry in selected:
        if not options.force and _up_to_date(outdir, entry, version, settings):
            summary.skipped.append(entry.id)
            _refresh_meta(outdir, entry)
        else:
            todo.append(entry)
    jobs = options.jobs or max(1, min(config.MAX_JOBS, (os.cpu_count() or 1) // options.workers))
    batch_settings = {"part": options.part, "gpu": options.gpu, "jobs": jobs, "timeout_scale": options.timeout_scale,
                      "memory_mb": options.memory_mb, "max_score": expected_max(options.part, device)}
    by_id = {e.id: e for e in todo}

    def record(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            entry = by_id[row["id"]]
            write_json(results_path(outdir, entry.id), row["results"])
            write_json(meta_path(outdir, entry.id), _meta(entry, row, version, settings))  # last: marks it done
            with open(outdir / "grading_log.jsonl", "a") as log:
                log.write(json.dumps({"id": entry.id, "status": row["status"], "score": row["results"].get("score"),
                                      "content_hash": entry.content_hash, "grader_version": version,
                                      "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}) + "\n")
            summary.graded.append(entry.id)
            if row["status"] == ERROR:
                summary.failed[entry.id] = row["error"]

    missing = [e for e in todo if not e.units(options.part)]
    record([{"id": e.id, "status": MISSING, "error": None, "seconds": 0.0, "results": {
        "score": 0.0, "max_score": batch_settings["max_score"], "execution_time": 0.0, "tests": [],
        "output": "No notebook (.ipynb) or Python file (.py) was found in this submission, so nothing was graded."}}
        for e in missing])
    items = [{"id": e.id, "units": [[str(f.path), restrict, f.relative] for f, restrict in e.units(options.part)]}
             for e in todo if e.units(options.part)]
    batches = [items[i:i + options.batch] for i in range(0, len(items), options.batch)]
    if options.max_batches is not None:
        summary.not_run = [item["id"] for batch in batches[options.max_batches:] for item in batch]
        batches = batches[:options.max_batches]
    try:
        _run_batches(batches, batch_settings, options, record)
    except KeyboardInterrupt:
        summary.interrupted = True
        done = set(summary.graded)
        summary.not_run = [item["id"] for batch in batches for item in batch if item["id"] not in done] + summary.not_run
    summary.seconds = time.monotonic() - start
    summary.gradebook = gradebook.write_gradebook(outdir)
    rows = gradebook.load_rows(outdir)
    scores = [r.results.get("score", 0.0) for r in rows if r.status == GRADED]
    if scores:
        summary.mean_score = sum(scores) / len(scores)
        summary.max_score = max(float(r.results.get("max_score", 0.0)) for r in rows if r.status == GRADED)
    if options.report and not summary.interrupted:
        from autograder.classroom import report

        summary.report = report.write_report(outdir, report.ReportOptions(
            zoo_match=options.zoo_match, zoo_dir=options.zoo_dir, similarity=options.similarity, gpu=options.gpu,
            timeout_scale=options.timeout_scale, jobs=jobs), echo=echo)
    if echo:
        echo(summary.text())
    return summary


def _run_batches(batches: list[list[dict[str, Any]]], settings: dict[str, Any], options: ClassOptions,
                 record: Any) -> None:
    """Grade ``batches`` (in this process with one worker, else in ``workers`` processes), recording each as it ends."""
    from tqdm import tqdm

    total = sum(len(b) for b in batches)
    with tqdm(total=total, unit="submission", desc="grading", disable=not options.progress or not total,
              dynamic_ncols=True) as bar:
        def finished(rows: list[dict[str, Any]]) -> None:
            record(rows)
            bar.update(len(rows))
            failed = sum(r["status"] == ERROR for r in rows)
            if failed:
                bar.set_postfix_str(f"{failed} failed to grade in the last batch")

        if options.workers == 1 or len(batches) <= 1:
            for batch in batches:
                finished(grade_batch(batch, settings))
            return
        _run_in_pool(batches, settings, options.workers, options.batch, finished)


def _run_in_pool(batches: list[list[dict[str, Any]]], settings: dict[str, Any], workers: int, batch_size: int,
                 finished: Any) -> None:
    """``workers`` processes, each grading one batch at a time. A batch whose worker died (the pool broke) is retried
    once in a fresh pool; if it breaks the pool again, its submissions become ``error`` rows."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads and CUDA
    counter = context.Value("i", 0)
    stride = 2 * batch_size * len(known_groups())  # ≥ the group runs of one batch: distinct users side by side

    def new_pool() -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                      initializer=_worker_init, initargs=(counter, stride))

    pending = deque(enumerate(batches))
    retried: set[int] = set()
    generation = 0
    pool = new_pool()
    in_flight: dict[concurrent.futures.Future, tuple[int, list[dict[str, Any]], int]] = {}
    try:
        while pending or in_flight:
            while pending and len(in_flight) < workers:
                index, batch = pending.popleft()
                in_flight[pool.submit(grade_batch, batch, settings)] = (index, batch, generation)
            done, _ = concurrent.futures.wait(in_flight, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                index, batch, born = in_flight.pop(future)
                try:
                    rows = future.result()
                except BrokenProcessPool as error:
                    if born == generation:  # the first to see this pool broken replaces it
                        pool.shutdown(wait=False, cancel_futures=True)
                        generation += 1
                        pool = new_pool()
                    if index not in retried:
                        retried.add(index)
                        pending.appendleft((index, batch))
                        continue
                    rows = [failure_row(item, f"the grading worker process died ({error})", settings) for item in batch]
                except Exception as error:  # e.g. a result that could not be sent back
                    rows = [failure_row(item, f"{type(error).__name__}: {error}", settings) for item in batch]
                finished(rows)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _write_inputs(outdir: Path, discovery: Discovery, selected: list[Entry], options: ClassOptions) -> None:
    data = discovery.as_dict()
    data["all_ids"] = data.pop("ids")
    data["ids"] = [e.id for e in selected]
    data["shard"] = list(options.shard) if options.shard else None
    data["part"] = options.part
    write_json(outdir / "inputs.json", data)


def _refresh_meta(outdir: Path, entry: Entry) -> None:
    """Update a skipped submission's names and notes (e.g. a corrected roster) without grading it again."""
    path = meta_path(outdir, entry.id)
    meta = read_json(path)
    submitters = [dataclasses.asdict(s) for s in entry.submitters]
    if isinstance(meta, dict) and (meta.get("submitters") != submitters or meta.get("notes") != entry.notes):
        meta.update(submitters=submitters, notes=list(entry.notes), source=str(entry.source))
        write_json(path, meta)
