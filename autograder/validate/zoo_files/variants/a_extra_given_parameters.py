"""iterative_denoise takes alphas_cumprod and stage_1 as extra parameters and uses them instead of globals"""

PART = 'a'
ORIGIN = 'refactored submissions passing the schedule and the pipeline explicitly'
IN = 'iterative_denoise'
REPLACE = [
    ('def iterative_denoise(im_noisy: torch.Tensor, i_start: int, prompt_embeds: torch.Tensor, timesteps: list[int],\n                      display: bool = False)',
     'def iterative_denoise(im_noisy, i_start, prompt_embeds, timesteps, alphas_cumprod, stage_1,\n                      display: bool = False)'),
    ('        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]\n        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]',
     '        alpha_cumprod = alphas_cumprod[t]\n        alpha_cumprod_prev = alphas_cumprod[prev_t]'),
]
