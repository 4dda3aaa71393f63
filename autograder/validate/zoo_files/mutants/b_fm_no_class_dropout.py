"""class_fm_forward that never drops the class, so the unconditional velocity is never learned"""

PART = 'b_fm'
IN = 'class_fm_forward'
TARGET = 'class_fm_forward: the class is dropped'
SPEC_LINE = 'class dropout not applied or applied at sampling'
REPLACE = [
    ('keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).to(x_1.dtype)',
     'keep = torch.ones(x_1.shape[0], device=x_1.device, dtype=x_1.dtype)'),
]
