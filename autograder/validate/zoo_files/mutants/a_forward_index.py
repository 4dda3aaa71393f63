"""forward indexes ᾱ at t - 1"""

PART = 'a'
IN = 'forward'
TARGET = 'forward:'
SPEC_LINE = 'wrong ᾱ index or α instead of ᾱ'
REPLACE = [
    ('alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]',
     'alpha_cumprod = stage_1.scheduler.alphas_cumprod[t - 1]'),
]
