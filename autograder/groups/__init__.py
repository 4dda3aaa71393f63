"""The test groups, one module per family of tests; :func:`all_groups` lists them in report order.

A group (:class:`~autograder.groups.base.Group`) is one sandboxed child run: :meth:`plan` builds the probe's
inputs and, in the grader's process only, the reference's expectations; :meth:`check` turns the child's records
into per-test scores and feedback.

* Part A: :mod:`.part_a_basics` (``forward``, blur, one-step), :mod:`.part_a_loops` (the sampling loops and the
  illusions), re-derived step by step by :mod:`.part_a_replay` against :mod:`.part_a_oracle`'s own pipeline.
* Part B: :mod:`.blocks_unets`, :mod:`.noise_schedule`, :mod:`.ddpm` (training and sampling on a stand-in UNet),
  :mod:`.training` (short CPU runs), :mod:`.gpu` (convergence on a GPU); shared pieces in :mod:`.part_b_common`.
"""

from __future__ import annotations

from autograder.groups.base import Group


def all_groups(part: str, gpu: bool = False) -> list[Group]:
    """The test groups of ``part`` (``"a"``, ``"b"`` or ``"all"``), freshly constructed; with ``gpu`` also the
    GPU convergence groups of Part B."""
    groups: list[Group] = []
    if part in ("a", "all"):
        from autograder.groups import part_a_loops

        groups += part_a_loops.groups()
    if part in ("b", "all"):
        from autograder.groups import training

        groups += training.groups()
        if gpu:
            from autograder.groups import gpu as gpu_groups

            groups += gpu_groups.groups()
    return groups
