"""class dropout applied while sampling"""

PART = 'b'
IN = 'ddpm_sample_cond'
TARGET = 'ddpm_sample_cond:'
SPEC_LINE = 'class dropout not applied or applied at sampling'
REPLACE = [
    ('both_c = torch.cat([c, torch.zeros_like(c)])',
     'both_c = torch.cat([c * (torch.rand(c.shape[0], 1, device=device) >= 0.1), torch.zeros_like(c)])'),
]
