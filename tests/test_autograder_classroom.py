"""``grade-all`` and ``merge-shards``: grading a whole class (autograder/classroom).

Discovery is tested on small hand-made folders (no grading). The engine is tested on one generated class of 12
submissions graded for Part B (the kit's hostile submissions are Part B ones): the reference, the two generated
student notebooks, three bug-zoo mutants (each as a student who wrote only the mutated function and what it calls, so
that grading stays cheap), two near-identical submissions (the sampling functions of a correct variant, and the same
code with comments added and a variable renamed), a hostile one that exits at import, an empty notebook, a student
folder with a Part A and a Part B notebook, a student folder with no notebook, and a file that is not a notebook.
It is graded with two workers in batches of 3, stopped after two batches, then resumed through the command line;
the tests check that every submission was graded exactly once, the gradebook, the report's bug-zoo matches and
similarity leads, and that two shards merged equal the unsharded run.
"""

from __future__ import annotations

import argparse
import ast
import csv
import html
import json
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import cli
from autograder.classroom import report, similarity
from autograder.classroom.engine import ClassOptions, RunSummary, grade_all, grader_version
from autograder.classroom.inputs import discover, extract_zip, part_of
from autograder.results import validate_results

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------------------------
# discovery


def test_part_of_reads_the_part_from_file_names():
    assert part_of("proj5_part_a.ipynb") == "a"
    assert part_of("Part-B final.ipynb") == "b"
    assert part_of("partA.py") == "a"
    assert part_of("part_about_me.ipynb") is None
    assert part_of("notebook.ipynb") is None
    assert part_of("part_a_and_part_b.ipynb") is None  # says both: not a one-part file


