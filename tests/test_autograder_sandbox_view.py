"""The allow-list view (namespaces mode): a submission looking around the machine finds nothing of the host.

``fs_snoop`` (autograder/validate/zoo_files/hostile) lists ``/``, reads ``/etc/passwd`` and ``/etc/shadow``, home
folders, the kit's reference through every path it can think of (the checkout's absolute path from
``assignment.__file__`` and the editable install's finder, ``/proc/1/root``, ``/proc/self/cwd/..``), the files
this test plants outside the kit (another student's notebook beside it, a file in the grader's home folder), the
sandbox's work folder (a classmate's statements, graded in the same batch) and its own memory, and puts what it
saw into its error message, which the feedback shows. Each view builder that works here (bubblewrap, and
``unshare`` + ``pivot_root``) is graded; the planted secrets must never reach ``results.json``. The same
submission in rlimits mode is the control: there it does find the other student's notebook (as that mode's
warning says it would).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.grading import Options, grade_many
from autograder.results import validate_results, write_results
from autograder.sandbox import isolation, view

HOSTILE = Path(__file__).resolve().parents[1] / "autograder" / "validate" / "zoo_files" / "hostile"
KIT_SEEN = {".venv", "assignment", "data", "graph_training"}
SECRET = "FUNDIFF-SECRET-"


def _backend_works(backend: str) -> bool:
    return os.geteuid() == 0 and shutil.which(backend) is not None and isolation._probe(backend)


@pytest.fixture(scope="module")
def planted():
    """A class folder in ``/tmp`` (readable by all, like a shared drive) with this submission and another student's
    notebook beside it, a classmate graded in the same batch (in a folder closed to other users: only the batch's
    work folder or memory could show its code), and a secret file in the grader's home folder."""
    tag = uuid.uuid4().hex[:8]
    top = Path(tempfile.mkdtemp(prefix="sbx_class_"))
    home_file = Path.home() / f"sbx_secret_{tag}.txt"
    try:
        top.chmod(0o755)
        me, other = top / "student-a", top / "student-b"
        me.mkdir(mode=0o755)
        other.mkdir(mode=0o755)
        sibling = other / "part_b.ipynb"
        sibling.write_text(json.dumps({"cells": [{"cell_type": "code", "source": f"# {SECRET}sibling"}]}))
        home_file.write_text(f"{SECRET}home\n")
        private = top / "student-c"  # graded in the same batch; its folder is closed to other users
        private.mkdir(mode=0o700)
        classmate = private / "classmate.py"
        classmate.write_text((HOSTILE / "tmp_snoop.py").read_text().replace("import json\n", f"NOTE = '{SECRET}classmate'\nimport json\n", 1))
        for path in (sibling, home_file, classmate):
            path.chmod(0o644)
        snoop = me / "fs_snoop.py"
        targets = [str(sibling), str(home_file), str(other), str(Path.home())]
        snoop.write_text((HOSTILE / "fs_snoop.py").read_text().replace("EXTRA_TARGETS = []", f"EXTRA_TARGETS = {targets!r}"))
        snoop.chmod(0o644)
        assert f"{SECRET}sibling" in sibling.read_text() and home_file.read_text().startswith(SECRET)
        yield {"snoop": snoop, "classmate": classmate, "tmp": top}
    finally:
        shutil.rmtree(top, ignore_errors=True)
        home_file.unlink(missing_ok=True)


