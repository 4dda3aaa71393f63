"""class dropout drawn with torch.bernoulli"""

PART = 'b'
IN = 'ddpm_forward_cond'
REPLACE = [
    ('keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)',
     'keep = torch.bernoulli(torch.full((x_0.shape[0],), 1.0 - p_uncond, device=x_0.device))'),
]