def test_flat_folder_lists_problems_without_failing(tmp_path):
    (tmp_path / "alice.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (tmp_path / "bob.py").write_text("def forward(im, t):\n    return im\n")
    (tmp_path / "carol.py").write_text("def forward(im, t):\n    return im\n")  # the same content as bob's
    (tmp_path / "dan.ipynb").write_text("")
    (tmp_path / "notes.txt").write_text("not a notebook")
    (tmp_path / ".hidden.py").write_text("x = 1")
    (tmp_path / "__MACOSX").mkdir()
    found = discover(tmp_path)
    assert found.layout == "files"
    assert [e.id for e in found.entries] == ["alice", "bob", "carol", "dan"]
    problems = "\n".join(found.problems)
    assert "notes.txt: not a notebook" in problems
    assert "dan: dan.ipynb is empty" in problems
    assert "identical submissions (same content): bob, carol" in problems
    by_id = {e.id: e for e in found.entries}
    assert by_id["bob"].content_hash == by_id["carol"].content_hash != by_id["alice"].content_hash
    assert "identical to carol" in by_id["bob"].notes
    assert discover(tmp_path).entries[0].content_hash == by_id["alice"].content_hash  # stable


def test_student_folders_grade_each_part_file_for_its_part(tmp_path):
    (tmp_path / "erin").mkdir()
    (tmp_path / "erin" / "erin_part_a.ipynb").write_text("{}")
    (tmp_path / "erin" / "erin_part_b.ipynb").write_text("{}")
    (tmp_path / "erin" / "helpers.py").write_text("x = 1")
    (tmp_path / "fay").mkdir()
    (tmp_path / "fay" / "sub").mkdir()
    (tmp_path / "fay" / "sub" / "work.py").write_text("x = 2")
    (tmp_path / "gus").mkdir()
    (tmp_path / "gus" / "report.pdf").write_bytes(b"%PDF")
    (tmp_path / "gus.py").write_text("x = 3")  # a file named like a folder gets its own id
    found = discover(tmp_path)
    assert found.layout == "mixed"
    by_id = {e.id: e for e in found.entries}
    assert sorted(by_id) == ["erin", "fay", "gus", "gus.py"]
    erin = by_id["erin"]
    assert [(f.path.name, part) for f, part in erin.units("all")] == [("erin_part_a.ipynb", "a"), ("erin_part_b.ipynb", "b")]
    assert [(f.path.name, part) for f, part in erin.units("b")] == [("erin_part_b.ipynb", None)]
    assert any("helpers.py not graded" in note for note in erin.notes)
    assert [f.relative for f, _ in by_id["fay"].units("all")] == ["sub/work.py"]
    assert not by_id["gus"].gradable and by_id["gus"].units("all") == []
    assert any(p.startswith("gus/: no notebook") for p in found.problems)


GRADESCOPE_METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '17'
    :email: ada@example.edu
  :created_at: 2025-03-01 10:00:00.000000000 -08:00
  :score: 0.0
  :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    score: 0.0
submission_1002:
  :submitters:
  - :name: Alan Turing
    :email: alan@example.edu
  - :name: Grace Hopper
    :email: grace@example.edu
submission_1003:
  :submitters:
  - :name: Nobody Here
    :email: nobody@example.edu
"""


def _gradescope_export(root: Path) -> Path:
    export = root / "assignment_42_export"
    (export / "submission_1001").mkdir(parents=True)
    (export / "submission_1001" / "proj.ipynb").write_text("{}")
    (export / "submission_1002").mkdir()
    (export / "submission_1002" / "part_b.py").write_text("x = 1")
    (export / "submission_1009").mkdir()
    (export / "submission_1009" / "late.py").write_text("x = 2")
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    return export


def test_gradescope_export_maps_folders_to_students(tmp_path):
    pytest.importorskip("yaml")
    _gradescope_export(tmp_path / "unzipped")
    found = discover(tmp_path / "unzipped")  # the folder the zip was unpacked in: the export inside is found
    assert found.layout == "gradescope"
    by_id = {e.id: e for e in found.entries}
    assert sorted(by_id) == ["submission_1001", "submission_1002", "submission_1009"]
    assert [(s.name, s.email, s.sid) for s in by_id["submission_1001"].submitters] == [("Ada Lovelace", "ada@example.edu", "17")]
    assert [s.name for s in by_id["submission_1002"].submitters] == ["Alan Turing", "Grace Hopper"]
    problems = "\n".join(found.problems)
    assert "lists submission_1003, but there is no such folder" in problems
    assert "submission_1009: not listed in submission_metadata.yml" in problems


def test_gradescope_zip_is_unpacked_safely(tmp_path):
    pytest.importorskip("yaml")
    export = _gradescope_export(tmp_path / "src")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in export.rglob("*"):
            if path.is_file():
                handle.write(path, str(path.relative_to(tmp_path / "src")))
        handle.writestr("../escape.py", "x = 1")
    unpacked = extract_zip(archive, tmp_path / "out" / "unpacked")
    assert not (tmp_path / "out" / "escape.py").exists()
    assert extract_zip(archive, tmp_path / "out" / "unpacked") == unpacked  # reused, not unpacked again
    assert len(discover(unpacked).entries) == 3


def test_bad_yaml_is_a_note_not_an_error(tmp_path):
    pytest.importorskip("yaml")
    (tmp_path / "submission_1").mkdir()
    (tmp_path / "submission_1" / "a.py").write_text("x = 1")
    (tmp_path / "submission_metadata.yml").write_text("key: [unclosed\n")
    found = discover(tmp_path)
    assert [e.id for e in found.entries] == ["submission_1"]
    assert any("could not be read" in p for p in found.problems)


def test_discover_rejects_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")
    (tmp_path / "file.py").write_text("x = 1")
    with pytest.raises(NotADirectoryError):
        discover(tmp_path / "file.py")


# --------------------------------------------------------------------------------------------------------------
# a generated class, graded for Part B

#: Bug-zoo mutants, each as a student who wrote only the mutated function (and what it calls): cheap to grade.
MUTANTS = {"b_add_noise_sigma_squared": {"add_noise"}, "b_cfg_sign": {"ddpm_sample_cond"},
           "b_ddpm_forward_t_unnormalised": {"ddpm_forward", "ddpm_sample"}}
#: Grading children share 2 cores with the other tests (and CI): time limits ×3 keep scores deterministic.
SCALE = 3.0


def only(source: str, names: set[str]) -> str:
    """``source`` with its imports and assignments, and only the definitions ``names`` and those they use."""
    tree = ast.parse(source)
    definitions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    keep, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in definitions and name not in keep:
            keep.add(name)
            todo += [n.id for n in ast.walk(definitions[name]) if isinstance(n, ast.Name)]
    lines = source.split("\n")
    chunks = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name in keep:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            chunks.append("\n".join(lines[start - 1:node.end_lineno]))
    return "\n\n".join(chunks) + "\n"


def build_class(folder: Path) -> Path:
    """The 12 submissions (and one stray file) described in the module's docstring."""
    from autograder.render import render_reference
    from autograder.validate import zoo

    folder.mkdir(parents=True)
    reference = render_reference(("b",))
    (folder / "reference.py").write_text(reference)
    shutil.copy(REPO / "assignment" / "part_a.ipynb", folder / "stub_part_a.ipynb")
    shutil.copy(REPO / "assignment" / "part_b.ipynb", folder / "stub_part_b.ipynb")
    for name, functions in MUTANTS.items():
        mutant = zoo.apply(reference, zoo.read_entry(zoo.ZOO_ROOT / "mutants" / f"{name}.py"))
        (folder / f"{name}.py").write_text(only(mutant, functions))
    twin = only(zoo.apply(reference, zoo.read_entry(zoo.ZOO_ROOT / "variants" / "b_sample_eps_form.py")),
                {"DDPM", "ddpm_forward", "ddpm_sample"})
    (folder / "twin_1.py").write_text(twin)
    twin = re.sub(r"\beps\b", "noise_eps", twin)  # a variable renamed, comments added: the same solution
    (folder / "twin_2.py").write_text(re.sub(r"^(def \w+\(.*\):)$", r"\1\n    # my own work", twin, flags=re.M))
    shutil.copy(zoo.ZOO_ROOT / "hostile" / "exit_at_import.py", folder / "hostile.py")
    (folder / "empty.ipynb").write_text("")
    (folder / "notes.txt").write_text("not a notebook")
    (folder / "dana").mkdir()
    shutil.copy(REPO / "assignment" / "part_a.ipynb", folder / "dana" / "dana_part_a.ipynb")
    shutil.copy(REPO / "assignment" / "part_b.ipynb", folder / "dana" / "dana_part_b.ipynb")
    (folder / "frank").mkdir()
    (folder / "frank" / "report.pdf").write_bytes(b"%PDF-1.4")
    return folder


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory) -> Path:
    """The mutants the report matches failures against: the three in the class (the full zoo takes minutes)."""
    from autograder.validate import zoo

    folder = tmp_path_factory.mktemp("zoo")
    for name in MUTANTS:
        shutil.copy(zoo.ZOO_ROOT / "mutants" / f"{name}.py", folder)
    return folder