def _grade(planted: dict, mode: str) -> tuple[dict | None, str, str]:
    """Grade the classmate, then the snoop, in one batch under ``FUNDIFF_SANDBOX=mode``: ``(what the snoop saw, or
    None where its report was cut to the feedback's length, the feedback showing it, the snoop's results.json)``."""
    patch = pytest.MonkeyPatch()
    patch.setenv("FUNDIFF_SANDBOX", mode)
    sandbox.isolation_mode.cache_clear()
    try:
        assert sandbox.isolation_mode() == ("rlimits" if mode == "rlimits" else "namespaces")
        assert sandbox.view_backend() == (None if mode == "rlimits" else mode)
        reports = grade_many([planted["classmate"], planted["snoop"]], Options(part="b", timeout_scale=0.25, jobs=2))
    finally:
        patch.undo()
        sandbox.isolation_mode.cache_clear()
    out = planted["tmp"] / f"results-{mode}.json"
    write_results(reports[1], out)
    text = out.read_text()
    data = json.loads(text)
    assert not validate_results(data)
    feedback = next((test.output for test in reports[1].tests if "saw {" in test.output), None)
    assert feedback is not None, [(t.name, t.output[:300]) for t in reports[1].tests]
    body = feedback[feedback.index("saw {") + 4:]
    try:
        seen = json.loads(body[: body.index("}\n") + 1] if "}\n" in body else body)
    except ValueError:
        seen = None
    assert reports[1].score == 4.0  # its honest functions keep their points
    return seen, feedback, text


@pytest.mark.parametrize("backend", ["bwrap", "unshare"])
def test_a_snooping_submission_sees_nothing_of_the_host(planted, backend):
    if not _backend_works(backend):
        pytest.skip(f"the {backend} view needs root and a working {backend}")
    seen, feedback, text = _grade(planted, backend)
    assert SECRET not in text, feedback
    assert seen is not None, feedback  # no planted file, no classmate's code, from disk or from memory
    assert seen["found"] == [] and seen["reference"] == [] and not seen["shadow"]
    assert set(seen["users"]) <= {"root", "nobody"}  # the synthesized /etc/passwd, not the host's
    host_only = {entry for entry in os.listdir("/") if not (Path("/") / entry).is_symlink()} - {
        Path(m.dest).parts[1] for m in view.view_mounts(None, planted["tmp"] / "etc-probe") if m.dest != "/"}
    assert not host_only & set(seen["root"]), seen["root"]
    assert "home" not in seen["root"] and seen["home"] is None
    assert view.INNER_WORK.strip("/") in seen["root"]
    for root, listing in seen["kit"].items():  # the checkout shows only what the child reads
        assert listing is None or set(listing) <= KIT_SEEN, (root, listing)
    from solutions import part_b

    assert part_b.__doc__.splitlines()[0] not in text and "def _noise_at_random_times" not in text


def test_rlimits_mode_cannot_hide_the_class_folder(planted):
    """The control: the same submission without the view reads the other student's notebook (that mode's warning
    says so), yet not the statements of a classmate in the same batch when the grader is root."""
    _, feedback, _ = _grade(planted, "rlimits")
    assert f"{SECRET}sibling" in feedback, feedback
    if os.geteuid() == 0:
        assert f"{SECRET}classmate" not in feedback, feedback


def test_the_rlimits_warning_lists_what_it_cannot_hide(capfd):
    sandbox.isolation_mode.cache_clear()
    patch = pytest.MonkeyPatch()
    patch.setenv("FUNDIFF_SANDBOX", "rlimits")
    try:
        assert sandbox.isolation_mode() == "rlimits"
    finally:
        patch.undo()
        sandbox.isolation_mode.cache_clear()
    err = capfd.readouterr().err
    for line in isolation.RLIMITS_EXPOSES:
        assert line in err
    assert "home folders" in err and "other students' submissions" in err and "network" in err


def test_the_view_lists_only_the_allow_list(tmp_path):
    """By construction: which host paths the view binds, and that the kit's hidden folders are not among them."""
    mounts = view.view_mounts(tmp_path / "work", tmp_path)
    binds = [Path(m.source) for m in mounts if m.kind in ("ro", "rw", "dev")]
    repo = view.REPO_ROOT
    for name in isolation.HIDDEN_FROM_CHILD:
        hidden = repo / name
        assert not any(b == hidden or hidden.is_relative_to(b) and not repo.is_relative_to(b) for b in binds), name
    assert not any(b == repo or repo.is_relative_to(b) and b not in view.python_paths() for b in binds)
    assert repo / "data" / "reference_models" not in binds
    assert not any(b == Path.home() or Path("/home") == b for b in binds)
    dests = {m.dest for m in mounts}
    assert {"/proc", "/tmp", "/dev/null", "/dev/urandom", "/dev/shm", view.INNER_WORK, "/etc/passwd"} <= dests
    assert "/etc/shadow" not in dests
    # the GPUs, when the machine has them: every /dev/nvidia* node is bound, read-write
    for node in Path("/dev").glob("nvidia*"):
        assert any(m.kind == "dev" and m.dest == str(node) for m in mounts), node
    # the synthesized /etc files: no host user beyond root and nobody
    assert {line.split(":")[0] for line in (tmp_path / "work" / "etc" / "passwd").read_text().splitlines()} == {"root", "nobody"}
    assert stat.S_IMODE((tmp_path / "work" / "etc" / "passwd").stat().st_mode) == 0o644
    # a mask over the checkout when Python lives around it (e.g. a virtual environment holding the kit)
    assert all(m.kind != "mask" or Path(m.dest) != repo or any(repo.is_relative_to(p) for p in view.python_paths())
               for m in mounts)


