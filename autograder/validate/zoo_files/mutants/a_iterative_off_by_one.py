"""the strided loop stops one step early"""

PART = 'a'
IN = 'iterative_denoise'
TARGET = 'iterative_denoise:'
SPEC_LINE = 'off-by-one in the strided loop'
REPLACE = [
    ('range(i_start, len(timesteps) - 1)',
     'range(i_start, len(timesteps) - 2)'),
]
