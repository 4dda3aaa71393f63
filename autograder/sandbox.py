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

import concurrent.futures
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


@dataclass
class GroupTask:
    """One test group to run: its probe, the probe's spec and inputs, and its limits."""

    name: str
    probe_module: str
    probe: str
    spec: dict[str, Any]
    inputs: dict[str, torch.Tensor]
    limits: Limits
    statements: list[dict[str, Any]] = field(default_factory=list)


def run_batch(
    tasks: list[GroupTask],
    device: str = "cpu",
    dtype: str = "float32",
    seed: int = 0,
    jobs: int = 2,
) -> dict[str, ChildRun]:
    """Run every task's probe on its submission in one sandbox, each group in its own forked child.

    The sandbox imports torch (and builds the tiny IF pipeline) once and forks a child per group, ``jobs`` at
    a time. Groups the sandbox did not finish (it was killed, or CUDA forbids forking) are re-run one sandbox
    each, so a hostile group costs only itself.
    """
    if not tasks:
        return {}
    runs: dict[str, ChildRun] = {}
    if not device.startswith("cuda"):  # CUDA cannot be initialised before fork(): one sandbox per group there
        runs = _run_sandbox(tasks, device, dtype, seed, jobs)
    left = [(i, task) for i, task in enumerate(tasks) if task.name not in runs]
    # one sandbox per left-over group, ``jobs`` of them at once (each is its own process: threads only wait)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(lambda item: _run_sandbox([item[1]], device, dtype, seed, 1, item[0]), left):
            runs.update(result)
    return runs


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
    """Run one probe in a sandbox of its own (see :func:`run_batch`)."""
    task = GroupTask("group", probe_module, probe, spec, inputs, limits, statements)
    return run_batch([task], device, dtype, seed, 1)["group"]


def _run_sandbox(tasks: list[GroupTask], device, dtype, seed, jobs, uid_offset: int = 0) -> dict[str, ChildRun]:
    """Run ``tasks`` in one sandbox; its groups run as users ``BASE_UID + uid_offset + i`` (distinct users for
    sandboxes that run side by side)."""
    work = Path(tempfile.mkdtemp(prefix="fundiff-grade-", dir=_work_root()))
    try:
        _prepare(work, tasks, device, dtype, seed, jobs, uid_offset)
        overall = 60.0 + sum(t.limits.timeout_s for t in tasks) / max(1, jobs) + max(t.limits.timeout_s for t in tasks)
        isolation, outer = _execute(work, overall, tasks[0].limits.threads)
        runs = {}
        for task in tasks:
            status_path = work / "groups" / task.name / "status.json"
            try:
                status = json.loads(status_path.read_text())
            except (OSError, ValueError):
                continue  # not finished by the sandbox: run_batch re-runs it alone
            run = ChildRun(returncode=status.get("returncode"), timed_out=bool(status.get("timed_out")),
                           wall_s=float(status.get("wall_s", 0.0)), isolation=isolation)
            run.stdout_head = _head(work / "groups" / task.name / "stdout.txt", 2000)
            run.records = _read_records(work / "groups" / task.name / "out")
            runs[task.name] = run
        if len(tasks) == 1 and tasks[0].name not in runs:  # the sandbox itself failed: report it
            runs[tasks[0].name] = ChildRun(returncode=outer, timed_out=outer is None, isolation=isolation,
                                           stdout_head=_head(work / "stdout.txt", 2000))
        return runs
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


def _prepare(work: Path, tasks: list[GroupTask], device, dtype, seed, jobs, uid_offset: int = 0) -> None:
    code = work / "code"
    code.mkdir()
    for source in CHILD_DIR.glob("*.py"):
        if source.name != "__init__.py":
            shutil.copy(source, code / source.name)
    groups = []
    submissions: dict[int, str] = {}
    for task in tasks:
        group_dir = work / "groups" / task.name
        (group_dir / "out").mkdir(parents=True)
        (group_dir / "cwd").mkdir()
        (group_dir / "spec.json").write_text(json.dumps(task.spec))
        key = id(task.statements)
        if key not in submissions:
            submissions[key] = f"submission-{len(submissions)}.json"
            (work / submissions[key]).write_text(json.dumps({"statements": task.statements}))
        if task.inputs:
            save_file({k: v.detach().cpu().contiguous() for k, v in task.inputs.items()}, str(group_dir / "inputs.safetensors"))
        groups.append({
            "name": task.name,
            "probe_module": task.probe_module,
            "probe": task.probe,
            "timeout_s": task.limits.timeout_s,
            "submission": submissions[key],
            "limits": {
                "memory_mb": task.limits.memory_mb if not device.startswith("cuda") else None,
                "nproc": task.limits.nproc,
                "file_mb": task.limits.file_mb,
                "cpu_s": int(task.limits.timeout_s * 2 + 30),
            },
        })
    (work / "batch.json").write_text(json.dumps({
        "device": device, "dtype": dtype, "seed": seed, "threads": tasks[0].limits.threads, "jobs": jobs,
        "uid_offset": uid_offset,
        "groups": groups,
    }))
    for root, dirs, files in os.walk(work):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
    work.chmod(0o755)  # per-group users must reach their folders (the harness gives them out/ and cwd/)


def _execute(work: Path, overall_s: float, threads: int) -> tuple[str, int | None]:
    """Run the sandbox's harness; returns ``(isolation mode, its exit status or None on timeout)``."""
    mode = isolation_mode()
    token = f"fundiff-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "USER": "nobody",  # getpass.getuser() (torch, Triton) must not need a passwd entry for the child's uid
        "LOGNAME": "nobody",
        "TMPDIR": str(work),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(work / "code"),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "FUNDIFF_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "TQDM_DISABLE": "1",
        "FUNDIFF_SANDBOX_TOKEN": token,
    }
    python = [sys.executable, "-B", "-s", str(work / "code" / "harness.py"), str(work)]
    if mode == "namespaces":
        hide = " ".join(
            f"mount -t tmpfs -o size=4k,mode=0555 none {shlex.quote(str(REPO_ROOT / p))} 2>/dev/null;"
            for p in HIDDEN_FROM_CHILD if (REPO_ROOT / p).exists()
        )
        script = f"{_private_tmp_prelude(work)} {hide} {_python_home_prelude(work)} cd {shlex.quote(str(work))} && exec {' '.join(shlex.quote(a) for a in python)}"
        command = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c", script]
    else:
        command = python
    returncode: int | None = None
    with open(work / "stdout.txt", "wb") as stdout:
        process = subprocess.Popen(
            command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=overall_s)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            _kill_group(process.pid)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            _kill_marked(token)
    return mode, returncode


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
