"""Isolation modes and what a submission may see.

* ``namespaces`` (root and a working ``unshare``): new mount, network and PID namespaces; the grader's, the
  reference's, the tests' and the history's folders hidden under empty read-only mounts; a private empty
  ``/tmp``, ``/var/tmp`` and ``/dev/shm``; each test group as its own unprivileged user.
* ``rlimits`` (no root or no ``unshare``): separate processes with the same limits (as other users when root),
  blocked imports of ``solutions``/``autograder`` and a blocked socket API; it says on stderr what it cannot hide,
  and ``python -m autograder protect`` keeps the hidden folders unreadable to other users.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


HIDDEN_FROM_CHILD = ("solutions", "autograder", "tests", "benchmarks", ".git", "docker")


def protect_hidden_paths(root: Path | None = None) -> list[Path]:
    """``chmod -R go-rwx`` every folder of :data:`HIDDEN_FROM_CHILD` under ``root`` (default: the kit's root).

    Namespaces mode hides them with empty mounts anyway; this is what keeps them unreadable in rlimits mode, where
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


@functools.lru_cache(maxsize=1)
def isolation_mode() -> str:
    """``"namespaces"`` (root + working ``unshare``) or ``"rlimits"`` (plain child process).

    The first call of a process in rlimits mode warns on stderr (the instructor's log, not the students'
    feedback) what that mode does not protect.
    """
    mode = _detect_isolation()
    if mode == "rlimits":
        who = ("each test group runs as its own unprivileged user" if os.geteuid() == 0
               else "submissions run as this same user")
        print(f"autograder: warning: rlimits isolation (not root, unshare unavailable or FUNDIFF_SANDBOX=rlimits): "
              f"{who}, with time/memory/process/file limits, but share this machine's network and file view; "
              f"keep {', '.join(HIDDEN_FROM_CHILD)} unreadable to other users (the Docker image does).",
              file=sys.stderr)
    return mode


def _detect_isolation() -> str:
    if os.environ.get("FUNDIFF_SANDBOX") == "rlimits" or os.geteuid() != 0 or not shutil.which("unshare"):
        return "rlimits"
    if not shutil.which("setpriv"):
        return "rlimits"
    try:
        probe = subprocess.run(
            ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "true"],
            capture_output=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "rlimits"
    return "namespaces" if probe.returncode == 0 else "rlimits"


PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")


WORK_ROOT = Path("/var/lib/fundiff-grade")


def _work_root() -> str | None:
    """Where sandboxes' working folders go: in namespaces mode a root-only folder outside ``/tmp`` (mode 0711:
    a group's user reaches its own folder by its random name but cannot list the others), so that ``/tmp`` can
    be private to each sandbox; else (or if it cannot be made) the system's temporary folder."""
    if isolation_mode() != "namespaces":
        return None
    try:
        WORK_ROOT.mkdir(mode=0o711, parents=True, exist_ok=True)
        WORK_ROOT.chmod(0o711)
        return str(WORK_ROOT)
    except OSError:
        return None


def _private_tmp_prelude(work: Path) -> str:
    """Shell commands giving the sandbox its own empty ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (tmpfs, 512 MiB):
    a submission cannot read what others left there nor leave anything behind. What the sandbox needs that
    lives under one of them (the kit or its Python, e.g. a checkout in ``/tmp``) is bind-mounted back; a folder
    holding the working folder itself (no :data:`WORK_ROOT`) stays shared."""
    q = shlex.quote
    needed = sorted({Path(os.path.realpath(p)) for p in (REPO_ROOT, sys.prefix, sys.base_prefix)})
    needed = [p for p in needed if not any(other in p.parents for other in needed)]
    commands = []
    for index, tmp in enumerate(map(Path, PRIVATE_TMP)):
        if not tmp.is_dir() or tmp in Path(os.path.realpath(work)).parents:
            continue
        inside = [p for p in needed if tmp in p.parents]
        if any(p == tmp for p in needed):
            continue
        keep = [work / "keep" / f"{index}-{i}" for i in range(len(inside))]
        stash = "".join(f"mkdir -p {q(str(k))} && mount --bind {q(str(p))} {q(str(k))} && " for p, k in zip(inside, keep))
        restore = "".join(f" && mkdir -p {q(str(p))} && mount --bind {q(str(k))} {q(str(p))} && umount {q(str(k))}"
                          for p, k in zip(inside, keep))
        commands.append(f"{{ {stash}mount -t tmpfs -o size=512m,mode=1777 none {q(str(tmp))}{restore}; }};")
    return " ".join(commands)


def _python_home_prelude(work: Path) -> str:
    """Shell commands making the Python installation readable to the per-group users, and nothing else.

    When Python lives under a private folder (e.g. ``/root/.pyenv``), the namespace covers that folder with an
    empty tmpfs and mounts only the Python installation back at its own path.
    """
    home = Path(os.path.realpath(sys.base_prefix))
    private = next((p for p in reversed(home.parents) if p != Path("/") and not os.stat(p).st_mode & 0o001), None)
    if private is None:
        return ""
    keep = shlex.quote(str(work / "python-home"))
    home_q, private_q = shlex.quote(str(home)), shlex.quote(str(private))
    return (f"mkdir -p {keep} && mount --bind {home_q} {keep} && mount -t tmpfs -o mode=0755 none {private_q} && "
            f"mkdir -p {home_q} && mount --bind {keep} {home_q} &&")
