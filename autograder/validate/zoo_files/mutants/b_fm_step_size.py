"""Euler step of 1/(num_ts − 1), as when the step is taken from torch.linspace(0, 1, num_ts)"""

PART = 'b_fm'
IN = '_euler'
TARGET = 'time_fm_sample:'
SPEC_LINE = 'Euler step size not `1/num_ts`'
REPLACE = [
    ('x = x + velocity(x, t).float() / num_ts', 'x = x + velocity(x, t).float() / (num_ts - 1)'),
]