@dataclass
class Graded:
    """The class, its output folder, and what each of the two runs did."""

    folder: Path
    out: Path
    first: RunSummary
    second_rc: int


@pytest.fixture(scope="module")
def graded(tmp_path_factory, zoo_dir) -> Graded:
    """Two workers, batches of 3, stopped after 2 batches (an interrupted run), then resumed through the CLI."""
    root = tmp_path_factory.mktemp("class")
    folder, out = build_class(root / "submissions"), root / "out"
    first = grade_all(folder, out, ClassOptions(part="b", workers=2, batch=3, max_batches=2, timeout_scale=SCALE,
                                                report=False, progress=False), echo=None)
    rc = cli.main(["grade-all", str(folder), "--out", str(out), "--part", "b", "--workers", "2", "--batch", "3",
                   "--timeout-scale", str(SCALE), "--zoo", str(zoo_dir), "--no-progress"])
    return Graded(folder, out, first, rc)


def _scores(out: Path) -> dict[str, float]:
    return {p.name[:-len(".json")]: json.loads(p.read_text())["score"]
            for p in (out / "results").glob("*.json") if not p.name.endswith(".meta.json")}


def test_every_submission_is_graded_exactly_once_across_an_interrupted_run(graded):
    ids = ["b_add_noise_sigma_squared", "b_cfg_sign", "b_ddpm_forward_t_unnormalised", "dana", "empty", "frank",
           "hostile", "reference", "stub_part_a", "stub_part_b", "twin_1", "twin_2"]
    first = graded.first
    assert sorted(first.selected) == ids
    assert len(first.graded) == 7 and len(first.not_run) == 5  # frank (no notebook) + two batches of 3
    assert not set(first.graded) & set(first.not_run)
    assert graded.second_rc == 0
    log = [json.loads(line) for line in (graded.out / "grading_log.jsonl").read_text().splitlines()]
    assert sorted(entry["id"] for entry in log) == ids  # each once, ever
    assert sorted(entry["id"] for entry in log[7:]) == sorted(first.not_run)  # the second run graded the rest
    assert sorted(_scores(graded.out)) == ids
    metas = {p.name[:-len(".meta.json")]: json.loads(p.read_text()) for p in (graded.out / "results").glob("*.meta.json")}
    assert sorted(metas) == ids
    assert {m["grader_version"] for m in metas.values()} == {grader_version()}
    assert metas["frank"]["status"] == "missing" and metas["reference"]["status"] == "graded"
    assert not list((graded.out / "results").glob(".*"))  # no temporary files left


