"""What both sides of the sandbox agree on: one definition, imported by the grader as
``autograder.child.protocol`` and by the sandboxed child as the flat module ``protocol``.

The work folder of a sandbox::

    WORK/batch.json                     the groups to run, device, dtype, seed, jobs (written by the grader)
    WORK/submission-N.json              the submission's statements
    WORK/code/*.py                      the child's modules (a flat copy of autograder/child)
    WORK/groups/NAME/spec.json          the group's probe spec (cases)
    WORK/groups/NAME/inputs.safetensors its input tensors
    WORK/groups/NAME/out/KEY.safetensors  the records the probe writes (tensors + JSON metadata, never pickle)
    WORK/groups/NAME/cwd/               the child's working folder (its HOME and TMPDIR)
    WORK/groups/NAME/stdout.txt         what the child printed (capped)
    WORK/groups/NAME/status.json        how the child ended (written by the harness)
"""

#: Where the submission's code appears in tracebacks: ``<submission>:code cell 12``.
SUBMISSION_FILENAME = "<submission>"
#: Bytes of tensors one record may hold (the child drops outputs beyond it) …
MAX_RECORD_BYTES = 64 * 1024 * 1024
#: … and the largest record file the grader reads back (tensors plus safetensors' header and metadata).
MAX_RECORD_FILE_BYTES = MAX_RECORD_BYTES + 16 * 1024 * 1024
#: Characters of a child's stdout kept (the rest is dropped with a note).
STDOUT_CAP = 64 * 1024
#: Side of the images Part A is graded on: large enough for the course's 33-tap hybrid blur (torchvision's reflect
#: padding needs more than 16 pixels), small enough for the tiny random IF-compatible UNet to run in milliseconds.
PART_A_SIZE = 32
#: The strided timesteps Part A's loops are graded on (six steps: [990, 825, 660, 495, 330, 165, 0]). The given name
#: ``strided_timesteps`` is bound to this list too, so a loop that reads the global instead of its ``timesteps``
#: parameter (the same list in every call the course makes) runs the graded steps.
PART_A_TIMESTEPS = list(range(990, -1, -165))

#: In each group's ``out/``: one line ``start KEY`` before each probe call and ``end KEY`` after its record is
#: written, so that when a child stops mid-call the grader knows which call it was (and the harness can stop a
#: call that runs past its own time limit).
JOURNAL_FILE = ".journal"


def open_call(journal: str) -> str | None:
    """The probe call a journal shows started and not ended (the last such), or None."""
    open_calls: list[str] = []
    for line in journal.splitlines():
        event, _, key = line.partition(" ")
        if event == "start":
            open_calls.append(key)
        elif event == "end" and key in open_calls:
            open_calls.remove(key)
    return open_calls[-1] if open_calls else None


BATCH_FILE = "batch.json"
SPEC_FILE = "spec.json"
INPUTS_FILE = "inputs.safetensors"
STATUS_FILE = "status.json"
STDOUT_FILE = "stdout.txt"
