"""Grading a whole class: ``python -m autograder grade-all`` and ``merge-shards``.

* :mod:`.inputs` — find the submissions (one file or folder per student, or a Gradescope export) with stable ids and
  content hashes; bad entries become problems, never errors;
* :mod:`.engine` — grade them in batches through :func:`autograder.grading.grade_many` (one sandbox per batch,
  batches in parallel worker processes), write ``OUTDIR/results/<id>.json`` as each batch finishes, skip what is
  already graded by this grader version, resume an interrupted run, and grade a deterministic shard;
  :mod:`.catalog` (the grader version, device, shards, the test groups of both Part B versions) and :mod:`.outdir`
  (the files in ``OUTDIR``, written atomically) are its two halves that the other modules share;
* :mod:`.gradebook` — ``OUTDIR/grades.csv``, one row per student and one column per test;
* :mod:`.report` — ``OUTDIR/report.html``: score histograms, pass rates, the common failures of each function
  matched to the bug zoo's mutants (their signatures: :mod:`.zoo_match`), and the similarity leads;
* :mod:`.similarity` — pairs of submissions whose solution code is alike (a lead for a person, never a verdict);
* :mod:`.shards` — ``merge-shards``: several ``OUTDIR``s into one;
* :mod:`.commands` — the two subcommands' options, added to :mod:`autograder.cli`.
"""
