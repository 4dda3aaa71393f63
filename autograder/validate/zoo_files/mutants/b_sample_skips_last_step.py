"""the sampling loop stops before t = 1 (range(T, 1, -1)): one step short"""

PART = 'b'
ORIGIN = 'real samplers looping range(num_ts - 1, 0, -1) in the 0-based convention, so the last step never runs'
IN = '_sample'
TARGET = 'ddpm_sample:'
SPEC_LINE = 'noise added on the last sampling step, or the last step skipped'
REPLACE = [
    ('        for t in range(num_ts, 0, -1):', '        for t in range(num_ts, 1, -1):'),
]