def test_scores_are_the_graders(graded):
    from autograder.validate import zoo

    scores = _scores(graded.out)
    assert scores["reference"] == 46
    assert scores["twin_1"] == scores["twin_2"] > 0
    for name in MUTANTS:
        target = zoo.read_entry(zoo.ZOO_ROOT / "mutants" / f"{name}.py").target
        tests = json.loads((graded.out / "results" / f"{name}.json").read_text())["tests"]
        assert [t["status"] for t in tests if t["name"].startswith(target)] == ["failed"], name
    for name in ("stub_part_a", "stub_part_b", "hostile", "empty", "dana", "frank"):
        assert scores[name] == 0, name
    dana = json.loads((graded.out / "results" / "dana.meta.json").read_text())
    assert [f["path"] for f in dana["files"]] == ["dana_part_a.ipynb", "dana_part_b.ipynb"]
    assert dana["max_score"] == 46  # --part b: only the Part B notebook, for Part B


def test_a_students_two_notebooks_are_graded_each_for_its_part_and_merged(tmp_path):
    folder = tmp_path / "submissions"
    (folder / "dana").mkdir(parents=True)
    shutil.copy(REPO / "assignment" / "part_a.ipynb", folder / "dana" / "dana_part_a.ipynb")
    shutil.copy(REPO / "assignment" / "part_b.ipynb", folder / "dana" / "dana_part_b.ipynb")
    grade_all(folder, tmp_path / "out", ClassOptions(timeout_scale=SCALE, report=False, progress=False), echo=None)
    results = json.loads((tmp_path / "out" / "results" / "dana.json").read_text())
    assert results["max_score"] == 22 + 46 and len(results["tests"]) == 9 + 29 and not validate_results(results)
    assert "dana_part_a.ipynb:" in results["output"] and "dana_part_b.ipynb:" in results["output"]
    assert {t["name"].split(":")[0] for t in results["tests"][:9]} >= {"forward", "inpaint"}  # Part A's, from part A


def test_a_rerun_skips_unchanged_work_and_regrades_a_changed_file(graded, tmp_path):
    folder, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded.folder, folder)
    shutil.copytree(graded.out, out)
    options = ClassOptions(part="b", batch=3, timeout_scale=SCALE, report=False, progress=False)
    again = grade_all(folder, out, options, echo=None)
    assert again.graded == [] and len(again.skipped) == 12
    with open(folder / "hostile.py", "a") as handle:
        handle.write("\n# resubmitted\n")
    again = grade_all(folder, out, options, echo=None)
    assert again.graded == ["hostile"] and len(again.skipped) == 11


def test_gradebook_matches_the_results(graded):
    with open(graded.out / "grades.csv", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row)) for row in reader]
    assert header[:5] == ["id", "name", "email", "total", "max"] and header[-2:] == ["status", "notes"]
    assert len(rows) == 12
    for row in rows:
        results = json.loads((graded.out / "results" / f"{row['id']}.json").read_text())
        assert float(row["total"]) == pytest.approx(results["score"]), row["id"]
        assert float(row["max"]) == pytest.approx(results["max_score"]), row["id"]
        tests = {t["name"]: t["score"] for t in results["tests"]}
        for name in header[5:-2]:
            if name in tests:
                assert float(row[name]) == pytest.approx(tests[name]), (row["id"], name)
            else:
                assert row[name] == "", (row["id"], name)
    by_id = {row["id"]: row for row in rows}
    assert by_id["frank"]["status"] == "missing" and by_id["reference"]["status"] == "graded"
    assert "empty.ipynb is empty" in by_id["empty"]["notes"]
    assert len(header) == 5 + 29 + 2  # Part B's 29 tests on a CPU


