"""iterative_denoise clamps x̂_0 to [-1, 1] before the update (as diffusers' scheduler does)"""

PART = 'a'
ORIGIN = 'submissions clamping the clean estimate before computing the posterior mean'
IN = 'iterative_denoise'
REPLACE = [
    ('x0_est = (image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()',
     'x0_est = ((image - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()).clamp(-1, 1)'),
]
