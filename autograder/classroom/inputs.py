"""Find a class's submissions in a folder: one file per student, one folder per student, or a Gradescope export.

Three layouts are recognised (they may be mixed, except the Gradescope one):

* **files** — ``SUBMISSIONS/alice.ipynb``, ``SUBMISSIONS/bob.py``: one submission per notebook or Python file, its id
  the file name without the suffix;
* **folders** — ``SUBMISSIONS/alice/part_a.ipynb`` and ``SUBMISSIONS/alice/part_b.ipynb``: one submission per
  folder, its id the folder's name. A file whose name says ``part_a``/``part-a``/``partA`` (or ``b``) is graded for
  that part only and the two results are merged, as ``docker/run_autograder`` does for one student;
* **gradescope** — the unzipped folder of Gradescope's *Export Submissions*: ``submission_metadata.yml`` beside one
  folder per submission (``submission_123456/``). The metadata maps each folder to its submitters
  (``:submitters: [{:name:, :email:, :sid:}]``); it is read with PyYAML's safe loader (unknown Ruby tags read as
  plain data), and skipped with a note when PyYAML is missing or the file does not parse.

Nothing here is fatal: files that are not notebooks, empty files, folders without a notebook and identical
submissions are listed in :attr:`Discovery.problems`. Each submission has a stable id (its file or folder name,
made safe for a file name) and a content hash (sha256 over the files it will be graded on).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GRADABLE_SUFFIXES = (".ipynb", ".py")
METADATA_FILE = "submission_metadata.yml"
#: Folders and files that archives and editors leave behind: never submissions, never reported.
IGNORED = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store", "Thumbs.db", ".git"}
_PART = re.compile(r"part[ _-]?([ab])(?![a-z])")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass(frozen=True)
class Submitter:
    """One student behind a submission (several for a Gradescope group submission)."""

    name: str = ""
    email: str = ""
    sid: str = ""


@dataclass
class SubmittedFile:
    """A gradable file of a submission and the part its name says it holds (``None``: not said)."""

    path: Path
    relative: str
    part: str | None


@dataclass
class Entry:
    """One submission: what will be graded, who submitted it, and what was left out and why."""

    id: str
    source: Path
    files: list[SubmittedFile] = field(default_factory=list)
    submitters: list[Submitter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    content_hash: str = ""

    @property
    def gradable(self) -> bool:
        """Whether there is a notebook or Python file to grade."""
        return bool(self.files)

    def units(self, part: str) -> list[tuple[SubmittedFile, str | None]]:
        """The files to grade for ``part`` (``a``, ``b`` or ``all``), each with the part it is restricted to.

        With ``all`` and both a Part A and a Part B file, each is graded for its own part (``"a"``/``"b"``) and the
        results are merged; a single file is graded for ``part`` as a whole (restriction ``None``), so that a
        student who submitted one part still sees the other part's tests, at zero.
        """
        by_part = {f.part: f for f in self.files}
        if part == "all":
            if "a" in by_part and "b" in by_part:
                return [(by_part["a"], "a"), (by_part["b"], "b")]
            return [(self.files[0], None)] if self.files else []
        choice = by_part.get(part) or by_part.get(None) or (self.files[0] if self.files else None)
        return [(choice, None)] if choice else []


@dataclass
class Discovery:
    """What :func:`discover` found: the submissions (sorted by id), the layout, and every problem met."""

    root: Path
    layout: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON summary (``OUTDIR/inputs.json``)."""
        return {"root": str(self.root), "layout": self.layout, "count": len(self.entries),
                "ids": [e.id for e in self.entries], "problems": list(self.problems)}


def part_of(name: str) -> str | None:
    """``"a"``/``"b"`` when a file name says which part it holds (``part_a``, ``Part-B``, ``partA``…), else ``None``."""
    found = _PART.findall(Path(name).stem.lower())
    return found[-1] if len(set(found)) == 1 else None


