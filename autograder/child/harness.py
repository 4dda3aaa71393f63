"""Entry point of the sandboxed child: ``python harness.py WORKDIR``.

Reads ``WORKDIR/task.json`` (which probe to run, with which limits and given names), the submission's
statements (``submission.json``) and the probe's inputs (``inputs.safetensors``); binds the given names,
executes the statements one by one (a broken statement costs only the names it defines), runs the probe and
writes its records to ``WORKDIR/out``. It never sees expected values: the grader compares afterwards.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import os
import resource
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

STDOUT_CAP = 64 * 1024
BLOCKED_PACKAGES = ("solutions", "autograder")


def main(argv: list[str]) -> None:
    """Run one test group's probe for the submission; exit 0 when the probe finished."""
    work = Path(argv[1])
    task = json.loads((work / "task.json").read_text())
    _apply_early_limits(task["limits"])
    sys.stdout = _CappedWriter(sys.stdout)
    sys.stderr = _CappedWriter(sys.stderr)
    sys.meta_path.insert(0, _BlockedImports())
    _block_network()

    import torch

    torch.set_num_threads(int(task.get("threads", 1)))
    torch.manual_seed(int(task.get("seed", 0)))
    import device_shim
    import records
    import rng_tap

    device, dtype = task["device"], getattr(torch, task["dtype"])
    device_shim.install(device, dtype)
    rng_tap.install()
    probe_module = importlib.import_module(task["probe_module"])
    given = probe_module.given_names(task, device, dtype) if hasattr(probe_module, "given_names") else {"device": device}
    _apply_memory_limit(task["limits"].get("memory_mb"))

    from safetensors.torch import load_file

    inputs = load_file(str(work / "inputs.safetensors")) if (work / "inputs.safetensors").exists() else {}
    recorder = records.Recorder(work / "out")
    namespace, load_log = load_submission(json.loads((work / "submission.json").read_text()), given)
    recorder.save("_load", meta=load_log)
    torch.manual_seed(int(task.get("seed", 0)))
    getattr(probe_module, task["probe"])(namespace, task.get("spec", {}), inputs, recorder)
    recorder.save("_done", meta={"seconds": time.time()})
    sys.stdout.flush()
    os._exit(0)


def load_submission(submission: dict[str, Any], given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Execute the submission's statements in a fresh module namespace with ``given`` bound first.

    Returns the namespace and a log ``{"errors": {origin: message}, "defined": [...]}``.
    """
    import records

    module = types.ModuleType("submission")
    module.__dict__.update(given)
    sys.modules["submission"] = module
    errors: dict[str, str] = {}
    for statement in submission.get("statements", []):
        origin = statement["origin"]
        source = "\n" * (int(statement.get("lineno", 1)) - 1) + statement["code"]
        try:
            code = compile(ast.parse(source), f"{records.SUBMISSION_FILENAME}:{origin}", "exec")
            exec(code, module.__dict__)
        except BaseException as error:  # SystemExit at import must not end the probe
            if isinstance(error, KeyboardInterrupt):
                raise
            errors[origin] = records.describe_error(error)
        for name, value in given.items():  # the grader's models win over any rebinding
            module.__dict__[name] = value
    defined = sorted(k for k in module.__dict__ if not k.startswith("__"))
    return module.__dict__, {"errors": errors, "defined": defined}


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
