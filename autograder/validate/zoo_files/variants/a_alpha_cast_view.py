"""ᾱ moved to the image's device and dtype and shaped [1, 1, 1, 1] before the update"""

PART = 'a'
ORIGIN = 'loops writing alphas_cumprod[t].to(image.device, image.dtype).view(1, 1, 1, 1)'
IN = 'iterative_denoise_cfg'
REPLACE = [
    ('        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]\n        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t]',
     '        alpha_cumprod = stage_1.scheduler.alphas_cumprod[t].to(image.device, image.dtype).view(1, 1, 1, 1)\n'
     '        alpha_cumprod_prev = stage_1.scheduler.alphas_cumprod[prev_t].to(image.device, image.dtype).view(1, 1, 1, 1)'),
]
