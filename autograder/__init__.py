"""The isolating autograder for "Fun with Diffusion Models" (the contract: ``docs/spec.md``).

One package per concern:

* :mod:`autograder.cli` — ``python -m autograder {grade, grade-all, merge-shards, validate, release, list, protect,
  merge-results}``;
* :mod:`autograder.classroom` — grading a whole class: ``grade-all`` (batches, resume, shards), the gradebook, the
  class report (failure groups matched to the bug zoo) and similarity leads;
* :mod:`autograder.submission` — a ``.ipynb``/``.py`` submission → the top-level statements worth running;
* :mod:`autograder.groups` — the test groups, one module per family: the inputs each probe needs and the
  reference's expectations (computed in the grader's process only), and the checks of the child's records;
* :mod:`autograder.sandbox` — isolation modes, one sandbox per batch, a forked child per test group as its own
  user with time, memory, process and output limits; data-only records back;
* :mod:`autograder.child` — the code that runs inside (harness, probes, shims); :mod:`autograder.child.protocol`
  is what both sides agree on (work-folder layout, record sizes);
* :mod:`autograder.compare`, :mod:`autograder.traces` — checks against formulas for the noise actually drawn;
  :mod:`autograder.strategies` — the derandomised hypothesis cases;
* :mod:`autograder.grading` — the pipeline; :mod:`autograder.results` — Gradescope ``results.json`` and the table;
* :mod:`autograder.validate` — evidence the grader is fair: the reference, the student notebooks, correct variants
  and the bug zoo (``validate/zoo_files``); :mod:`autograder.render` renders the reference as a submission;
* :mod:`autograder.release` — notebooks from the single source, and the students' zip;
* :mod:`autograder.config` — every default, with its reason.
"""
