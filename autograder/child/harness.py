"""Entry point of the sandbox: ``python harness.py WORKDIR``.

Reads ``WORKDIR/batch.json`` (the test groups to run, their probes and limits) and the submission's
statements (``submission.json``). For each group, a forked child binds the given names, executes the
statements one by one (a broken statement costs only the names it defines), runs the group's probe on
``groups/NAME/inputs.safetensors`` and writes records to ``groups/NAME/out``. It never sees expected
values: the grader compares afterwards.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

import protocol
from protocol import STDOUT_CAP

BLOCKED_PACKAGES = ("solutions", "autograder")
BASE_UID = 61000  # each forked group runs as its own user BASE_UID + index (when started as root)


def main(argv: list[str]) -> None:
    """Run a batch of test groups for one submission (``WORKDIR/batch.json``), each in a forked child.

    The expensive imports (torch, the tiny IF pipeline) happen once here; each group then runs in a child
    forked from this process, as its own user when this process is root, with its own limits, working folder,
    output folder and time limit. A group whose child crashes, hangs or exits early costs only that group;
    the grader re-runs any group this process did not get to (e.g. because it was killed).
    """
    work = Path(argv[1])
    batch = json.loads((work / protocol.BATCH_FILE).read_text())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.meta_path.insert(0, _BlockedImports())
    _block_network()

    import torch

    torch.set_num_threads(int(batch.get("threads", 1)))
    # Full fp32 on a GPU: TF32 convolutions/matmuls (PyTorch's cuDNN default) differ from the formula by ~1e-4
    # relative, which Part A's x̂_0 = (x_t − sqrt(1−ᾱ)ε̂)/sqrt(ᾱ) amplifies past any fair tolerance at large t.
    # (The GPU convergence group trains in bf16 autocast, which this does not touch.)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if os.geteuid() == 0 and _python_private():
        _preload_lazy_imports()
    _preload_common_imports()
    import device_shim
    import display_shim
    import rng_tap

    device, dtype = batch["device"], getattr(torch, batch["dtype"])
    device_shim.install(device, dtype)
    display_shim.install()
    rng_tap.install()
    given_by_module: dict[str, dict[str, Any]] = {}
    for group in batch["groups"]:
        module = importlib.import_module(group["probe_module"])
        if group["probe_module"] not in given_by_module:
            if str(device).startswith("cuda") and hasattr(module, "given_names"):
                given_by_module[group["probe_module"]] = None  # built in the child: CUDA cannot cross a fork()
            else:
                given_by_module[group["probe_module"]] = (
                    module.given_names(batch, device, dtype) if hasattr(module, "given_names") else {"device": device}
                )
    pending = list(enumerate(batch["groups"]))
    running: dict[int, tuple[dict[str, Any], float, float, int]] = {}
    jobs = max(1, int(batch.get("jobs", 1)))
    while pending or running:
        while pending and len(running) < jobs:
            index, group = pending.pop(0)
            uid = BASE_UID + int(batch.get("uid_offset", 0)) + index if os.geteuid() == 0 else -1
            group_dir = work / "groups" / group["name"]
            if uid >= 0:
                for sub in ("out", "cwd"):
                    os.chown(group_dir / sub, uid, uid)
                # only this group's user (and root) may enter its folder: a batch may hold several students
                os.chown(group_dir, 0, uid)
                os.chmod(group_dir, 0o750)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _run_forked(group_dir, group, batch, work / group["submission"], given_by_module[group["probe_module"]], uid)
            running[pid] = (group, time.monotonic() + float(group["timeout_s"]), time.monotonic(), uid)
        _reap(running, work)
        time.sleep(0.01)
    os._exit(0)


def _run_forked(group_dir: Path, group: dict[str, Any], batch: dict[str, Any], submission_path: Path,
                given: dict[str, Any] | None, uid: int) -> None:
    """In the forked child: isolate, load the submission, run the probe, exit. Never returns.

    The statements are read here, as root before dropping privileges (the grader leaves the file readable by root
    only): the harness never holds them, so no child inherits another student's code in its memory.
    """
    code = 1
    try:
        os.setpgid(0, 0)
        fd = os.open(group_dir / protocol.STDOUT_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = _CappedWriter(io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True))
        sys.stderr = sys.stdout
        if given is None:  # on CUDA: the given models are built here, after the fork, before dropping privileges
            import torch

            module = importlib.import_module(group["probe_module"])
            given = module.given_names(batch, batch["device"], getattr(torch, batch["dtype"]))
        submission = json.loads(submission_path.read_text())
        if uid >= 0:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        os.chdir(group_dir / "cwd")
        os.environ["HOME"] = os.environ["TMPDIR"] = str(group_dir / "cwd")
        _apply_early_limits(group["limits"])
        _apply_memory_limit(group["limits"].get("memory_mb"))
        code = _run_group(group_dir, group, batch, submission, given)
    except BaseException:  # the probe's own failures are records; this is the harness failing
        try:
            import traceback

            traceback.print_exc()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        os._exit(code)


def _run_group(group_dir: Path, group: dict[str, Any], batch: dict[str, Any], submission: dict[str, Any],
               given: dict[str, Any]) -> int:
    import execution
    import records
    import torch
    from safetensors.torch import load_file

    inputs_path = group_dir / protocol.INPUTS_FILE
    inputs = load_file(str(inputs_path)) if inputs_path.exists() else {}
    spec = json.loads((group_dir / protocol.SPEC_FILE).read_text())
    recorder = records.Recorder(group_dir / "out")
    torch.manual_seed(int(batch.get("seed", 0)))
    recorder.journal("start", "_load")
    namespace, load_log = execution.execute_submission(submission, given)
    recorder.save("_load", meta=load_log)
    recorder.journal("end", "_load")
    torch.manual_seed(int(batch.get("seed", 0)))
    module = importlib.import_module(group["probe_module"])
    getattr(module, group["probe"])(namespace, spec, inputs, recorder)
    recorder.save("_done", meta={"seconds": time.time()})
    return 0


def _reap(running: dict[int, tuple[dict[str, Any], float, float, int]], work: Path) -> None:
    """Collect finished children, kill those past their time limit, and write each group's status."""
    now = time.monotonic()
    for pid, (group, deadline, start, uid) in list(running.items()):
        timed_out, case_timed_out = False, None
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done == 0:
            case_timed_out = _call_past_its_limit(work / "groups" / group["name"] / "out", group["limits"].get("case_s"))
        if done == 0 and (now > deadline or case_timed_out):
            _kill_child(pid, uid)
            done, status = os.waitpid(pid, 0)
            timed_out = True
        if done == 0:
            continue
        _kill_child(pid, uid)
        del running[pid]
        code = os.waitstatus_to_exitcode(status)
        (work / "groups" / group["name"] / protocol.STATUS_FILE).write_text(json.dumps(
            {"returncode": code, "timed_out": timed_out, "case_timed_out": case_timed_out,
             "wall_s": time.monotonic() - start}))
    try:  # orphans re-parented to us (we are PID 1 in the namespace)
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _call_past_its_limit(out: Path, case_s: float | None) -> str | None:
    """The key of the probe call running for longer than ``case_s`` seconds (from the group's journal), or None."""
    if not case_s:
        return None
    journal = out / protocol.JOURNAL_FILE
    try:  # checked every 10 ms: read the journal only once its last write is older than the limit
        if time.time() - journal.stat().st_mtime <= float(case_s):
            return None
        return protocol.open_call(journal.read_text(errors="replace"))
    except OSError:
        return None


