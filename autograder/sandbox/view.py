"""The file system a sandbox sees in namespaces mode: an allow-list, built as a fresh root.

:func:`view_mounts` lists, in the order they must be made, the mounts of a root that holds only

* the system's programs and libraries (``/usr``, ``/bin``, ``/sbin``, ``/lib*``; read-only) and ``/sys``
  (read-only: torch's CPU detection and CUDA's driver read it);
* the Python installation the grader runs (its prefixes and site-packages, read-only, at their own paths; the
  kit's hidden packages masked by empty folders where they are installed there);
* of the kit's checkout, only what the child imports or reads: ``assignment/``, ``graph_training/`` and the data
  files of ``data/`` (not the reference's trained weights, not the builders) — the editable install's finder still
  points at the checkout, where ``solutions``, ``autograder``, ``tests`` … simply do not exist;
* from ``/etc`` only what the dynamic linker, Python and fontconfig read (``ld.so.cache``, ``ld.so.conf*``, ``fonts``, ``localtime``,
  ``alternatives`` …) plus a synthesized minimal ``passwd``, ``group``, ``hosts`` and ``nsswitch.conf``;
* the sandbox's own work folder at :data:`INNER_WORK` (read-write: the child code, its statements, each group's
  spec, inputs and outputs), a private empty ``/tmp``, ``/var/tmp`` and ``/dev/shm``;
* a minimal ``/dev`` (``null``, ``zero``, ``full``, ``random``, ``urandom``, ``tty``, the ``fd`` links) plus every
  ``/dev/nvidia*`` node and the folders the dynamic linker is configured to search (CUDA's driver libraries) when
  the machine has them; and its own ``/proc`` (new PID namespace).

Nothing else of the host exists there: no ``/root`` or ``/home`` (beyond the path to a Python installed under it),
no other checkout, no class folder, no submission file (the statements arrive in the work folder).

Two builders make that root: bubblewrap (:func:`bwrap_command`, preferred when ``bwrap`` is on ``PATH``) and
``unshare`` + :mod:`autograder.sandbox.pivot` (:func:`unshare_command`: a tmpfs root, bind mounts, ``pivot_root``).
Both take the same :class:`Mount` list.
"""

from __future__ import annotations

import glob
import json
import os
import site
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PIVOT_SCRIPT = Path(__file__).resolve().parent / "pivot.py"

#: Where the sandbox's work folder appears inside the view.
INNER_WORK = "/grading"
#: The top-level folders of the kit's checkout the child may read (everything else of the checkout is absent) …
KIT_VISIBLE = ("assignment", "graph_training", "data")
#: … less these entries of ``data/`` (the reference's trained weights; the builders, ``*.py``, are left out too).
DATA_HIDDEN = ("reference_models",)
#: Packages of the kit that must not be importable in the child (masked where installed into site-packages).
HIDDEN_PACKAGES = ("solutions", "autograder", "tests", "benchmarks")
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_KEPT = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "os-release", "alternatives", "fonts")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
TMPFS_MB = 512

_ETC_SYNTHESIZED = {
    "passwd": "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "group": "root:x:0:\nnogroup:x:65534:\n",
    "hosts": "127.0.0.1 localhost\n::1 localhost\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
}


@dataclass(frozen=True)
class Mount:
    """One step of building the view.

    ``kind``: ``ro`` (read-only bind of ``source``), ``rw`` (read-write bind), ``dev`` (device bind), ``tmpfs``
    (fresh ``mode``/``size_mb`` tmpfs), ``mask`` (an empty read-only-to-users tmpfs hiding what lies below),
    ``dir`` (a folder of ``mode``), ``symlink`` (a link to ``source``) or ``proc``.
    """

    kind: str
    dest: str
    source: str = ""
    mode: int = 0o755
    size_mb: int = 0


