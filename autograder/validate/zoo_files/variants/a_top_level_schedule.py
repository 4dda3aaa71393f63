"""a top-level alphas_cumprod = stage_1.scheduler.alphas_cumprod, used as a global in one_step_denoise"""

PART = 'a'
ORIGIN = 'notebooks computing the schedule once in a setup cell from the given stage_1'
IN = 'one_step_denoise'
APPEND = 'alphas_cumprod = stage_1.scheduler.alphas_cumprod'
REPLACE = [
    ('    alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]\n    model_output', '    alpha_cumprod = alphas_cumprod[t].to(device)\n    model_output'),
]
