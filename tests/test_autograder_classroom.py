"""``grade-all`` and ``merge-shards``: grading a whole class (autograder/classroom).

Discovery is tested on small hand-made folders (no grading). The engine is tested on one generated class of 12
submissions graded for Part B (the hostile submissions of the kit are Part B ones): the reference, the two generated
student notebooks, three bug-zoo mutants, two near-identical submissions (a correct variant, and the same code with
comments added and a variable renamed), a hostile one that exits at import, an empty notebook, a student folder with
a Part A and a Part B notebook, a student folder with no notebook, and a file that is not a notebook. It is graded
with two workers in batches of 3, stopped after two batches, then resumed through the command line; the tests check
that every submission was graded exactly once, the gradebook, the report's bug-zoo matches and similarity leads, and
that two shards merged equal the unsharded run.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder.classroom.inputs import discover, extract_zip, part_of

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
