"""Code that runs inside the sandboxed child process.

These modules are copied, flat, into each child's private folder and imported there by their bare names
(``import records``), because the child cannot see the ``autograder`` package (its hidden tests) or the
``solutions`` package. They therefore import only the standard library, torch, numpy, safetensors and the
students' ``assignment`` package — never ``autograder`` or ``solutions``. They say *what to run*, never
*what to expect*: every comparison happens in the grader's own process.
"""
