"""class_fm_forward dropping the class for the whole batch on one coin flip"""

PART = 'b_fm'
ORIGIN = 'a public flow-matching loss: if torch.rand(()).item() < p_uncond: c = c * 0, for every image at once'
IN = 'class_fm_forward'
TARGET = 'class_fm_forward: the class is dropped'
SPEC_LINE = 'class dropout decided once per batch instead of per sample'
REPLACE = [
    ('keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).to(x_1.dtype)',
     'keep = (torch.rand(1, device=x_1.device) >= p_uncond).to(x_1.dtype).expand(x_1.shape[0])'),
]
