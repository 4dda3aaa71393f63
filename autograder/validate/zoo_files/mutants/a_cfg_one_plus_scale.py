"""CFG as (1 + γ)·ε_c − γ·ε_u with γ = scale: the guidance is γ + 1, not γ"""

PART = 'a'
ORIGIN = 'a real submission wrote the guidance in the (1 + w) convention but passed scale = 7 as w'
IN = 'iterative_denoise_cfg'
TARGET = 'iterative_denoise_cfg:'
SPEC_LINE = "guidance written as `(1 + γ) ε_c − γ ε_u` with the course's `γ`"
REPLACE = [
    ('        noise_est = noise_est_uncond + scale * (noise_est_cond - noise_est_uncond)',
     '        noise_est = (1 + scale) * noise_est_cond - scale * noise_est_uncond'),
]
