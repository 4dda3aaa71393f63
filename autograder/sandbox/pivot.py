"""Build a sandbox's root and run its command there: ``python -I -S pivot.py PLAN_JSON``.

Started by ``unshare`` (new mount, PID, network, IPC and UTS namespaces) as root, before anything of the
submission runs; the standard library only (no site-packages, no kit import). ``PLAN_JSON`` is
``{"root": empty folder, "mounts": [Mount fields…], "cwd": folder inside, "argv": command}`` (see
:mod:`autograder.sandbox.view`). It mounts a tmpfs on ``root``, makes each mount below it (read-only binds keep
the flags the kernel locks on their source), ``pivot_root``\\ s into it, detaches the host's root, makes the new
root read-only and executes ``argv`` with the environment it was given. Any failure ends it with status 125 and
one line on stderr.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import subprocess
import sys
from typing import Any

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
#: ``pivot_root``'s system call number by machine (others run the ``pivot_root`` program instead)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203, "s390x": 217}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode() if data else None), f"mount {source or fstype} on {target}")


def _locked_flags(path: str) -> int:
    """The mount flags of ``path``'s mount that a read-only remount must repeat (the kernel refuses to drop them)."""
    flags = os.statvfs(path).f_flag
    pairs = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
    return sum(ms for st, ms in pairs if flags & st)


def _mount_point(target: str, source: str | None) -> None:
    """An empty folder (or file, for a file's bind) at ``target``."""
    if source is not None and not os.path.isdir(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    else:
        os.makedirs(target, exist_ok=True)


def _host_mount_points() -> list[str]:
    """Every mount point of the host's view, parents before children (``/proc/self/mountinfo``'s fifth field)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as info:
        for line in info:
            fields = line.split()
            if len(fields) > 4:  # octal escapes (\040 for a space) as the kernel writes them
                points.append(fields[4].encode().decode("unicode_escape"))
    return sorted(set(points), key=lambda p: (p.count("/"), p))


def _bind(source: str, target: str, read_only: bool) -> None:
    _mount_point(target, source)
    _mount(source, target, None, MS_BIND)
    if read_only:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _locked_flags(target))


def _apply(root: str, mount: dict[str, Any], host_points: list[str]) -> None:
    kind, source = mount["kind"], mount.get("source") or None
    target = root + mount["dest"]
    if kind in ("ro", "rw", "dev"):
        _bind(source, target, kind == "ro")
        # A bind is not recursive: mounts nested inside the source on the host (a container runtime's bind of the
        # GPU driver's libraries into /usr/lib, say) are bound again below it, each read-only.
        if kind == "ro" and os.path.isdir(source):
            base = source.rstrip("/")
            for point in host_points:
                if point.startswith(base + "/") and os.path.lexists(point):
                    _bind(point, target + point[len(base):], True)
    elif kind in ("tmpfs", "mask"):
        _mount_point(target, None)
        mode, size = (0o555, 1) if kind == "mask" else (int(mount["mode"]), int(mount["size_mb"]))
        flags = MS_NOSUID | (0 if mount["dest"] == "/dev" else MS_NODEV)
        _mount("tmpfs", target, "tmpfs", flags, f"mode={mode:o},size={size}m")
    elif kind == "dir":
        os.makedirs(target, exist_ok=True)
        os.chmod(target, int(mount["mode"]))
    elif kind == "symlink":
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(mount["source"], target)
    elif kind == "proc":
        _mount_point(target, None)
        _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:
        raise ValueError(f"unknown mount kind {kind!r}")


def _pivot_into(root: str) -> None:
    """Make ``root`` the namespace's ``/`` and detach the host's root under it."""
    os.chdir(root)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is not None:
        _check(_libc.syscall(number, b".", b"."), "pivot_root")
    else:
        subprocess.run(["pivot_root", ".", "."], check=True)
    _check(_libc.umount2(b".", MNT_DETACH), "detach the host's root")
    os.chdir("/")


def build(plan: dict[str, Any]) -> None:
    """Make the plan's root, enter it and stay there (the caller then executes the command)."""
    root = os.path.realpath(plan["root"])
    host_points = _host_mount_points()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    for mount in plan["mounts"]:
        _apply(root, mount, host_points)
    _pivot_into(root)
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    try:
        _libc.sethostname(b"grading", 7)
    except (AttributeError, OSError):
        pass


def main(argv: list[str]) -> None:
    """Build the view from ``argv[1]`` and execute its command (never returns)."""
    try:
        plan = json.loads(argv[1])
        build(plan)
        os.chdir(plan["cwd"])
        command = plan["argv"]
    except Exception as error:  # noqa: BLE001 - one line for the instructor's log, whatever went wrong
        print(f"autograder sandbox: cannot build the file system view: {type(error).__name__}: {error}",
              file=sys.stderr, flush=True)
        os._exit(125)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
