"""Deliberate copies in the reference agree with their source (diffusers' ``# Copied from`` check, adapted).

``solutions/part_a.py`` writes the DDPM step out in every sampling loop, because each loop becomes one
self-contained notebook cell. The shared lines are marked (the convention is in that module's docstring)::

    # DDPM step [NAME]: the source, copied verbatim into every loop below (tests/test_copies.py)
    # DDPM step [NAME]: copy of iterative_denoise's (each loop is one self-contained notebook cell)

A marker opens a region; the region is the marker's paragraph: the lines after it up to the first blank line, the
first line indented less than the marker, or the next marker. There is no end marker: a comment line after
``image = add_variance(…)`` would split the ``add_variance(…)`` / ``return image`` pair that the grader's zoo
entries patch (they match the reference's text exactly), and the paragraph rule is just as exact.

The checks, run on the file's text (nothing is imported):

* each region NAME has one source; every copy names the function that holds it and equals it **verbatim** after
  ``textwrap.dedent`` (only the common indentation is removed: every other character, comments included, counts);
* every loop — every function that calls ``add_variance`` — holds exactly one region of each name, so a new loop
  cannot leave the step out of the check;
* a line that looks like a marker but does not parse is an error, not silently ignored.

A failure names the function and the line, and shows a unified diff (source → copy).
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PART_A = REPO / "solutions" / "part_a.py"
PART_B = REPO / "solutions" / "part_b.py"

SOURCE_FUNCTION = "iterative_denoise"
REGION_NAMES = ("schedule", "update")  # the regions every loop must hold
LOOPS = ("iterative_denoise", "iterative_denoise_cfg", "inpaint", "make_flip_illusion", "make_hybrids")

MARKER = re.compile(
    r"^(?P<indent>[ \t]*)# DDPM step \[(?P<name>\w+)\]: "
    r"(?:(?P<source>the source)\b|copy of (?P<origin>\w+)'s\b)"
)
LOOKS_LIKE_MARKER = re.compile(r"#\s*DDPM\s+step\b", re.IGNORECASE)


@dataclass
class Region:
    """One marked region: where it is and the lines it holds (as written, indentation included)."""

    name: str
    function: str | None  # the innermost enclosing function, None at top level
    is_source: bool
    origin: str | None  # for a copy: the function it says it copies
    line: int  # 1-based line of the marker
    lines: list[str]

    @property
    def text(self) -> str:
        """The region with its common indentation removed: what source and copies must agree on."""
        return textwrap.dedent("\n".join(self.lines))


def _functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function, decorators included."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans.append((start, node.end_lineno, node.name))
    return spans


def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [(end - start, name) for start, end, name in spans if start <= line <= end]
    return min(inside)[1] if inside else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _comment_lines(source: str) -> list[int]:
    """Line numbers (1-based) of the lines that hold nothing but a comment (not text inside a string)."""
    return [token.start[0] for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT and token.line.lstrip().startswith("#")]


def find_regions(source: str) -> tuple[list[Region], list[str]]:
    """The marked regions of ``source`` and the problems found while reading the markers."""
    tree = ast.parse(source)
    spans = _functions(tree)
    lines = source.splitlines()
    regions, problems = [], []
    for number in _comment_lines(source):
        line = lines[number - 1]
        if not LOOKS_LIKE_MARKER.search(line):
            continue
        match = MARKER.match(line)
        if match is None:
            problems.append(f"line {number}: a malformed copy marker (see the module docstring of the file): "
                            f"{line.strip()!r}")
            continue
        body = []
        for following in lines[number:]:
            if (not following.strip() or _indent(following) < len(match["indent"])
                    or MARKER.match(following)):
                break
            body.append(following)
        function = _enclosing(spans, number)
        region = Region(match["name"], function, match["source"] is not None, match["origin"], number, body)
        where = f"{function or 'top level'}, line {number}"
        if not body:
            problems.append(f"{where}: the [{region.name}] marker is followed by no code (a region is the "
                            "marker's paragraph: the lines after it up to the next blank line)")
        if function is None:
            problems.append(f"{where}: the [{region.name}] marker is outside any function")
        regions.append(region)
    return regions, problems


def loop_functions(source: str) -> list[str]:
    """Functions that call ``add_variance`` (the sampling loops), in file order."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "add_variance"
            for call in ast.walk(node)
        ):
            found.append(node.name)
    return found


