"""the "unconditional" CFG branch is class 0 (zeros_like on class indices), not the zero vector"""

PART = 'b'
ORIGIN = 'real samplers calling the UNet with torch.zeros_like(c) on class indices: that is digit 0'
IN = 'ddpm_sample_cond'
TARGET = 'ddpm_sample_cond:'
SPEC_LINE = 'the unconditional CFG branch conditioned on class 0 instead of the zero class vector'
REPLACE = [
    ('    both_c = torch.cat([c, torch.zeros_like(c)])',
     '    both_c = torch.cat([c, F.one_hot(torch.zeros(c.shape[0], dtype=torch.long, device=c.device), num_classes).to(c)])'),
]