def view_mounts(work: Path | None, work_root: Path | None = None) -> list[Mount]:
    """The mounts of a sandbox's root, parents before children. ``work`` (the sandbox's work folder on the host)
    appears at :data:`INNER_WORK`; ``None`` builds the view without it (the detection probe). Writes the
    synthesized ``/etc`` files into ``work/etc`` (or ``work_root`` for the probe)."""
    mounts: list[Mount] = []
    for name in SYSTEM_DIRS:
        mounts += _copy_entry(Path("/") / name)
    mounts.append(Mount("ro", "/sys", "/sys"))
    trees = [Path(m.dest) for m in mounts if m.kind == "ro"]
    for path in python_paths():
        if not any(_within(path, tree) for tree in trees):
            mounts.append(Mount("ro", str(path), str(path)))
            trees.append(path)
    for path in linker_paths():
        if not any(_within(path, tree) for tree in trees) and not _within(REPO_ROOT, path):
            mounts.append(Mount("ro", str(path), str(path)))
            trees.append(path)
    # what lies inside a bound tree and must stay hidden: the checkout (when Python lives around it) and the
    # kit's packages installed into site-packages
    if any(_within(REPO_ROOT, tree) for tree in trees):
        mounts.append(Mount("mask", str(REPO_ROOT)))
    for folder in _site_folders():
        for name in HIDDEN_PACKAGES:
            if (folder / name).is_dir() and any(_within(folder, tree) for tree in trees):
                mounts.append(Mount("mask", str(folder / name)))
    mounts += _kit_mounts(trees)
    mounts += _etc_mounts(work / "etc" if work is not None else work_root)
    mounts += _dev_mounts()
    mounts += [Mount("tmpfs", "/tmp", mode=0o1777, size_mb=TMPFS_MB), Mount("dir", "/var", mode=0o755),
               Mount("tmpfs", "/var/tmp", mode=0o1777, size_mb=TMPFS_MB), Mount("proc", "/proc")]
    if work is not None:
        mounts.append(Mount("rw", INNER_WORK, str(work)))
    return _ordered(mounts)


def _ordered(mounts: list[Mount]) -> list[Mount]:
    """``mounts`` parents before children (a stable sort keeps a mask after the tree it lies in), with a folder
    (mode 0755) made for every missing parent that no bind brings from the host: a builder's own default may be
    0700 (bubblewrap's is), which the groups' users could not cross."""
    bound = [Path(m.dest) for m in mounts if m.kind in ("ro", "rw", "dev")]
    made = {Path(m.dest) for m in mounts}
    extra = []
    for mount in mounts:
        for parent in Path(mount.dest).parents:
            if parent == Path("/") or parent in made or any(_within(parent, tree) for tree in bound):
                continue
            made.add(parent)
            extra.append(Mount("dir", str(parent), mode=0o755))
    return sorted([*mounts, *extra], key=lambda m: len(Path(m.dest).parts))


