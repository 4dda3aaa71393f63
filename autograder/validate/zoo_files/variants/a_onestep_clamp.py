"""one_step_denoise returns x̂_0 clamped to [-1, 1]"""

PART = 'a'
ORIGIN = 'one-step estimates clipped to the image range before plotting'
IN = 'one_step_denoise'
REPLACE = [
    ('return (im_noisy - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()',
     'return ((im_noisy - (1 - alpha_cumprod).sqrt() * noise_est) / alpha_cumprod.sqrt()).clamp(-1, 1)'),
]
