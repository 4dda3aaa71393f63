"""In-notebook checks: ``check(forward)`` runs quick public tests of one function or class in your kernel.

Each check prints ✅ or ❌ with the reason, like Otter's ``grader.check``. The tests are small and fast (CPU,
tiny tensors) and look at properties any correct implementation has — shapes, dtypes, what a block computes
(rebuilt from its own layers, so how it is written does not matter), determinism, and formula checks against an
*oracle*: a fake network that knows the clean image, so a correct loop must give it back exactly. Passing them
is a good sign, not a grade: the autograder runs more tests.

This package holds no solution; it only states what a solution must satisfy. Its modules:

* :mod:`.registry` — ``check`` / ``run_checks``, the registry of checks and how they report;
* :mod:`.tracing` — recording which layers a forward pass runs;
* :mod:`.blocks`, :mod:`.unets`, :mod:`.ddpm` — the Part B checks; :mod:`.flow_matching` — Part B's flow-matching version;
* :mod:`.fake_pipelines` — the fake IF pipeline the Part A checks run the loops against;
* :mod:`.part_a` — the Part A checks.

Importing this package imports the check modules, which register their checks (in this order).
"""

from __future__ import annotations

from .registry import CHECKS, CheckFailed, check, run_checks

# isort: off
# Importing the check modules registers their checks; the order is the order ``CHECKS`` lists them in.
from . import blocks  # noqa: F401
from . import unets  # noqa: F401
from . import ddpm  # noqa: F401
from . import flow_matching  # noqa: F401
from . import part_a  # noqa: F401
# isort: on

__all__ = ["check", "run_checks", "CheckFailed", "CHECKS"]