def test_gradebook_has_one_row_per_submitter_of_a_gradescope_export(tmp_path):
    pytest.importorskip("yaml")
    export = _gradescope_export(tmp_path / "unzipped")
    for folder in export.iterdir():  # nothing to grade: no sandbox needed to check the rows
        for path in folder.glob("*.*"):
            path.rename(path.with_suffix(".pdf"))
    summary = grade_all(tmp_path / "unzipped", tmp_path / "out", ClassOptions(report=False, progress=False), echo=None)
    assert summary.layout == "gradescope" and len(summary.graded) == 3
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        rows = [(r["id"], r["name"], r["email"], r["status"]) for r in csv.DictReader(handle)]
    assert rows == [("submission_1001", "Ada Lovelace", "ada@example.edu", "missing"),
                    ("submission_1002", "Alan Turing", "alan@example.edu", "missing"),
                    ("submission_1002", "Grace Hopper", "grace@example.edu", "missing"),
                    ("submission_1009", "", "", "missing")]


def test_a_crash_while_grading_a_batch_is_a_row_not_an_abort(tmp_path, monkeypatch):
    from autograder import grading

    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(REPO / "autograder" / "validate" / "zoo_files" / "hostile" / "exit_at_import.py", folder / "one.py")
    (folder / "two.py").write_text("def add_noise(x, sigma):\n    return x\n")

    def broken(*args, **kwargs):
        raise RuntimeError("the sandbox could not start")

    monkeypatch.setattr(grading, "grade_many", broken)
    options = ClassOptions(part="b", batch=1, report=False, progress=False)
    summary = grade_all(folder, tmp_path / "out", options, echo=None)
    assert sorted(summary.failed) == ["one", "two"] and "the sandbox could not start" in summary.failed["one"]
    results = json.loads((tmp_path / "out" / "results" / "one.json").read_text())
    assert results["score"] == 0 and "the sandbox could not start" in results["output"] and not validate_results(results)
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["id"], r["status"], r["total"]) for r in rows] == [("one", "error", ""), ("two", "error", "")]
    monkeypatch.undo()
    summary = grade_all(folder, tmp_path / "out", options, echo=None)  # failures are graded again
    assert summary.graded == ["one", "two"] and not summary.failed


def test_workers_run_their_sandboxes_as_distinct_users(monkeypatch):
    import multiprocessing

    from autograder import grading, sandbox
    from autograder.classroom import engine
    from autograder.sandbox import runner

    calls = []

    def fake(tasks, device, dtype, seed, jobs, uid_offset=0):
        calls.append(uid_offset)
        return {}

    monkeypatch.setattr(runner, "_run_sandbox", fake)
    monkeypatch.setattr(engine, "_UID_SHIFT", 0)
    counter = multiprocessing.get_context("spawn").Value("i", 2)
    engine._worker_init(counter, 100)  # the third worker
    assert counter.value == 3 and engine._UID_SHIFT == 200
    seen = []
    monkeypatch.setattr(grading, "grade_many", lambda paths, options, only_names=None: seen.append(options) or [])
    engine.grade_batch([{"id": "x", "units": [["x.py", None, ""]]}],
                       {"part": "b", "gpu": "off", "jobs": 1, "timeout_scale": 1.0, "memory_mb": 1024})
    assert [o.uid_offset for o in seen] == [200]
    # the batch's sandbox runs at the worker's offset; a group re-run alone at position 5 is 5 users further on
    tasks = [sandbox.GroupTask(f"g{i}", "probes_part_b", "run_models", {}, {}, sandbox.Limits()) for i in range(6)]
    runner.run_batch(tasks, "cpu", "float32", 0, 1, uid_offset=seen[0].uid_offset)
    assert calls[0] == 200 and calls[-1] == 205 and sorted(calls[1:]) == [200, 201, 202, 203, 204, 205]


