"""iterative_denoise_cfg names its guidance parameter guidance_scale"""

PART = 'a'
ORIGIN = 'CFG loops with the parameter called guidance_scale rather than scale'
IN = 'iterative_denoise_cfg'
REPLACE = [
    ('timesteps: list[int], scale: float = 7,\n                          display: bool = False)',
     'timesteps: list[int], guidance_scale: float = 7,\n                          display: bool = False)'),
    ('        noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)',
     '        noise_est = noise_est_uncond + guidance_scale * (noise_est_cond - noise_est_uncond)'),
]
