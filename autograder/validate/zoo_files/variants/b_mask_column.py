"""the class-dropout mask travels as a column [N, 1]: ddpm_forward_cond draws it so, the UNet multiplies c by it"""

PART = 'b'
ORIGIN = 'losses drawing mask = (torch.rand(N, 1) > p_uncond).float() and UNets writing c = c * mask'
IN = ['ClassConditionalUNet', 'ddpm_forward_cond']
REPLACE = [
    ('            if mask.shape != (x.shape[0],):\n'
     '                raise ValueError(f"mask must have shape [{x.shape[0]}], got {list(mask.shape)}")\n'
     '            c = c * mask.to(c.dtype)[:, None]',
     '            c = c * mask.to(c.dtype)'),
    ('    keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)',
     '    keep = (torch.rand(x_0.shape[0], 1, device=x_0.device) >= p_uncond).to(x_0.dtype)'),
]
