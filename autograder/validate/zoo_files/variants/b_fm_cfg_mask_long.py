"""class_fm_sample with two UNet calls whose masks are long ones/zeros passed by keyword, and CFG as (1 − γ) u_u + γ u_c"""

PART = 'b_fm'
IN = 'class_fm_sample'
ORIGIN = 'public samplers pass mask=torch.ones(N).long() / torch.zeros(N).long() and write the guidance either way'
REPLACE = [
    ('        u_c, u_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)\n'
     '        return u_u + guidance_scale * (u_c - u_u)',
     '        on = torch.ones(x.shape[0], device=x.device).long()\n'
     '        u_c = unet(x, c, t, mask=on)\n'
     '        u_u = unet(x, c, t, mask=torch.zeros_like(on))\n'
     '        return (1 - guidance_scale) * u_u + guidance_scale * u_c'),
]
