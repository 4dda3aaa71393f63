"""Run one test group's probe on a submission in an isolated child process.

Each call gets a private folder holding only the submission's statements, the probe code (the flat
``autograder/child`` modules), the inputs the probe needs and an empty ``out/`` folder. The child runs

* in new mount, network and PID namespaces when the grader is root and ``unshare`` works: no network, the
  grader's and the reference's packages (and the repository's history and tests) hidden under empty
  read-only mounts, every process it starts killed when it ends;
* as the unprivileged user ``nobody`` (so it cannot write the results file or the kit's files),
* with limits on wall time, CPU time, address space, processes and file size, and a capped stdout.

Without namespaces (not root), the same runs as a plain session with the same rlimits, blocked imports
of ``solutions``/``autograder`` and a blocked socket API; :data:`ISOLATION` says which mode is in use.
Records come back as safetensors (no pickle) and are read here, never trusted beyond being data.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD_DIR = Path(__file__).resolve().parent / "child"
HIDDEN_FROM_CHILD = ("solutions", "autograder", "tests", "benchmarks", ".git", "docker")
NOBODY = 65534
MAX_RECORD_FILE = 80 * 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,80}\.safetensors$")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one child: wall time (s), extra address space (MiB), processes, file size (MiB)."""

    timeout_s: float = 60.0
    memory_mb: int | None = 3072
    nproc: int = 256
    file_mb: int = 128
    threads: int = 1


