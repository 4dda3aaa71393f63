"""guidance applied to the variance too"""

PART = 'a'
IN = 'iterative_denoise_cfg'
TARGET = 'iterative_denoise_cfg:'
SPEC_LINE = 'guidance applied to the variance'
REPLACE = [
    ('noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)',
     'noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)\n        predicted_variance = uncond_output[:, 3:] + scale * (predicted_variance - uncond_output[:, 3:])'),
]
