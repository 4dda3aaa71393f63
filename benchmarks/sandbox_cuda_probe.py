"""Is CUDA usable inside the grading sandbox's view? Prints what a grading child sees (run as root on a GPU machine).

    python benchmarks/sandbox_cuda_probe.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.sandbox.isolation import view_backend  # noqa: E402
from autograder.sandbox.view import sandbox_command  # noqa: E402

INSIDE = r"""
import ctypes, glob, os
try:
    ctypes.CDLL("libcuda.so.1"); print("libcuda.so.1: loads")
except OSError as error:
    print("libcuda.so.1:", error)
print("/dev/nvidia*:", glob.glob("/dev/nvidia*"))
import torch
print("torch", torch.__version__, "cuda available:", torch.cuda.is_available(), "devices:", torch.cuda.device_count())
if torch.cuda.is_available():
    print("matmul ok:", float((torch.ones(64, 64, device="cuda") @ torch.ones(64, 64, device="cuda"))[0, 0]))
"""


def main() -> int:
    backend = view_backend()
    print("backend:", backend)
    if backend is None:
        return 1
    with tempfile.TemporaryDirectory(prefix="cuda-probe-") as tmp:
        command = sandbox_command(backend, Path(tmp), [sys.executable, "-c", INSIDE])
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        print(result.stdout, result.stderr[-2000:], "exit", result.returncode)
        return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
