"""class dropout kept as a bool mask: ddpm_forward_cond passes rand >= p_uncond, the UNet selects with torch.where"""

PART = 'b'
ORIGIN = 'masks left as bool tensors and applied with torch.where(mask[:, None], c, 0) inside the UNet'
IN = ['ClassConditionalUNet', 'ddpm_forward_cond']
REPLACE = [
    ('            c = c * mask.to(c.dtype)[:, None]',
     '            c = torch.where(mask.bool()[:, None], c, torch.zeros_like(c))'),
    ('    keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)',
     '    keep = torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond'),
]
