"""``python -m autograder validate``: evidence that the grader grades fairly (see :mod:`.run`), from the kit's zoo
of submissions (:mod:`.zoo`; the files in ``zoo_files/``: ``variants`` correct, ``mutants`` one bug each,
``hostile`` attacks on the grader)."""

from __future__ import annotations

from autograder.validate.run import MutantOutcome, Validation, main, mutant_outcome, print_validation, run_all

__all__ = ["MutantOutcome", "Validation", "main", "mutant_outcome", "print_validation", "run_all"]
