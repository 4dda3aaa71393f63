"""forward draws with torch.randn(shape, ...) and uses ᾱ_t as a Python float"""

PART = 'a'
IN = 'forward'
REPLACE = [
    ('alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]',
     'alpha_cumprod = float(stage_1.scheduler.alphas_cumprod[t])'),
    ('noise = torch.randn_like(im)',
     'noise = torch.randn(im.shape, device=im.device, dtype=im.dtype)'),
    ('return alpha_cumprod.sqrt() * im + (1 - alpha_cumprod).sqrt() * noise',
     'return alpha_cumprod ** 0.5 * im + (1 - alpha_cumprod) ** 0.5 * noise'),
]