def safe_id(name: str) -> str:
    """A file-name-safe id: characters other than letters, digits and ``._@+-`` become ``_``."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "submission"
    return cleaned[:120]


def discover(root: str | Path) -> Discovery:
    """Find every submission under the folder ``root``. Never raises for bad entries; raises ``FileNotFoundError``
    or ``NotADirectoryError`` only when ``root`` itself is not a folder."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"no such folder: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder (pass the folder of submissions, or a .zip of it)")
    nested = _nested_export(root)
    discovery = Discovery(root=root, layout="files")
    if nested is not None:
        discovery.problems.append(f"note: reading the Gradescope export inside {nested.relative_to(root)}/")
        root = nested
    metadata: dict[str, list[Submitter]] | None = None
    if (root / METADATA_FILE).is_file():
        discovery.layout = "gradescope"
        metadata = _read_metadata(root / METADATA_FILE, discovery.problems)
    used: set[str] = set()
    children = sorted((p for p in root.iterdir() if _visible(p)), key=lambda p: (p.is_file(), p.name))
    has_folders = False
    for child in children:  # folders first: a folder and a file of the same name keep the plain id for the folder
        if child.is_dir():
            has_folders = True
            entry = _folder_entry(child, _unique(safe_id(child.name), used))
            if not entry.files:
                found = ", ".join(sorted(p.name for p in _files_in(child))[:5]) or "nothing"
                discovery.problems.append(f"{child.name}/: no notebook (.ipynb) or Python file (.py) inside (found: {found})")
            discovery.entries.append(entry)
        elif child.name == METADATA_FILE and metadata is not None:
            continue
        elif child.suffix.lower() in GRADABLE_SUFFIXES:
            stem_free = safe_id(child.stem) not in used
            entry_id = _unique(safe_id(child.stem) if stem_free else safe_id(child.name), used)
            entry = Entry(entry_id, child, [SubmittedFile(child, child.name, part_of(child.name))])
            discovery.entries.append(entry)
        else:
            discovery.problems.append(f"{child.name}: not a notebook (.ipynb) or Python file (.py); skipped")
    if discovery.layout != "gradescope" and has_folders:
        discovery.layout = "folders" if all(e.source.is_dir() for e in discovery.entries) else "mixed"
    for entry in discovery.entries:
        for submitted in entry.files:
            try:
                empty = not submitted.path.read_bytes().strip()
            except OSError as error:
                discovery.problems.append(f"{entry.id}: cannot read {submitted.relative} ({error.strerror or error})")
                continue
            if empty:
                entry.notes.append(f"{submitted.relative} is empty")
                discovery.problems.append(f"{entry.id}: {submitted.relative} is empty")
        entry.content_hash = content_hash(entry.files)
    if metadata is not None:
        _attach_metadata(discovery, metadata)
    _flag_duplicates(discovery)
    discovery.entries.sort(key=lambda e: e.id)
    return discovery


def content_hash(files: list[SubmittedFile]) -> str:
    """sha256 over the files' parts (as their names say) and contents, in a fixed order; names do not count, so two
    students who submitted the same notebook under different names have the same hash."""
    digest = hashlib.sha256()
    for submitted in sorted(files, key=lambda f: (f.part or "-", f.relative)):
        try:
            data = submitted.path.read_bytes()
        except OSError:
            data = b""
        digest.update((submitted.part or "-").encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def extract_zip(archive: str | Path, into: str | Path) -> Path:
    """Unpack ``archive`` (e.g. Gradescope's export zip) into the folder ``into`` and return it; members with absolute
    paths or ``..`` are skipped. A folder already unpacked from the same archive (same size and time) is reused."""
    archive, into = Path(archive), Path(into)
    stamp = into / ".unpacked-from"
    signature = f"{archive.resolve()} {archive.stat().st_size} {archive.stat().st_mtime_ns}"
    if stamp.is_file() and stamp.read_text() == signature:
        return into
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    with zipfile.ZipFile(archive) as handle:
        for member in handle.infolist():
            target = Path(member.filename)
            if target.is_absolute() or ".." in target.parts or member.is_dir():
                continue
            destination = into / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            with handle.open(member) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)
    stamp.write_text(signature)
    return into


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED


def _files_in(folder: Path) -> list[Path]:
    """Every file under ``folder`` (recursively), hidden files and archive debris left out."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and all(_visible(Path(part)) for part in relative.parts):
            found.append(path)
    return found


def _folder_entry(folder: Path, entry_id: str) -> Entry:
    """A student's folder: the Part A and Part B files when the names say so, else the one notebook (or .py)."""
    entry = Entry(entry_id, folder)
    candidates = [SubmittedFile(p, str(p.relative_to(folder)), part_of(p.name))
                  for p in _files_in(folder) if p.suffix.lower() in GRADABLE_SUFFIXES]
    rank = lambda f: (f.path.suffix.lower() != ".ipynb", len(Path(f.relative).parts), f.relative)  # notebooks first
    named = {part: sorted((f for f in candidates if f.part == part), key=rank) for part in ("a", "b")}
    if named["a"] or named["b"]:
        chosen = [files[0] for files in named.values() if files]
    else:
        chosen = sorted(candidates, key=rank)[:1]
    entry.files = chosen
    for left in candidates:
        if left not in chosen:
            entry.notes.append(f"{left.relative} not graded ({', '.join(f.relative for f in chosen)} graded instead)")
    return entry


def _unique(entry_id: str, used: set[str]) -> str:
    candidate, number = entry_id, 2
    while candidate in used:
        candidate, number = f"{entry_id}-{number}", number + 1
    used.add(candidate)
    return candidate


def _nested_export(root: Path) -> Path | None:
    """The folder holding ``submission_metadata.yml`` when ``root`` is the folder the export zip was unpacked in."""
    if (root / METADATA_FILE).exists():
        return None
    children = [p for p in root.iterdir() if _visible(p)]
    if len(children) == 1 and children[0].is_dir() and (children[0] / METADATA_FILE).is_file():
        return children[0]
    return None


def _read_metadata(path: Path, problems: list[str]) -> dict[str, list[Submitter]] | None:
    """Gradescope's ``submission_metadata.yml``: submission folder → its submitters."""
    try:
        import yaml
    except ImportError:
        problems.append(f"note: {METADATA_FILE} not read (PyYAML is not installed): students' names and emails are missing")
        return {}

    class Lenient(yaml.SafeLoader):
        """The safe loader, reading unknown tags (Ruby objects in Gradescope's exports) as plain data."""

    def plain(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Lenient.add_multi_constructor("!", plain)
    Lenient.add_multi_constructor("tag:", plain)
    try:
        data = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=Lenient)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, OSError) as error:
        problems.append(f"note: {METADATA_FILE} could not be read ({type(error).__name__}); names and emails are missing")
        return {}
    if not isinstance(data, dict):
        problems.append(f"note: {METADATA_FILE} is not a mapping of submissions; names and emails are missing")
        return {}
    metadata: dict[str, list[Submitter]] = {}
    for key, record in data.items():
        people = _get(record, "submitters") if isinstance(record, dict) else None
        metadata[str(key)] = [
            Submitter(str(_get(p, "name") or ""), str(_get(p, "email") or ""), str(_get(p, "sid") or ""))
            for p in (people or []) if isinstance(p, dict)
        ]
    return metadata


def _get(record: dict[Any, Any], key: str) -> Any:
    """``record[':key']`` (Gradescope writes Ruby symbols) or ``record['key']``."""
    return record.get(f":{key}", record.get(key))


def _attach_metadata(discovery: Discovery, metadata: dict[str, list[Submitter]]) -> None:
    by_source = {e.source.name: e for e in discovery.entries}
    by_source.update({e.source.stem: e for e in discovery.entries if e.source.is_file()})
    for key, people in metadata.items():
        entry = by_source.get(key)
        if entry is None:
            discovery.problems.append(f"{METADATA_FILE} lists {key}, but there is no such folder in the export")
            continue
        entry.submitters = people
    for entry in discovery.entries:
        if entry.source.name not in metadata and entry.source.stem not in metadata:
            discovery.problems.append(f"{entry.id}: not listed in {METADATA_FILE} (no name or email)")


def _flag_duplicates(discovery: Discovery) -> None:
    by_hash: dict[str, list[Entry]] = {}
    for entry in discovery.entries:
        if entry.files and not any("is empty" in note for note in entry.notes):
            by_hash.setdefault(entry.content_hash, []).append(entry)
    for group in by_hash.values():
        if len(group) > 1:
            ids = sorted(e.id for e in group)
            discovery.problems.append(f"identical submissions (same content): {', '.join(ids)}")
            for entry in group:
                entry.notes.append(f"identical to {', '.join(i for i in ids if i != entry.id)}")