def copy_problems(source: str, loops: list[str] | None = None, required: tuple[str, ...] = REGION_NAMES) -> list[str]:
    """Every problem with the marked copies of ``source``: empty when all is well.

    Args:
        loops: functions that must hold exactly one region of each ``required`` name (default: the functions that
            call ``add_variance``).
    """
    regions, problems = find_regions(source)
    sources: dict[str, Region] = {}
    for region in (r for r in regions if r.is_source):
        if region.name in sources:
            problems.append(f"{region.function}, line {region.line}: a second source of [{region.name}] "
                            f"(the first is in {sources[region.name].function}, line {sources[region.name].line})")
        else:
            sources[region.name] = region
    for copy in (r for r in regions if not r.is_source):
        where = f"{copy.function}, line {copy.line}"
        original = sources.get(copy.name)
        if original is None:
            problems.append(f"{where}: a copy of [{copy.name}] but no region is marked as its source")
            continue
        if copy.origin != original.function:
            problems.append(f"{where}: the [{copy.name}] marker says it copies {copy.origin}'s, but the source is in "
                            f"{original.function} (line {original.line})")
        if copy.text != original.text:
            diff = difflib.unified_diff(
                original.text.splitlines(), copy.text.splitlines(),
                fromfile=f"{original.function} [{original.name}] (source, line {original.line})",
                tofile=f"{copy.function} [{copy.name}] (copy, line {copy.line})", lineterm="",
            )
            problems.append(f"{where}: the [{copy.name}] copy differs from its source in {original.function}; "
                            "make it equal again (or edit the source and every copy):\n" + "\n".join(diff))
    for function in loop_functions(source) if loops is None else loops:
        for name in required:
            held = [r for r in regions if r.function == function and r.name == name]
            if len(held) != 1:
                problems.append(f"{function}: holds {len(held)} [{name}] regions, not 1 (every sampling loop keeps "
                                f"one marked copy of each DDPM step region: {', '.join(required)})")
    return problems


def _fail(problems: list[str]) -> str:
    return f"{len(problems)} problem(s) with the marked copies:\n\n" + "\n\n".join(problems)


# ------------------------------------------------------------------------------------------- the reference


def test_part_a_copies_agree_with_their_source():
    problems = copy_problems(PART_A.read_text())
    assert not problems, _fail(problems)


def test_part_a_every_loop_holds_every_region():
    source = PART_A.read_text()
    loops = loop_functions(source)
    assert set(LOOPS) <= set(loops), f"add_variance callers {loops} should include every known loop {LOOPS}"
    regions, _ = find_regions(source)
    for name in REGION_NAMES:
        assert sorted(r.function for r in regions if r.name == name) == sorted(loops), name
        assert [r.function for r in regions if r.name == name and r.is_source] == [SOURCE_FUNCTION], name


def test_part_a_source_regions_hold_the_ddpm_step():
    regions, _ = find_regions(PART_A.read_text())
    source = {r.name: r.text for r in regions if r.is_source}
    for piece in ("t, prev_t = timesteps[i], timesteps[i + 1]", "alphas_cumprod[t]", "alphas_cumprod[prev_t]",
                  "alpha = alpha_cumprod / alpha_cumprod_prev", "beta = 1 - alpha"):
        assert piece in source["schedule"], piece
    for piece in ("x0_est = ", "pred_prev_image = ", "image = add_variance(predicted_variance, t, pred_prev_image)"):
        assert piece in source["update"], piece
    assert "unet(" not in source["schedule"] + source["update"], "the UNet call differs per loop: keep it out"


def test_part_b_has_no_broken_markers():
    """Part B factors its sampler into ``_sample``: no deliberate copies, but any marker added later is checked."""
    problems = copy_problems(PART_B.read_text(), loops=[])
    assert not problems, _fail(problems)


# ------------------------------------------------------------------------- the check catches what it should


