"""one_step_denoise divides by ᾱ_t instead of sqrt(ᾱ_t)"""

PART = 'a'
IN = 'one_step_denoise'
TARGET = 'one_step_denoise:'
SPEC_LINE = 'missing square roots'
REPLACE = [
    ('return (im_noisy - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()',
     'return (im_noisy - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod'),
]