def python_paths() -> list[Path]:
    """The Python installation the grader runs: its prefixes, standard library and site-packages, at their given
    and their real paths (outermost only; never ``/``, never the kit's checkout or a folder holding it)."""
    raw = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
           os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()}
    paths_info = sysconfig.get_paths()
    raw.update(paths_info[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths_info)
    found = set()
    for entry in raw:
        for path in (Path(os.path.abspath(entry)), Path(os.path.realpath(entry))):
            if path.is_dir() and path != Path("/") and path != REPO_ROOT:
                found.add(path)
    return sorted(p for p in found if not any(other != p and _within(p, other) for other in found))


def linker_paths() -> list[Path]:
    """The folders ``/etc/ld.so.conf`` (and ``ld.so.conf.d/*.conf``) tell the dynamic linker to search that lie
    outside the system folders (e.g. a GPU driver's libraries under ``/opt``)."""
    folders: list[Path] = []
    for conf in [Path("/etc/ld.so.conf"), *sorted(Path("/etc/ld.so.conf.d").glob("*.conf"))]:
        try:
            lines = conf.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if line.startswith("/") and Path(line).is_dir() and Path(line) != Path("/"):
                folders.append(Path(os.path.realpath(line)))
    return folders


def _site_folders() -> list[Path]:
    paths_info = sysconfig.get_paths()
    raw = [*site.getsitepackages(), paths_info.get("purelib", ""), paths_info.get("platlib", "")]
    return sorted({Path(os.path.realpath(p)) for p in raw if p and os.path.isdir(p)})


def _kit_mounts(trees: list[Path]) -> list[Mount]:
    mounts = []
    for name in KIT_VISIBLE:
        top = REPO_ROOT / name
        if not top.is_dir():
            continue
        if name != "data":
            mounts.append(Mount("ro", str(top), str(top)))
            continue
        mounts.append(Mount("dir", str(top), mode=0o755))
        for entry in sorted(top.iterdir()):
            if entry.name in DATA_HIDDEN or entry.suffix == ".py" or entry.name.startswith("."):
                continue
            mounts += _copy_entry(entry)
    return mounts


def _etc_mounts(synthesized: Path | None) -> list[Mount]:
    mounts = [Mount("dir", "/etc", mode=0o755)]
    for name in ETC_KEPT:
        mounts += _copy_entry(Path("/etc") / name)
    if synthesized is not None:
        synthesized.mkdir(parents=True, exist_ok=True)
        for name, text in _ETC_SYNTHESIZED.items():
            (synthesized / name).write_text(text)
            (synthesized / name).chmod(0o644)
            mounts.append(Mount("ro", f"/etc/{name}", str(synthesized / name)))
    return mounts


def _dev_mounts() -> list[Mount]:
    mounts = [Mount("tmpfs", "/dev", mode=0o755, size_mb=1)]
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            mounts.append(Mount("dev", f"/dev/{name}", f"/dev/{name}"))
    for path in sorted(glob.glob("/dev/nvidia*")):  # the GPUs, nvidiactl, nvidia-uvm*, nvidia-caps/ (MIG)
        mounts.append(Mount("dev", path, path))
    mounts += [Mount("symlink", "/dev/fd", "/proc/self/fd"), Mount("symlink", "/dev/stdin", "/proc/self/fd/0"),
               Mount("symlink", "/dev/stdout", "/proc/self/fd/1"), Mount("symlink", "/dev/stderr", "/proc/self/fd/2"),
               Mount("tmpfs", "/dev/shm", mode=0o1777, size_mb=TMPFS_MB)]
    if os.path.isdir("/run/nvidia-persistenced"):
        mounts.append(Mount("ro", "/run/nvidia-persistenced", "/run/nvidia-persistenced"))
    return mounts


def _copy_entry(path: Path) -> list[Mount]:
    """``path`` as it is on the host: a symbolic link as the same link, a folder or file as a read-only bind."""
    if path.is_symlink():
        return [Mount("symlink", str(path), os.readlink(path))]
    if path.exists():
        return [Mount("ro", str(path), str(path))]
    return []


def _within(path: Path, tree: Path) -> bool:
    return path == tree or tree in path.parents


def bwrap_command(mounts: list[Mount], cwd: str, argv: list[str]) -> list[str]:
    """The ``bwrap`` command line running ``argv`` in ``mounts``' root with new PID, network, IPC and UTS
    namespaces (bubblewrap keeps root's capabilities when started by root: the harness still switches users)."""
    command = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--hostname", "grading",
               "--die-with-parent"]
    for mount in mounts:
        if mount.kind == "ro":
            command += ["--ro-bind", mount.source, mount.dest]
        elif mount.kind == "rw":
            command += ["--bind", mount.source, mount.dest]
        elif mount.kind == "dev":
            command += ["--dev-bind", mount.source, mount.dest]
        elif mount.kind in ("tmpfs", "mask"):
            mode, size = (0o555, 1) if mount.kind == "mask" else (mount.mode, mount.size_mb)
            command += ["--perms", f"{mode:04o}", "--size", str(size * 2**20), "--tmpfs", mount.dest]
        elif mount.kind == "dir":
            command += ["--perms", f"{mount.mode:04o}", "--dir", mount.dest]
        elif mount.kind == "symlink":
            command += ["--symlink", mount.source, mount.dest]
        elif mount.kind == "proc":
            command += ["--proc", mount.dest]
        else:
            raise ValueError(f"unknown mount kind {mount.kind!r}")
    return [*command, "--remount-ro", "/", "--chdir", cwd, "--", *argv]


def unshare_command(mounts: list[Mount], cwd: str, argv: list[str], new_root: Path) -> list[str]:
    """The ``unshare`` command line running ``argv`` in ``mounts``' root: new mount, PID, network, IPC and UTS
    namespaces, then :mod:`autograder.sandbox.pivot` (the standard library only) builds the root as a tmpfs on the
    empty folder ``new_root``, ``pivot_root``\\ s into it and executes ``argv``. The plan travels as one argument
    (JSON), gone from ``/proc`` once the command runs."""
    plan = {"root": str(new_root), "mounts": [asdict(m) for m in mounts], "cwd": cwd, "argv": argv}
    return ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            sys.executable, "-I", "-S", str(PIVOT_SCRIPT), json.dumps(plan)]


def sandbox_command(backend: str, work: Path, argv: list[str]) -> list[str]:
    """The command running ``argv`` (paths as seen inside: :data:`INNER_WORK`) in the view of ``work``, built by
    ``backend`` (``"bwrap"`` or ``"unshare"``)."""
    mounts = view_mounts(work)
    if backend == "bwrap":
        return bwrap_command(mounts, INNER_WORK, argv)
    new_root = work / ".root"
    new_root.mkdir(mode=0o700, exist_ok=True)
    return unshare_command(mounts, INNER_WORK, argv, new_root)
