"""Run test groups in a sandbox: one harness process per batch (expensive imports once), a forked child per
group with its own user, limits and working folder; groups the sandbox did not finish are re-run alone, so a
hostile group costs only itself.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from safetensors.torch import save_file

from autograder import config
from autograder.child import protocol
from autograder.sandbox import view
from autograder.sandbox.isolation import _work_root, isolation_mode, view_backend
from autograder.sandbox.records import ChildRun, GroupTask, Record, _head, _read_records, belongs_to_case

CHILD_DIR = Path(__file__).resolve().parents[1] / "child"


def run_batch(
    tasks: list[GroupTask],
    device: str = "cpu",
    dtype: str = "float32",
    seed: int = 0,
    jobs: int = 2,
    uid_offset: int = 0,
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
        runs = _run_sandbox(tasks, device, dtype, seed, jobs, uid_offset)
    left = [(i, task) for i, task in enumerate(tasks) if task.name not in runs]
    # one sandbox per left-over group, ``jobs`` of them at once (each is its own process: threads only wait)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(lambda item: _run_sandbox([item[1]], device, dtype, seed, 1, uid_offset + item[0]), left):
            runs.update(result)
        current = {task.name: task for task in tasks}  # each group's cases still to run
        for _ in range(config.MAX_RERUNS):
            again = [(i, task) for i, task in enumerate(tasks) if _worth_a_rerun(current[task.name], runs.get(task.name))]
            if not again:
                break
            reruns = [(i, _without_unfinished(current[task.name], runs[task.name])) for i, task in again]
            results = list(pool.map(lambda item: _run_sandbox([item[1]], device, dtype, seed, 1, uid_offset + item[0]),
                                    reruns))
            for (_, reduced), result in zip(reruns, results):
                runs[reduced.name] = _merged(runs[reduced.name], result.get(reduced.name), current[reduced.name])
                current[reduced.name] = reduced
    return runs


def _worth_a_rerun(task: GroupTask, run: ChildRun | None) -> bool:
    """A group that stopped in the middle of one of its probe calls (not while loading the submission) and has calls
    left to run without it."""
    if run is None or run.finished or not run.unfinished or run.unfinished == "_load":
        return False
    left_out = _left_out(task, run) if "cases" in task.spec else []
    return bool(left_out) and len(left_out) < len(task.spec["cases"])


def _function_of(case: dict) -> object:
    """The student function a case calls (Part A ``fn``, Part B ``kind`` or ``name``), or the case itself."""
    return case.get("fn") or case.get("kind") or case.get("name") or id(case)


def _left_out(task: GroupTask, run: ChildRun) -> list[dict]:
    """The cases a re-run leaves out: the one the run stopped in, and the others calling the same function (its test
    is lost already, and each would likely stop the same way)."""
    stopped = [c for c in task.spec["cases"] if belongs_to_case(run.unfinished or "", str(c.get("key", "")))]
    functions = {_function_of(c) for c in stopped}
    return [c for c in task.spec["cases"] if c in stopped or _function_of(c) in functions]


def _without_unfinished(task: GroupTask, run: ChildRun) -> GroupTask:
    """``task`` without :func:`_left_out`'s cases."""
    spec = dict(task.spec)
    left_out = _left_out(task, run)
    spec["cases"] = [c for c in task.spec["cases"] if c not in left_out]
    return dataclasses.replace(task, spec=spec)


def _merged(first: ChildRun, rerun: ChildRun | None, task: GroupTask) -> ChildRun:
    """The re-run's records, plus the stopped call marked as failed with how the first run ended, plus the records the
    first run finished for the left-out case; the merged run says which cases were not re-run and why."""
    why = first.ending()
    if rerun is None:
        return first
    not_run = dict(first.not_run)
    for case in _left_out(task, first):
        not_run[str(case["key"])] = f"not run: an earlier call of the same function did not finish ({why})"
    kept = {k: r for k, r in first.records.items() if any(belongs_to_case(k, case) for case in not_run)}
    merged = dataclasses.replace(rerun, records={**kept, **rerun.records}, not_run=not_run)
    merged.records[first.unfinished] = Record(tensors={}, meta={"error": f"this call did not finish: {why}", "stopped": True})
    merged.wall_s = first.wall_s + rerun.wall_s
    return merged


