"""Run test groups on a submission in isolated child processes (see :mod:`.isolation` for the modes, :mod:`.view`
for the file system a submission sees, :mod:`.runner` for how children are started and stopped, :mod:`.records`
for what comes back)."""

from __future__ import annotations

from autograder.sandbox.isolation import (
           HIDDEN_FROM_CHILD,
           REPO_ROOT,
           isolation_mode,
           protect_hidden_paths,
           view_backend,
)
from autograder.sandbox.records import ChildRun, GroupTask, Limits, Record
from autograder.sandbox.runner import CHILD_DIR, run_batch

__all__ = ["CHILD_DIR", "HIDDEN_FROM_CHILD", "REPO_ROOT", "ChildRun", "GroupTask", "Limits", "Record", "isolation_mode",
           "protect_hidden_paths", "run_batch", "view_backend"]
