"""class_fm_sample with two UNet calls, the unconditional one through mask = 0"""

PART = 'b_fm'
IN = 'class_fm_sample'
REPLACE = [
    ('        u_c, u_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)',
     '        u_c = unet(x, c, t)\n        u_u = unet(x, c, t, torch.zeros(x.shape[0], device=x.device))'),
]