def _edit(source: str, function: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced by ``new`` inside top-level ``function`` (where it must occur once)."""
    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == function)
    lines = source.split("\n")
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    segment = "\n".join(lines[start:node.end_lineno])
    assert segment.count(old) == 1, f"{old!r} should occur once in {function}"
    lines[start:node.end_lineno] = segment.replace(old, new).split("\n")
    return "\n".join(lines)


ADD_VARIANCE = "        image = add_variance(predicted_variance, t, pred_prev_image)"
UPDATE_COPY = "        # DDPM step [update]: copy of iterative_denoise's"


def test_an_altered_copy_is_named_with_a_diff():
    source = _edit(PART_A.read_text(), "make_flip_illusion", ADD_VARIANCE,
                   ADD_VARIANCE.replace(", t,", ", prev_t,"))
    problems = copy_problems(source)
    assert len(problems) == 1, _fail(problems)
    message = problems[0]
    assert message.startswith("make_flip_illusion, line ") and "[update]" in message
    assert "--- iterative_denoise [update] (source" in message and "+++ make_flip_illusion [update] (copy" in message
    assert "\n-image = add_variance(predicted_variance, t, pred_prev_image)" in message
    assert "\n+image = add_variance(predicted_variance, prev_t, pred_prev_image)" in message


def test_an_altered_source_flags_every_copy():
    source = _edit(PART_A.read_text(), SOURCE_FUNCTION, "        beta = 1 - alpha\n", "        beta = 1.0 - alpha\n")
    problems = copy_problems(source)
    assert sorted(p.split(",")[0] for p in problems) == sorted(set(LOOPS) - {SOURCE_FUNCTION}), _fail(problems)
    assert all("[schedule]" in p and "-beta = 1.0 - alpha" in p and "+beta = 1 - alpha" in p for p in problems)


def test_whitespace_inside_a_copy_counts():
    source = _edit(PART_A.read_text(), "make_hybrids", "        beta = 1 - alpha\n", "        beta = 1 -  alpha\n")
    assert [p.split(",")[0] for p in copy_problems(source)] == ["make_hybrids"]


def test_a_line_added_to_a_copys_paragraph_is_caught():
    # inpaint's mask blend follows the update region after a blank line; without it, it would join the region
    source = _edit(PART_A.read_text(), "inpaint", ADD_VARIANCE + "\n\n", ADD_VARIANCE + "\n")
    problems = copy_problems(source)
    assert len(problems) == 1 and problems[0].startswith("inpaint, line "), _fail(problems)
    assert "+image = m * image + (1 - m) * forward(original_image, prev_t)" in problems[0]


def test_a_loop_without_its_marker_is_caught():
    source = _edit(PART_A.read_text(), "inpaint", UPDATE_COPY, "        # the update")
    problems = copy_problems(source)
    assert problems == [problems[0]] and problems[0].startswith("inpaint: holds 0 [update] regions"), _fail(problems)


def test_a_new_loop_must_hold_the_markers():
    source = PART_A.read_text() + textwrap.dedent('''

        def another_loop(image, timesteps):
            for i in range(len(timesteps) - 1):
                t = timesteps[i]
                image = add_variance(image, t, image)
            return image
    ''')
    problems = copy_problems(source)
    assert sorted(problems) == [f"another_loop: holds 0 [{name}] regions, not 1 (every sampling loop keeps one marked "
                                f"copy of each DDPM step region: schedule, update)" for name in REGION_NAMES]


@pytest.mark.parametrize("marker, expected", [
    ("        # DDPM step [update] copy of iterative_denoise's", "a malformed copy marker"),
    ("        # DDPM step [update]: copy of iterative_denoise_cfg's", "says it copies iterative_denoise_cfg's"),
    ("        # DDPM step [updates]: copy of iterative_denoise's", "no region is marked as its source"),
])
def test_a_wrong_marker_is_caught(marker, expected):
    source = _edit(PART_A.read_text(), "make_hybrids", UPDATE_COPY, marker)
    problems = copy_problems(source)
    assert any(expected in p for p in problems), _fail(problems)
    assert all(p.startswith(("make_hybrids", "line ")) for p in problems), _fail(problems)