def test_shards_merged_equal_the_unsharded_run(graded, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    names = ["reference.py", "b_cfg_sign.py", "stub_part_b.ipynb", "hostile.py", "empty.ipynb"]
    for name in names:
        shutil.copy(graded.folder / name, folder / name)
    shards = []
    for index in (1, 2):
        out = tmp_path / f"shard{index}"
        summary = grade_all(folder, out, ClassOptions(part="b", shard=(index, 2), timeout_scale=SCALE, report=False,
                                                      progress=False), echo=None)
        shards.append((out, summary.selected))
    assert sorted(shards[0][1] + shards[1][1]) == sorted(Path(n).stem for n in names)
    assert not set(shards[0][1]) & set(shards[1][1])
    merged = tmp_path / "merged"
    assert cli.main(["merge-shards", str(shards[0][0]), str(shards[1][0]), "--out", str(merged), "--no-zoo-match"]) == 0
    main = _scores(graded.out)
    assert _scores(merged) == {Path(n).stem: main[Path(n).stem] for n in names}
    with open(merged / "grades.csv", newline="") as handle:
        assert sorted(r["id"] for r in csv.DictReader(handle)) == sorted(Path(n).stem for n in names)
    assert (merged / "report.html").is_file()


def test_report_names_the_mutants_bugs(graded, zoo_dir, monkeypatch, tmp_path):
    from autograder import grading
    from autograder.validate import zoo

    page = (graded.out / "report.html").read_text()
    for name in MUTANTS:
        doc = zoo.read_entry(zoo_dir / f"{name}.py").doc.strip()
        assert f"1 student: {html.escape(doc, quote=True)}" in page, name
    assert page.count("data:image/png;base64,") >= 2
    assert not re.search(r"""(src|href)=['"]?https?:""", page)  # self-contained
    cache = json.loads((graded.out / ".zoo_signatures.json").read_text())
    assert sorted(cache["mutants"]) == sorted(MUTANTS) and cache["grader_version"] == report.zoo_version()

    def no_grading(*args, **kwargs):
        raise AssertionError("the mutants' signatures are cached")

    monkeypatch.setattr(grading, "grade_many", no_grading)
    copy = tmp_path / "out"
    shutil.copytree(graded.out, copy)
    rebuilt = report.write_report(copy, report.ReportOptions(zoo_dir=zoo_dir, similarity=False)).read_text()
    assert "1 student: CFG with the wrong sign" in rebuilt


def test_the_near_identical_pair_is_the_top_similarity_lead(graded):
    leads = json.loads((graded.out / "similarity.json").read_text())
    top = leads["pairs"][0]
    assert (top["a"], top["b"]) == ("twin_1", "twin_2") and top["identical"]
    assert "twin_1 ↔ twin_2" in (graded.out / "report.html").read_text()
    codes = similarity.read_code_files(graded.out)
    assert "class Conv(" in codes["reference"] and "import torch" not in codes["reference"]
    fallback = similarity.find_similar(codes, backend="difflib")
    assert (fallback.pairs[0].a, fallback.pairs[0].b) == ("twin_1", "twin_2")


def test_similarity_degrades_without_copydetect(monkeypatch):
    monkeypatch.setitem(sys.modules, "copydetect", None)
    code = "def f(x):\n" + "".join(f"    y{i} = x * {i} + torch.sqrt(x)\n" for i in range(8)) + "    return y1\n"
    result = similarity.find_similar({"a": code, "b": code.replace("y", "z"), "c": "x = 1\n"})
    assert result.method == "difflib" and any("copydetect is not installed" in n for n in result.notes)
    assert [(p.a, p.b, p.identical) for p in result.pairs] == [("a", "b", True)]


def test_command_line_usage_errors_and_help(tmp_path, capsys):
    assert cli.main(["grade-all", str(tmp_path), "--out", str(tmp_path / "o"), "--shard", "3/2"]) == 2
    assert cli.main(["grade-all", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "one.py").write_text("x = 1")
    assert cli.main(["grade-all", str(tmp_path / "one.py"), "--out", str(tmp_path / "o")]) == 2
    assert cli.main(["merge-shards", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "I must be between 1 and N" in capsys.readouterr().err
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("grade-all", "merge-shards"):
        for action in commands.choices[name]._actions:
            assert action.help, f"{name} {action.dest} has no help text"


def test_a_class_may_mix_both_part_b_versions():
    """A Part B notebook of either version keeps its tests in grade-all (its names are Part B's), the gradebook and
    report know the flow-matching tests, and an edit to the flow-matching reference counts as a grader change."""
    from autograder.classroom.engine import GRADING_SOURCES, known_groups, part_tags

    assert {"time_fm_forward", "class_fm_sample", "FlowMatching", "ddpm_forward"} <= part_tags("b")
    names = [g.name for g in known_groups()]
    assert {"flow_time", "flow_class", "FlowMatching", "ddpm"} <= set(names) and len(names) == len(set(names))
    assert "solutions/part_b_fm.py" in GRADING_SOURCES
