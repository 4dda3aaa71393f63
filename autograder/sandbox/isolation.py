"""Isolation modes and what a submission may see.

* ``namespaces`` (root, and ``bwrap`` or ``unshare`` working): new mount, PID, network, IPC and UTS namespaces and an
  **allow-list file system** (:mod:`.view`): a fresh root holding only the system's libraries, the Python
  installation, the parts of the kit the child reads, the sandbox's own work folder, a private ``/tmp``, a minimal
  ``/dev`` (plus the GPUs) and its own ``/proc`` — no home folders, no other checkout, no class folder, no
  submission file, no reference. Built by bubblewrap when ``bwrap`` is on ``PATH``, else by ``unshare`` and
  ``pivot_root`` (:mod:`.pivot`); ``FUNDIFF_SANDBOX=bwrap`` or ``=unshare`` picks one. Each test group runs as its
  own unprivileged user, and cannot read the statements or the outputs of the batch's other groups.
* ``rlimits`` (no root, neither builder works, or ``FUNDIFF_SANDBOX=rlimits``): separate processes with the same
  limits (as other users when root), blocked imports of ``solutions``/``autograder`` and a blocked socket API; it
  lists on stderr what it cannot hide, and ``python -m autograder protect`` keeps the hidden folders unreadable to
  other users.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


HIDDEN_FROM_CHILD = ("solutions", "autograder", "tests", "benchmarks", ".git", "docker")


def protect_hidden_paths(root: Path | None = None) -> list[Path]:
    """``chmod -R go-rwx`` every folder of :data:`HIDDEN_FROM_CHILD` under ``root`` (default: the kit's root).

    Namespaces mode leaves them out of its view anyway; this is what keeps them unreadable in rlimits mode, where
    the only barrier is that a submission runs as another user. Returns the paths changed.
    """
    root = REPO_ROOT if root is None else root
    changed = []
    for name in HIDDEN_FROM_CHILD:
        top = root / name
        if not top.exists():
            continue
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & 0o700)
        changed.append(top)
    return changed


#: What rlimits mode cannot hide or stop: every line is printed in its warning.
RLIMITS_EXPOSES = (
    "the whole file system as other users see it: `/` lists, and every file readable by others can be read "
    "(home folders, /etc/passwd, other checkouts, a class folder and other students' submissions in it, the kit's "
    "checkout beyond its hidden folders)",
    "the host's /tmp, /var/tmp and /dev/shm (shared with every other process)",
    "the network (only Python's socket API is blocked; a native library or a subprocess can connect)",
    "the other processes of the machine (/proc, signals to processes of the same user)",
)

_BACKEND: dict[str, str | None] = {"backend": None}


@functools.lru_cache(maxsize=1)
def isolation_mode() -> str:
    """``"namespaces"`` (root + a working ``bwrap`` or ``unshare``: the allow-list view) or ``"rlimits"``.

    The first call of a process in rlimits mode warns on stderr (the instructor's log, not the students'
    feedback) what that mode does not protect.
    """
    backend = _detect_backend()
    _BACKEND["backend"] = backend
    if backend is None:
        who = ("each test group runs as its own unprivileged user" if os.geteuid() == 0
               else "submissions run as this same user")
        exposed = "".join(f"\n  - {line}" for line in RLIMITS_EXPOSES)
        print(f"autograder: warning: rlimits isolation (not root, neither bwrap nor unshare+pivot_root works, or "
              f"FUNDIFF_SANDBOX=rlimits): {who}, with time/memory/process/file limits; it cannot hide:{exposed}\n"
              f"Keep {', '.join(HIDDEN_FROM_CHILD)} unreadable to other users (`python -m autograder protect`; the "
              f"Docker image does), and grade where root and unshare or bwrap are available for the allow-list view.",
              file=sys.stderr)
        return "rlimits"
    return "namespaces"


def view_backend() -> str | None:
    """What builds the namespaces view: ``"bwrap"``, ``"unshare"`` (``unshare`` + ``pivot_root``), or None in
    rlimits mode."""
    isolation_mode()
    return _BACKEND["backend"]


def _detect_backend() -> str | None:
    """The first builder of the allow-list view that works here (bubblewrap first), or None."""
    choice = os.environ.get("FUNDIFF_SANDBOX", "")
    if choice == "rlimits" or os.geteuid() != 0:
        return None
    candidates = [choice] if choice in ("bwrap", "unshare") else ["bwrap", "unshare"]
    for backend in candidates:
        if shutil.which(backend) and _probe(backend):
            return backend
    return None


def _probe(backend: str) -> bool:
    """Whether ``backend`` builds the view (without a work folder) and runs this Python in it."""
    from autograder.sandbox import view

    scratch = Path(tempfile.mkdtemp(prefix="fundiff-probe-"))
    try:
        scratch.chmod(0o755)
        mounts = view.view_mounts(None, work_root=scratch / "etc")
        argv = [sys.executable, "-I", "-S", "-c", "import os; os.listdir('/usr')"]
        if backend == "bwrap":
            command = view.bwrap_command(mounts, "/", argv)
        else:
            (scratch / "root").mkdir(mode=0o700)
            command = view.unshare_command(mounts, "/", argv, scratch / "root")
        probe = subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        return probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


WORK_ROOT = Path("/var/lib/fundiff-grade")


def _work_root() -> str | None:
    """Where sandboxes' working folders go on the host: in namespaces mode a root-only folder outside ``/tmp`` (mode
    0711: other users of the machine cannot list the submissions being graded; inside, each sandbox sees only its
    own folder, at :data:`view.INNER_WORK`); else (or if it cannot be made) the system's temporary folder."""
    if isolation_mode() != "namespaces":
        return None
    try:
        WORK_ROOT.mkdir(mode=0o711, parents=True, exist_ok=True)
        WORK_ROOT.chmod(0o711)
        return str(WORK_ROOT)
    except OSError:
        return None
