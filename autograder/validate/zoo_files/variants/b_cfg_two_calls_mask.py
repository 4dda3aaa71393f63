"""ddpm_sample_cond with two UNet calls, the unconditional one through mask = 0"""

PART = 'b'
IN = 'ddpm_sample_cond'
REPLACE = [
    ('        eps_c, eps_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)',
     '        eps_c = unet(x, c, t)\n        eps_u = unet(x, c, t, torch.zeros(x.shape[0], device=x.device))'),
]
