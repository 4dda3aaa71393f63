"""A submission file (``.ipynb`` or ``.py``) read into the statements the grader runs (see :mod:`.loader`)."""

from __future__ import annotations

from autograder.submission.loader import GIVEN_NAMES, MAX_FILE_BYTES, Statement, Submission, load_submission

__all__ = ["GIVEN_NAMES", "MAX_FILE_BYTES", "Statement", "Submission", "load_submission"]