def _kill_child(pgid: int, uid: int) -> None:
    """Kill the child's process group and, when it ran as its own user, every process of that user."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid < 0:
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ValueError):
                continue


class _CappedWriter(io.TextIOBase):
    """Passes the first :data:`STDOUT_CAP` characters through, then drops the rest."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.written = 0

    def write(self, text: str) -> int:
        if self.written < STDOUT_CAP:
            chunk = text[: STDOUT_CAP - self.written]
            self.inner.write(chunk)
            if self.written + len(text) >= STDOUT_CAP:
                self.inner.write("\n[output truncated by the grader]\n")
        self.written += len(text)
        return len(text)

    def flush(self) -> None:
        try:
            self.inner.flush()
        except Exception:
            pass


def _python_private() -> bool:
    """True when the per-group users cannot read Python's standard library (it lives under a private folder such
    as ``/root/.pyenv`` and no mount namespace re-exposes it: rlimits mode as root)."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    probe = stdlib / "cProfile.py"
    try:
        for path in [*reversed(probe.parents), probe]:
            mode = path.stat().st_mode
            if not mode & (0o001 if path.is_dir() else 0o004):
                return True
    except OSError:
        return True
    return False


def _preload_common_imports() -> None:
    """Import, before the snapshot of library namespaces, what submissions commonly import and what wraps torch's
    functions on import (``torchvision`` → ``torch._dynamo`` wraps ``torch.manual_seed``): once here, before forking,
    instead of once per child, and never mistaken for the submission replacing library functions."""
    for name in ("torchvision", "torchvision.transforms.functional", "torch._dynamo", "torch.nn.functional"):
        try:
            importlib.import_module(name)
        except Exception:
            pass


def _preload_lazy_imports() -> None:
    """Import, before forking, what torch imports lazily while training (``torch._dynamo`` pulls in cProfile,
    pstats …), so a child that cannot read the standard library still finds it in ``sys.modules``."""
    for name in ("torch._dynamo", "torch.optim", "cProfile", "pstats", "timeit", "unittest.mock", "tempfile"):
        try:
            importlib.import_module(name)
        except Exception:
            pass


class _BlockedImports:
    """A meta-path finder refusing the grader's and the reference's packages (defence in depth)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"the package {name!r} is not available to submissions")
        return None


def _block_network() -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access is disabled while grading")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


def _apply_early_limits(limits: dict[str, Any]) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    pairs = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_FSIZE: int(limits.get("file_mb", 128)) * 1024 * 1024,
        resource.RLIMIT_CPU: int(limits.get("cpu_s", 600)),
        resource.RLIMIT_NPROC: int(limits.get("nproc", 256)),
    }
    for kind, value in pairs.items():
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass


def _apply_memory_limit(memory_mb: int | None) -> None:
    """Cap the address space at what is mapped now plus ``memory_mb`` (CUDA runs pass ``None``)."""
    if not memory_mb:
        return
    try:
        with open("/proc/self/status") as status:
            vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = vm_kb * 1024 + int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass


if __name__ == "__main__":
    main(sys.argv)
