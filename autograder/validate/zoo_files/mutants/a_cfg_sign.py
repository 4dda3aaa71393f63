"""CFG with the wrong sign"""

PART = 'a'
IN = 'iterative_denoise_cfg'
TARGET = 'iterative_denoise_cfg:'
SPEC_LINE = 'sign errors in CFG'
REPLACE = [
    ('noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)',
     'noise_est = noise_est_uncond - scale * (noise_est_cond - noise_est_uncond)'),
]
