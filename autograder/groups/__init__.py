"""The test groups, one module per family of tests; :func:`all_groups` lists them in report order.

A group (:class:`~autograder.groups.base.Group`) is one sandboxed child run of one probe (``probe_ref``, a
:class:`~autograder.child.cases.Probe`): :meth:`plan_spec` builds the probe's typed spec (the case dataclasses of
:mod:`autograder.child.cases`, shared with the child) and inputs and, in the grader's process only, the reference's
expectations (typed, by record key); :meth:`check` turns the child's records into per-test scores and feedback.

* Part A: :mod:`.part_a_basics` (``forward``, blur, one-step), :mod:`.part_a_loops` (the sampling loops and the
  illusions), re-derived step by step by :mod:`.part_a_replay` against :mod:`.part_a_oracle`'s own pipeline.
* Part B: :mod:`.blocks_unets`, :mod:`.noise_schedule`, :mod:`.ddpm` (training and sampling on a stand-in UNet),
  :mod:`.training` (short CPU runs), :mod:`.gpu` (convergence on a GPU); shared pieces in :mod:`.part_b_common`.
  The flow-matching version (docs/spec.md §2.6) swaps the schedule and DDPM groups for :mod:`.flow_matching`;
  :func:`part_b_version` tells the versions apart by the names a submission defines.
"""

from __future__ import annotations

from autograder.groups.base import Group

FLOW_NAMES = frozenset({"time_fm_forward", "time_fm_sample", "class_fm_forward", "class_fm_sample", "FlowMatching",
                        "TimeConditionalFM", "ClassConditionalFM"})
"""The names only Part B's flow-matching version defines (docs/spec.md §2.6; the last two: the course starter's
modules, accepted in place of ``FlowMatching``)."""
DDPM_NAMES = frozenset({"ddpm_schedule", "ddpm_forward", "ddpm_sample", "ddpm_forward_cond", "ddpm_sample_cond", "DDPM"})
"""The names only Part B's DDPM version defines (docs/spec.md §2.3)."""


def part_b_version(defined: set[str], choice: str = "auto") -> str:
    """``"ddpm"`` or ``"flow"``: ``choice`` itself unless it is ``"auto"``; then the version of which the submission
    defines more names (a tie, e.g. no Part B at all, is the DDPM version)."""
    if choice != "auto":
        return choice
    return "flow" if len(defined & FLOW_NAMES) > len(defined & DDPM_NAMES) else "ddpm"


def all_groups(part: str, gpu: bool = False, part_b: str = "ddpm") -> list[Group]:
    """The test groups of ``part`` (``"a"``, ``"b"`` or ``"all"``), freshly constructed, Part B in version
    ``part_b`` (``"ddpm"`` or ``"flow"``); with ``gpu`` also Part B's GPU convergence groups."""
    groups: list[Group] = []
    if part in ("a", "all"):
        from autograder.groups import part_a_loops

        groups += part_a_loops.groups()
    if part in ("b", "all"):
        from autograder.groups import training

        groups += training.groups(part_b)
        if gpu:
            from autograder.groups import gpu as gpu_groups

            groups += gpu_groups.groups(part_b)
    return groups
