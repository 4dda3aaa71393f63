"""class dropout decided by one coin flip for the whole batch, not per sample"""

PART = 'b'
ORIGIN = 'a real training loop dropped the condition for every image of a batch at once'
IN = 'ddpm_forward_cond'
TARGET = 'ddpm_forward_cond: the class is dropped'
SPEC_LINE = 'class dropout decided once per batch instead of per sample'
REPLACE = [
    ('    keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)',
     '    keep = (torch.rand(1, device=x_0.device) >= p_uncond).to(x_0.dtype).expand(x_0.shape[0])'),
]
