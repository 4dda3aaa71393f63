"""ddpm_sample reads ᾱ_{t-1} at index t - 1 (off by one)"""

PART = 'b'
IN = '_sample'
TARGET = 'ddpm_sample:'
SPEC_LINE = 'wrong ᾱ index or α instead of ᾱ'
REPLACE = [
    ('ab_prev = alpha_bars[t - 2] if t > 1 else torch.ones((), device=device)',
     'ab_prev = alpha_bars[t - 1]'),
]