def _unfinished_call(out: Path) -> str | None:
    """The probe call a child started and never finished, from its journal."""
    try:
        return protocol.open_call((out / protocol.JOURNAL_FILE).read_text(errors="replace"))
    except OSError:
        return None


def _run_sandbox(tasks: list[GroupTask], device, dtype, seed, jobs, uid_offset: int = 0) -> dict[str, ChildRun]:
    """Run ``tasks`` in one sandbox; its groups run as users ``BASE_UID + uid_offset + i`` (distinct users for
    sandboxes that run side by side)."""
    work = Path(tempfile.mkdtemp(prefix="fundiff-grade-", dir=_work_root()))
    try:
        _write_work_folder(work, tasks, device, dtype, seed, jobs, uid_offset)
        overall = 60.0 + sum(t.limits.timeout_s for t in tasks) / max(1, jobs) + max(t.limits.timeout_s for t in tasks)
        isolation, outer = _execute(work, overall, tasks[0].limits.threads)
        runs = {}
        for task in tasks:
            status_path = work / "groups" / task.name / protocol.STATUS_FILE
            try:
                status = json.loads(status_path.read_text())
            except (OSError, ValueError):
                continue  # not finished by the sandbox: run_batch re-runs it alone
            run = ChildRun(returncode=status.get("returncode"), timed_out=bool(status.get("timed_out")),
                           wall_s=float(status.get("wall_s", 0.0)), case_timed_out=status.get("case_timed_out"),
                           case_limit_s=task.limits.case_s)
            run.unfinished = _unfinished_call(work / "groups" / task.name / "out")
            run.stdout_head = _head(work / "groups" / task.name / protocol.STDOUT_FILE, 2000)
            run.records = _read_records(work / "groups" / task.name / "out")
            runs[task.name] = run
        if len(tasks) == 1 and tasks[0].name not in runs:  # the sandbox itself failed: report it
            runs[tasks[0].name] = ChildRun(returncode=outer, timed_out=outer is None,
                                           stdout_head=_head(work / protocol.STDOUT_FILE, 2000))
        return runs
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_work_folder(work: Path, tasks: list[GroupTask], device, dtype, seed, jobs, uid_offset: int = 0) -> None:
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
        (group_dir / protocol.SPEC_FILE).write_text(json.dumps(task.spec))
        key = id(task.statements)
        if key not in submissions:
            submissions[key] = f"submission-{len(submissions)}.json"
            (work / submissions[key]).write_text(json.dumps({"statements": task.statements}))
        if task.inputs:
            save_file({k: v.detach().cpu().contiguous() for k, v in task.inputs.items()}, str(group_dir / protocol.INPUTS_FILE))
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
                "case_s": task.limits.case_s,
            },
        })
    (work / protocol.BATCH_FILE).write_text(json.dumps({
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
    for name in submissions.values():  # each child reads its own as root, before it drops to its user
        (work / name).chmod(0o600)


def _execute(work: Path, overall_s: float, threads: int) -> tuple[str, int | None]:
    """Run the sandbox's harness; returns ``(isolation mode, its exit status or None on timeout)``.

    In namespaces mode the harness runs in the allow-list view of :mod:`.view` (built by bubblewrap or by
    ``unshare`` + ``pivot_root``), where the work folder is :data:`view.INNER_WORK`; in rlimits mode it runs here.
    """
    mode = isolation_mode()
    inner = Path(view.INNER_WORK) if mode == "namespaces" else work
    token = f"fundiff-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(inner),
        "USER": "nobody",  # getpass.getuser() (torch, Triton) must not need a passwd entry for the child's uid
        "LOGNAME": "nobody",
        "TMPDIR": str(inner),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(inner / "code"),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "FUNDIFF_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "TQDM_DISABLE": "1",
        "FUNDIFF_SANDBOX_TOKEN": token,
    }
    python = [sys.executable, "-B", "-s", str(inner / "code" / "harness.py"), str(inner)]
    backend = view_backend()
    command = view.sandbox_command(backend, work, python) if mode == "namespaces" and backend else python
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
            _kill_session(process.pid)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            _kill_marked(token)
    return mode, returncode


def _kill_session(pgid: int) -> None:
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
