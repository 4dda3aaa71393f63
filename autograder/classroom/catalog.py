"""grade-all's catalogue: the grader version that decides what is graded again, the device policy, shards, and the
test groups a class is graded on (both Part B versions)."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

from autograder.classroom.inputs import Entry

PACKAGE = "fun-with-diffusion"
GRADER_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = GRADER_ROOT.parent

# --------------------------------------------------------------------------------------------------------------
# versions, settings, shards


#: Besides ``autograder/``, the sources whose change may change a grade: the reference (the expected values), the
#: GPU group's thresholds and training engine, and the given code the grader runs (models, MNIST, classifier).
GRADING_SOURCES = ("solutions/part_a.py", "solutions/part_b.py", "solutions/part_b_fm.py", "solutions/fast_training.py",
                   "graph_training/*.py", "assignment/*.py")
#: Parts of ``autograder/`` that grading a submission never runs: the command line, the notebook release, the
#: grader's own validation and the bug zoo, and this package. Any other module counts (new ones included).
NOT_GRADING = ("classroom", "validate", "release.py", "cli.py", "__main__.py")


@functools.lru_cache(maxsize=1)
def grader_version() -> str:
    """``<package version>+<sha256 prefix>`` of the grader's sources (``autograder/`` less :data:`NOT_GRADING`) and
    of :data:`GRADING_SOURCES`: a change to any of them grades every submission again."""
    try:
        package = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        package = "unknown"
    digest = hashlib.sha256()
    sources = [p for p in GRADER_ROOT.rglob("*.py") if p.relative_to(GRADER_ROOT).parts[0] not in NOT_GRADING]
    sources += [p for pattern in GRADING_SOURCES for p in REPO_ROOT.glob(pattern)]
    for path in sorted(sources):
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{package}+{digest.hexdigest()[:16]}"


def resolve_device(policy: str) -> str:
    """``cuda`` or ``cpu``, as :func:`autograder.grading.grade_many` will choose for ``--gpu policy``."""
    import torch

    return "cuda" if torch.cuda.is_available() and policy in ("on", "auto") else "cpu"


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → ``(I, N)`` with ``1 ≤ I ≤ N``; ``ValueError`` with a readable message otherwise."""
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard expects I/N (e.g. 2/8), got {text!r}") from None
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard {text}: I must be between 1 and N")
    return index, count


def select_shard(entries: list[Entry], shard: tuple[int, int] | None) -> list[Entry]:
    """The deterministic slice of shard ``I/N``: ids sorted, those whose position ``% N == I - 1``."""
    ordered = sorted(entries, key=lambda e: e.id)
    if shard is None:
        return ordered
    index, count = shard
    return [entry for position, entry in enumerate(ordered) if position % count == index - 1]


def known_groups(part: str = "all") -> list[Any]:
    """Every test group of ``part`` — of both Part B versions (DDPM, then the flow-matching version's own groups) —
    the GPU ones included when they can be imported here (they need the CUDA-graph engine ``graph_training``), in
    report order."""
    from autograder.grading import all_groups

    def both_versions(gpu: bool) -> list[Any]:
        groups = all_groups(part, gpu=gpu)
        names = {group.name for group in groups}
        return groups + [g for g in all_groups(part, gpu=False, part_b="flow") if g.name not in names]

    try:
        return both_versions(True)
    except ImportError:
        return both_versions(False)


@functools.lru_cache(maxsize=4)
def part_tags(part: str) -> frozenset[str]:
    """The §2 names the tests of ``part`` check (used to grade a Part A notebook for Part A only)."""
    return frozenset(tag for group in known_groups(part) for test in group.tests for tag in test.tags)


def expected_max(part: str, device: str) -> float:
    """The points available for ``part`` on ``device``."""
    from autograder.grading import all_groups

    return float(sum(test.weight for group in all_groups(part, gpu=device == "cuda") for test in group.tests))
