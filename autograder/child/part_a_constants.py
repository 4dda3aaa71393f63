"""Constants of Part A grading shared by the grader and the sandboxed probe (which imports this file flat)."""

#: Side of the images Part A is graded on: large enough for the course's 33-tap hybrid blur (torchvision's reflect
#: padding needs more than 16 pixels), small enough for the tiny random IF-compatible UNet to run in milliseconds.
SIZE = 32
