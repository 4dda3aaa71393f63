"""class dropout never applied in training"""

PART = 'b'
IN = 'ddpm_forward_cond'
TARGET = 'ddpm_forward_cond: the class is dropped'
SPEC_LINE = 'class dropout not applied or applied at sampling'
REPLACE = [
    ('keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)',
     'keep = torch.ones(x_0.shape[0], device=x_0.device)'),
]
