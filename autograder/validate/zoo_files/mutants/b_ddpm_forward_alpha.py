"""ddpm_forward noises with α_t instead of ᾱ_t"""

PART = 'b'
IN = '_noise_at_random_times'
TARGET = 'ddpm_forward:'
SPEC_LINE = 'wrong ᾱ index or α instead of ᾱ'
REPLACE = [
    ('alpha_bars = schedule["alpha_bars"].to(x_0.device, x_0.dtype)',
     'alpha_bars = schedule["alphas"].to(x_0.device, x_0.dtype)'),
]
