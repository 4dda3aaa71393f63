"""Class dropout (p = 0.1) applied to the conditional branch while sampling, copied from the training loss"""

PART = 'b_fm'
IN = 'class_fm_sample'
TARGET = 'class_fm_sample:'
SPEC_LINE = 'class dropped at flow-matching sampling'
REPLACE = [
    ('        u_c, u_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)',
     '        keep = torch.cat([(torch.rand(x.shape[0], device=x.device) >= 0.1).float(), torch.zeros(x.shape[0], device=x.device)])\n'
     '        u_c, u_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t]), keep).chunk(2)'),
]
