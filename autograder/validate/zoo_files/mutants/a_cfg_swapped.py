"""CFG with ε_c and ε_u swapped"""

PART = 'a'
IN = 'iterative_denoise_cfg'
TARGET = 'iterative_denoise_cfg:'
SPEC_LINE = 'CFG formula with `ε_c` and `ε_u` swapped'
REPLACE = [
    ('noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)',
     'noise_est = noise_est_cond + scale * (noise_est_uncond - noise_est_cond)'),
]