@dataclass
class Record:
    """One probe output: plain CPU tensors and JSON metadata."""

    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The student error this record carries, if any."""
        return self.meta.get("error")


@dataclass
class ChildRun:
    """What came back from one child: its records and how it ended."""

    records: dict[str, Record] = field(default_factory=dict)
    returncode: int | None = None
    timed_out: bool = False
    wall_s: float = 0.0
    stdout_head: str = ""
    isolation: str = ""

    def ending(self) -> str:
        """A sentence on how the child ended, for feedback when records are missing."""
        if self.timed_out:
            return f"the test group was stopped after its time limit ({self.wall_s:.0f} s): an infinite loop or very slow code?"
        if "_load" not in self.records:
            return f"your code ended the grading process while it was being loaded (exit status {self.returncode}): sys.exit/os._exit at the top level, or a crash"
        if self.returncode == 0:
            return "the probe finished"
        if self.returncode is not None and self.returncode < 0:
            name = signal.Signals(-self.returncode).name if -self.returncode in signal.Signals._value2member_map_ else str(-self.returncode)
            return f"the grading process was killed by {name} (memory limit exceeded or a crash in native code?)"
        return f"the grading process ended early with exit status {self.returncode} (os._exit, sys.exit, or running out of memory?)"


def run_child(
    statements: list[dict[str, Any]],
    probe_module: str,
    probe: str,
    spec: dict[str, Any],
    inputs: dict[str, torch.Tensor],
    limits: Limits,
    device: str = "cpu",
    dtype: str = "float32",
    seed: int = 0,
) -> ChildRun:
    """Run ``probe_module.probe(namespace, spec, inputs, recorder)`` in a fresh sandboxed child."""
    work = Path(tempfile.mkdtemp(prefix="fundiff-grade-"))
    try:
        _prepare(work, statements, probe_module, probe, spec, inputs, limits, device, dtype, seed)
        return _execute(work, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def isolation_mode() -> str:
    """``"namespaces"`` (root + working ``unshare``) or ``"rlimits"`` (plain child process)."""
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


def _prepare(work: Path, statements, probe_module, probe, spec, inputs, limits: Limits, device, dtype, seed) -> None:
    code = work / "code"
    code.mkdir()
    for source in CHILD_DIR.glob("*.py"):
        if source.name != "__init__.py":
            shutil.copy(source, code / source.name)
    (work / "submission.json").write_text(json.dumps({"statements": statements}))
    (work / "task.json").write_text(json.dumps({
        "probe_module": probe_module,
        "probe": probe,
        "spec": spec,
        "device": device,
        "dtype": dtype,
        "seed": seed,
        "threads": limits.threads,
        "limits": {
            "memory_mb": limits.memory_mb if not device.startswith("cuda") else None,
            "nproc": limits.nproc,
            "file_mb": limits.file_mb,
            "cpu_s": int(limits.timeout_s * 2 + 30),
        },
    }))
    if inputs:
        save_file({k: v.detach().cpu().contiguous() for k, v in inputs.items()}, str(work / "inputs.safetensors"))
    (work / "out").mkdir()
    (work / "cwd").mkdir()
    if isolation_mode() == "namespaces":
        for root, dirs, files in os.walk(work):
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        for path in (work / "out", work / "cwd"):
            os.chown(path, NOBODY, NOBODY)
        work.chmod(0o755)


def _execute(work: Path, limits: Limits) -> ChildRun:
    mode = isolation_mode()
    token = f"fundiff-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work / "cwd"),
        "TMPDIR": str(work / "cwd"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(work / "code"),
        "OMP_NUM_THREADS": str(limits.threads),
        "MKL_NUM_THREADS": str(limits.threads),
        "FUNDIFF_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "FUNDIFF_SANDBOX_TOKEN": token,
    }
    python = [sys.executable, "-B", "-s", str(work / "code" / "harness.py"), str(work)]
    if mode == "namespaces":
        hide = " ".join(
            f"mount -t tmpfs -o size=4k,mode=0555 none {shlex.quote(str(REPO_ROOT / p))} 2>/dev/null;"
            for p in HIDDEN_FROM_CHILD if (REPO_ROOT / p).exists()
        )
        script = (
            f"{hide} cd {shlex.quote(str(work / 'cwd'))} && exec setpriv --reuid={NOBODY} --regid={NOBODY} "
            f"--clear-groups --no-new-privs {' '.join(shlex.quote(a) for a in python)}"
        )
        command = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c", script]
    else:
        command = python
    stdout_path = work / "stdout.txt"
    start = time.monotonic()
    run = ChildRun(isolation=mode)
    with open(stdout_path, "wb") as stdout:
        process = subprocess.Popen(
            command, cwd=work / "cwd", env=env, stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            run.returncode = process.wait(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            run.timed_out = True
        finally:
            _kill_group(process.pid)
            try:
                rc = process.wait(timeout=10)
                run.returncode = run.returncode if run.returncode is not None else rc
            except subprocess.TimeoutExpired:
                pass
            _kill_marked(token)
    run.wall_s = time.monotonic() - start
    run.stdout_head = _head(stdout_path, 2000)
    run.records = _read_records(work / "out")
    return run


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_marked(token: str) -> None:
    """Kill any process still carrying this child's token (escaped its session; rlimits mode)."""
    needle = f"FUNDIFF_SANDBOX_TOKEN={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _head(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _read_records(out: Path) -> dict[str, Record]:
    records: dict[str, Record] = {}
    try:
        entries = list(os.scandir(out))
    except OSError:
        return records
    for entry in entries[:500]:
        if not _KEY.match(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        key = entry.name[: -len(".safetensors")]
        try:
            if entry.stat(follow_symlinks=False).st_size > MAX_RECORD_FILE:
                raise ValueError("record too large")
            with safe_open(entry.path, framework="pt") as handle:
                meta_text = (handle.metadata() or {}).get("json", "{}")
                meta = json.loads(meta_text)
                if not isinstance(meta, dict):
                    raise ValueError("metadata is not an object")
                tensors = {name: handle.get_tensor(name) for name in handle.keys()}
            records[key] = Record(tensors=tensors, meta=meta)
        except Exception as error:  # a corrupt or forged file is just a failed record
            records[key] = Record(tensors={}, meta={"error": f"unreadable output ({type(error).__name__})"})
    return records
