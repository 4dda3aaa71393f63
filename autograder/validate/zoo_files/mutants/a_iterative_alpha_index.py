"""ᾱ_{t'} read at the current t (alpha_cumprod_prev = ᾱ_t)"""

PART = 'a'
IN = 'iterative_denoise'
TARGET = 'iterative_denoise:'
SPEC_LINE = 'wrong ᾱ index or α instead of ᾱ'
REPLACE = [
    ('alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]',
     'alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[t + 1]'),
]
