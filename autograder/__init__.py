"""The isolating autograder for "Fun with Diffusion Models".

The pipeline, one module per step:

* :mod:`autograder.loader` — a ``.ipynb``/``.py`` submission → the top-level statements worth running;
* :mod:`autograder.tests_part_a`, :mod:`autograder.tests_part_b` — test groups: the inputs each probe needs
  and the reference's expectations, computed in the grader's process (:mod:`autograder.registry` has their shape,
  :mod:`autograder.strategies` the derandomised hypothesis cases);
* :mod:`autograder.sandbox` — one sandbox per batch (namespaces, no network, hidden reference), a forked child
  per test group as its own user with time, memory, process and output limits; data-only records back;
* :mod:`autograder.child` — the code that runs inside (harness, probes, noise and device shims);
* :mod:`autograder.compare`, :mod:`autograder.traces` — checks against formulas for the noise actually drawn;
* :mod:`autograder.grading` — the pipeline itself; :mod:`autograder.results` — Gradescope ``results.json``
  and the terminal table;
* :mod:`autograder.validate`, :mod:`autograder.zoo`, :mod:`autograder.render` — ``validate``: the reference,
  the student notebooks, correct variants and the bug zoo.

Command line: ``python -m autograder {grade, validate, release, list}`` (see :mod:`autograder.__main__`).
"""
