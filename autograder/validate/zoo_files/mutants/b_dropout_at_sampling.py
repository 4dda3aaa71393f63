"""Class dropout applied while sampling: a random mask on every conditional UNet call."""

PART = 'b'
IN = 'ddpm_sample_cond'
TARGET = 'ddpm_sample_cond:'
SPEC_LINE = 'class dropout not applied or applied at sampling'
REPLACE = [
    ('eps_c, eps_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)',
     'keep = torch.cat([(torch.rand(x.shape[0], device=x.device) >= 0.1).float(), torch.ones(x.shape[0], device=x.device)])\n        eps_c, eps_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t]), keep).chunk(2)'),
]