def test_bwrap_and_unshare_take_the_same_mounts(tmp_path):
    mounts = view.view_mounts(tmp_path / "work", tmp_path)
    bwrap = view.bwrap_command(mounts, view.INNER_WORK, ["/bin/true"])
    assert bwrap[0] == "bwrap" and bwrap[-2:] == ["--", "/bin/true"] and "--unshare-net" in bwrap
    assert sum(a in ("--ro-bind", "--bind", "--dev-bind") for a in bwrap) == sum(m.kind in ("ro", "rw", "dev") for m in mounts)
    unshare = view.unshare_command(mounts, view.INNER_WORK, ["/bin/true"], tmp_path / "root")
    plan = json.loads(unshare[-1])
    assert unshare[0] == "unshare" and "--net" in unshare and len(plan["mounts"]) == len(mounts)
    assert plan["argv"] == ["/bin/true"] and plan["cwd"] == view.INNER_WORK


def test_a_forged_record_cannot_flood_the_feedback(tmp_path):
    """The child caps its own error texts, but a submission can write a record file itself: the grader cuts every
    string of a record's metadata when it reads it back."""
    import torch
    from safetensors.torch import save_file

    from autograder.sandbox.records import MAX_META_STRING, _read_records

    meta = {"error": "X" * 10**6, "keys": ["Y" * 10**5], "nested": {"Z" * 10**4: 1}}
    save_file({"out": torch.zeros(2)}, str(tmp_path / "call_0.safetensors"), metadata={"json": json.dumps(meta)})
    record = _read_records(tmp_path)["call_0"]
    assert len(record.error) <= MAX_META_STRING + 40 and record.error.startswith("X" * 100)
    assert len(record.meta["keys"][0]) <= MAX_META_STRING + 40
    assert all(len(k) <= MAX_META_STRING + 40 for k in record.meta["nested"])


def test_a_kit_inside_the_python_tree_is_masked(tmp_path, monkeypatch):
    """When Python's folder holds the checkout (or the kit is installed into site-packages), the view masks the
    checkout and the kit's hidden packages with empty folders, then binds the visible parts back inside."""
    prefix = tmp_path / "python"
    kit = prefix / "src" / "kit"
    site_packages = prefix / "lib" / "site-packages"
    for folder in (kit / "assignment", kit / "data" / "mini_if", kit / "solutions", site_packages / "solutions",
                   site_packages / "torch"):
        folder.mkdir(parents=True)
    monkeypatch.setattr(view, "REPO_ROOT", kit)
    monkeypatch.setattr(view, "python_paths", lambda: [prefix])
    monkeypatch.setattr(view, "_site_folders", lambda: [site_packages])
    mounts = view.view_mounts(tmp_path / "work", tmp_path)
    order = [(m.kind, m.dest) for m in mounts]
    assert ("mask", str(kit)) in order and ("mask", str(site_packages / "solutions")) in order
    assert ("ro", str(prefix)) in order
    assert order.index(("ro", str(prefix))) < order.index(("mask", str(kit))) < order.index(("ro", str(kit / "assignment")))
    assert ("ro", str(kit / "data" / "mini_if")) in order
    assert not any(m.source == str(kit / "solutions") or m.dest == str(kit / "solutions") for m in mounts if m.kind != "mask")
