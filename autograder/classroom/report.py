"""``OUTDIR/report.html``: the class at a glance, in one self-contained file (no network: figures are inline PNGs).

Sections: the counts and mean scores; a score histogram per part and a pass-rate bar chart per test; the pass-rate
table; for each student-facing function its most common failure messages (numbers replaced by ``#`` so that the
same mistake groups together), each matched to the bug-zoo mutants that fail the same way; the similarity leads,
with the matched code side by side; the problems met (files that are not notebooks, failed grading) and a table of
every submission.

**Matching failures to the bug zoo.** A mutant's *signature* is the set of ``(test name, normalised first line of
the feedback)`` of the tests it fails. Mutants are graded once per grader version (:func:`zoo_version`) and
device (only the groups the changed code can reach, as ``validate`` does) and cached in
``OUTDIR/.zoo_signatures.json``; this happens only when some student failed a test. A failure group (one test, one normalised message) is matched to each mutant whose
signature holds that failure, and the report counts the students of the group who show *every* failure of the
mutant: "31 students: CFG with the wrong sign".
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import re
import statistics
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.classroom.engine import (
    ERROR,
    GRADED,
    MISSING,
    known_groups,
    read_json,
    write_json,
)
from autograder.classroom.gradebook import Row, load_rows, test_order
from autograder.classroom.zoo_match import (  # noqa: F401  (re-exported)
    ZOO_CACHE,
    failure_set,
    merge_zoo_caches,
    normalise,
    zoo_signatures,
    zoo_version,
)

#: Feedback saying a function was not attempted: grouped in one line per function, not matched to the zoo.
_NOT_ATTEMPTED = re.compile(r"not defined in the submission|raised NotImplementedError|no gradable code")


@dataclass(frozen=True)
class ReportOptions:
    """What the report includes and how mutants are graded for the zoo match."""

    zoo_match: bool = True
    zoo_dir: Path | None = None
    similarity: bool = True
    similarity_backend: str = "auto"
    gpu: str = "auto"
    timeout_scale: float = 1.0
    jobs: int = 0
    top_pairs: int = 20
    side_by_side: int = 5
    failures_per_function: int = 6


def test_parts() -> dict[str, str]:
    """Test name → part (``a``/``b``)."""
    return {test.name: group.part for group in known_groups() for test in group.tests}


# --------------------------------------------------------------------------------------------------------------
# analysis


@dataclass
class FailureGroup:
    """Students who failed one test with the same normalised message, and the mutants that fail that way."""

    function: str
    test: str
    message: str
    students: list[str]
    mutants: list[tuple[str, int, dict[str, Any]]]


def failure_groups(rows: list[Row], mutants: dict[str, dict[str, Any]]) -> dict[str, list[FailureGroup]]:
    """Function (the test's §2 names) → its failure groups, most students first."""
    failures = {row.id: failure_set(row.tests) for row in rows}
    signatures = {name: frozenset(map(tuple, m["signature"])) for name, m in mutants.items() if m["signature"]}
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in rows:
        for test in row.tests:
            if test.get("status") != "passed":
                function = ", ".join(test.get("tags") or []) or test.get("name", "")
                grouped[(function, test.get("name", ""), normalise(test.get("output", "")))].append(row.id)
    by_function: dict[str, list[FailureGroup]] = defaultdict(list)
    for (function, name, message), students in grouped.items():
        matches = []
        for mutant, signature in signatures.items():
            if (name, message) in signature:
                count = sum(signature <= failures[s] for s in students)
                if count:
                    matches.append((mutant, count, mutants[mutant]))
        matches.sort(key=lambda m: (-m[1], m[0]))
        by_function[function].append(FailureGroup(function, name, message, sorted(students), matches))
    for groups in by_function.values():
        groups.sort(key=lambda g: (-len(g.students), g.test, g.message))
    return dict(sorted(by_function.items(), key=lambda kv: -sum(len(g.students) for g in kv[1])))


def pass_rates(rows: list[Row]) -> list[tuple[str, int, int]]:
    """``(test, passed, graded)`` in report order, over graded submissions."""
    graded = [row for row in rows if row.status == GRADED]
    rates = []
    for name in test_order(graded):
        outcomes = [t.get("status") == "passed" for row in graded for t in row.tests if t.get("name") == name]
        rates.append((name, sum(outcomes), len(outcomes)))
    return rates


def part_scores(rows: list[Row]) -> dict[str, tuple[list[float], float]]:
    """Part → (each graded submission's score on that part, the part's points)."""
    parts = test_parts()
    scores: dict[str, tuple[list[float], float]] = {}
    for part in ("a", "b"):
        values, maximum = [], 0.0
        for row in rows:
            tests = [t for t in row.tests if parts.get(t.get("name", "")) == part]
            if row.status == GRADED and tests:
                values.append(float(sum(t.get("score", 0.0) for t in tests)))
                maximum = max(maximum, float(sum(t.get("max_score", 0.0) for t in tests)))
        if values:
            scores[part] = (values, maximum)
    return scores


# --------------------------------------------------------------------------------------------------------------
# figures


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_png(values: list[float], maximum: float, title: str) -> str:
    """A score histogram as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3))
    bins = max(5, min(25, int(maximum) + 1 if maximum else 10))
    axes.hist(values, bins=bins, range=(0, maximum or max(values + [1.0])), color="#4c72b0", edgecolor="white")
    axes.set_xlabel("score")
    axes.set_ylabel("submissions")
    axes.set_title(title)
    return _png(figure)


def pass_rate_png(rates: list[tuple[str, int, int]]) -> str:
    """A horizontal bar per test: its pass rate, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name if len(name) <= 60 else name[:57] + "…" for name, _, _ in rates]
    values = [100.0 * passed / total if total else 0.0 for _, passed, total in rates]
    figure, axes = plt.subplots(figsize=(8, 0.28 * len(rates) + 1))
    axes.barh(range(len(rates)), values, color=["#55a868" if v >= 80 else "#dd8452" if v >= 50 else "#c44e52" for v in values])
    axes.set_yticks(range(len(rates)))
    axes.set_yticklabels(names, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("pass rate (%)")
    return _png(figure)


# --------------------------------------------------------------------------------------------------------------
# the page


def write_report(outdir: Path, options: ReportOptions = ReportOptions(), echo: Any = None) -> Path:
    """Build ``OUTDIR/report.html`` (and ``OUTDIR/similarity.json``) from ``OUTDIR``'s results; returns its path."""
    rows = load_rows(outdir)
    inputs = read_json(outdir / "inputs.json") or {}
    sections = [_header(outdir, rows, inputs)]
    for title, build in (
        ("Scores", lambda: _figures(rows)),
        ("Pass rate per test", lambda: _pass_table(rows)),
        ("Most common failures", lambda: _failures(outdir, rows, options, echo)),
        ("Similar submissions", lambda: _similarity(outdir, rows, options)),
        ("Problems", lambda: _problems(rows, inputs)),
        ("Every submission", lambda: _students(rows)),
    ):
        try:
            body = build()
        except Exception:  # a section that cannot be built says so; the rest of the report stands
            body = f"<p class='warn'>This section could not be built:</p><pre>{_e(traceback.format_exc(limit=4))}</pre>"
        sections.append(f"<h2>{_e(title)}</h2>\n{body}")
    page = _PAGE.format(title="Class report — Fun with Diffusion Models", body="\n".join(sections))
    path = outdir / "report.html"
    tmp = outdir / ".report.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _header(outdir: Path, rows: list[Row], inputs: dict[str, Any]) -> str:
    status = Counter(row.status for row in rows)
    versions = sorted({str(row.meta.get("grader_version")) for row in rows})
    totals = [float(row.results.get("score", 0.0)) for row in rows if row.status == GRADED]
    maximum = max((float(row.results.get("max_score", 0.0)) for row in rows if row.status == GRADED), default=0.0)
    shard = inputs.get("shard")
    lines = [
        f"<p>{len(rows)} submissions in <code>{_e(outdir)}</code> (from <code>{_e(inputs.get('root', '?'))}</code>, "
        f"layout {_e(inputs.get('layout', '?'))}{f', shard {shard[0]}/{shard[1]}' if shard else ''}): "
        f"{status[GRADED]} graded, {status[MISSING]} without a notebook, {status[ERROR]} failed to grade.</p>",
        f"<p>Generated {datetime.datetime.now().isoformat(timespec='seconds')} · grader {_e(', '.join(versions))}"
        f"{' <b>(several grader versions: grade again with --force to align)</b>' if len(versions) > 1 else ''}.</p>",
    ]
    if totals:
        lines.append(f"<p>Total: mean <b>{statistics.mean(totals):.2f}</b>, median {statistics.median(totals):.2f} "
                     f"of {maximum:g} points.</p>")
    return "<h1>Fun with Diffusion Models — class report</h1>\n" + "\n".join(lines)


def _figures(rows: list[Row]) -> str:
    parts = part_scores(rows)
    if not parts:
        return "<p>No graded submissions yet.</p>"
    images = []
    for part, (values, maximum) in parts.items():
        title = f"Part {part.upper()}: {len(values)} submissions, mean {statistics.mean(values):.1f} / {maximum:g}"
        images.append(f"<img alt='score histogram, Part {part.upper()}' src='data:image/png;base64,{histogram_png(values, maximum, title)}'>")
    rates = pass_rates(rows)
    if rates:
        images.append(f"<img alt='pass rate per test' src='data:image/png;base64,{pass_rate_png(rates)}'>")
    return "<div class='figures'>" + "\n".join(images) + "</div>"


def _pass_table(rows: list[Row]) -> str:
    rates = pass_rates(rows)
    if not rates:
        return "<p>No graded submissions yet.</p>"
    parts = test_parts()
    body = "".join(
        f"<tr><td>{_e(parts.get(name, '?').upper())}</td><td>{_e(name)}</td><td class='num'>{passed}/{total}</td>"
        f"<td class='num'>{100.0 * passed / total if total else 0:.0f} %</td></tr>"
        for name, passed, total in rates)
    return f"<table><tr><th>part</th><th>test</th><th>passed</th><th>rate</th></tr>{body}</table>"


def _failures(outdir: Path, rows: list[Row], options: ReportOptions, echo: Any) -> str:
    graded = [row for row in rows if row.status == GRADED]
    failing = [row for row in graded if any(t.get("status") != "passed" for t in row.tests)]
    if not failing:
        return "<p>No failed tests.</p>"
    mutants: dict[str, dict[str, Any]] = {}
    notes = []
    if options.zoo_match:
        parts_of = test_parts()
        parts = {parts_of[t.get("name")] for row in failing for t in row.tests
                 if t.get("status") != "passed" and t.get("name") in parts_of}
        mutants, notes = zoo_signatures(outdir, parts, options, echo)
    else:
        notes.append("Failures were not matched to the bug zoo (--no-zoo-match).")
    out = [f"<p>Messages are grouped after replacing numbers by <code>#</code>. {len(mutants)} bug-zoo mutants were "
           "compared: a match counts the students of the group who fail every test the mutant fails, the same way.</p>"
           if options.zoo_match else ""]
    out += [f"<p class='note'>{_e(note)}</p>" for note in notes]
    only_not_attempted = []
    by_function = failure_groups(graded, mutants)
    attempted = lambda groups: [g for g in groups if not _NOT_ATTEMPTED.search(g.message)]
    for function, every in sorted(by_function.items(), key=lambda kv: -sum(len(g.students) for g in attempted(kv[1]))):
        skipped = sorted({s for g in every if _NOT_ATTEMPTED.search(g.message) for s in g.students})
        groups = attempted(every)
        if not groups:
            only_not_attempted.append(f"<code>{_e(function)}</code> ({len(skipped)})")
            continue
        count = len({s for g in every for s in g.students})
        out.append(f"<h3><code>{_e(function)}</code> — {count} student(s) with a failure</h3><ul>")
        if skipped:
            out.append(f"<li>{len(skipped)} not attempted (not defined, or still raising NotImplementedError)"
                       f"<details><summary>who</summary>{_e(', '.join(skipped))}</details></li>")
        for group in groups[:options.failures_per_function]:
            out.append(f"<li><b>{len(group.students)}</b> × <i>{_e(group.test)}</i>: <code>{_e(group.message)}</code>")
            for name, matched, mutant in group.mutants[:3]:
                spec = f"; docs/spec.md §6: “{_e(mutant['spec_line'])}”" if mutant.get("spec_line") else ""
                out.append(f"<div class='zoo'>↳ <b>{matched} student{'s' if matched != 1 else ''}: {_e(mutant['doc'])}</b> "
                           f"(mutant <code>{_e(name)}</code>{spec})</div>")
            out.append(f"<details><summary>who</summary>{_e(', '.join(group.students))}</details></li>")
        if len(groups) > options.failures_per_function:
            out.append(f"<li>… and {len(groups) - options.failures_per_function} other message(s)</li>")
        out.append("</ul>")
    if only_not_attempted:
        out.append("<h3>Failed only where not attempted</h3><p>Not defined, or still raising NotImplementedError "
                   f"(students): {', '.join(only_not_attempted)}.</p>")
    return "\n".join(out)


def _similarity(outdir: Path, rows: list[Row], options: ReportOptions) -> str:
    from autograder.classroom import similarity

    if not options.similarity:
        return "<p>Not computed (--no-similarity).</p>"
    ids = [row.id for row in rows if row.status == GRADED]
    result = similarity.find_similar(similarity.read_code_files(outdir, ids), top=options.top_pairs,
                                     backend=options.similarity_backend)
    write_json(outdir / "similarity.json", {"method": result.method, "notes": result.notes, "pairs": [
        {"a": p.a, "b": p.b, "score": round(p.score, 4), "share_a": round(p.share_a, 4), "share_b": round(p.share_b, 4),
         "identical": p.identical}
        for p in result.pairs]})
    out = ["<p class='lead'><b>A lead for a person, never a verdict.</b> Students share the starter code, the lecture's "
           "formulas and the few natural ways to write them; alike code can be honest. Read both submissions (and ask) "
           "before concluding anything.</p>",
           f"<p>Compared: the code the grader keeps from each submission, less imports and the kit's given code "
           f"(method: {_e(result.method)}). Score: the mean of the two shares of each file found in the other.</p>"]
    out += [f"<p class='note'>{_e(note)}</p>" for note in result.notes]
    if not result.pairs:
        return "\n".join(out + ["<p>No alike pairs.</p>"])
    out.append("<table><tr><th>#</th><th>submission</th><th>submission</th><th>score</th><th>shares</th><th></th></tr>")
    for rank, pair in enumerate(result.pairs, 1):
        out.append(f"<tr><td>{rank}</td><td>{_e(pair.a)}</td><td>{_e(pair.b)}</td><td class='num'>{pair.score:.3f}</td>"
                   f"<td class='num'>{pair.share_a:.1%} / {pair.share_b:.1%}</td>"
                   f"<td>{'the same code once names, comments and layout are normalised' if pair.identical else ''}</td></tr>")
    out.append("</table>")
    for rank, pair in enumerate(result.pairs[:options.side_by_side], 1):
        out.append(f"<details{' open' if rank == 1 else ''}><summary>#{rank}: {_e(pair.a)} ↔ {_e(pair.b)} "
                   f"({pair.score:.3f}) — matched regions highlighted</summary><div class='sbs'>"
                   f"<div><h4>{_e(pair.a)}</h4><pre>{_highlight(result.codes[pair.a], pair.spans_a)}</pre></div>"
                   f"<div><h4>{_e(pair.b)}</h4><pre>{_highlight(result.codes[pair.b], pair.spans_b)}</pre></div>"
                   "</div></details>")
    return "\n".join(out)


def _highlight(code: str, spans: list[tuple[int, int]], limit: int = 30000) -> str:
    """``code`` as HTML with ``spans`` in ``<mark>`` (overlaps merged), cut at ``limit`` characters."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        start, end = max(start, position), min(end, limit)
        if start >= end:
            continue
        out += [_e(code[position:start]), "<mark>", _e(code[start:end]), "</mark>"]
        position = end
    out.append(_e(code[position:limit]))
    if len(code) > limit:
        out.append(f"\n… ({len(code) - limit} more characters)")
    return "".join(out)


def _problems(rows: list[Row], inputs: dict[str, Any]) -> str:
    items = [f"<li>{_e(p)}</li>" for p in inputs.get("problems", [])]
    items += [f"<li><b>{_e(row.id)}</b>: the grader failed ({_e(row.meta.get('error', ''))}); run again to retry</li>"
              for row in rows if row.status == ERROR]
    items += [f"<li><b>{_e(row.id)}</b>: no notebook or Python file to grade</li>" for row in rows if row.status == MISSING]
    return f"<ul>{''.join(items)}</ul>" if items else "<p>None.</p>"


def _students(rows: list[Row]) -> str:
    body = []
    for row in rows:
        names = "; ".join(p.get("name") or p.get("email") or "" for p in row.submitters)
        score = "" if row.status == ERROR else f"{float(row.results.get('score', 0.0)):g}"
        body.append(f"<tr><td>{_e(row.id)}</td><td>{_e(names)}</td><td class='num'>{_e(score)}</td>"
                    f"<td class='num'>{_e(row.results.get('max_score', ''))}</td><td>{_e(row.status)}</td>"
                    f"<td>{_e('; '.join(row.meta.get('notes') or []))}</td></tr>")
    return ("<table><tr><th>id</th><th>name</th><th>score</th><th>max</th><th>status</th><th>notes</th></tr>"
            + "".join(body) + "</table>")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
td.num {{ text-align: right; }}
code {{ background: #f3f3f3; padding: 0 2px; }}
.zoo {{ margin-left: 1.5em; color: #1a5e20; }}
.note {{ color: #7a5b00; }}
.warn {{ color: #a00; }}
.lead {{ background: #fff6d6; padding: 0.5em; }}
.figures img {{ max-width: 100%; margin: 0.5em; }}
.sbs {{ display: flex; gap: 1em; }}
.sbs > div {{ flex: 1; min-width: 0; }}
.sbs pre {{ font-size: 0.75em; overflow-x: auto; background: #fafafa; border: 1px solid #ddd; padding: 4px; }}
mark {{ background: #ffe08a; }}
</style></head>
<body>
{body}
</body></html>
"""

