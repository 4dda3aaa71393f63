"""the unconditional flow-matching velocity asked of class 0 (zeros_like on class indices), not the zero vector"""

PART = 'b_fm'
ORIGIN = 'public samplers calling unet(x, torch.zeros_like(c), t) on class indices for the unconditional branch'
IN = 'class_fm_sample'
TARGET = 'class_fm_sample:'
SPEC_LINE = 'the unconditional CFG branch conditioned on class 0 instead of the zero class vector'
REPLACE = [
    ('    both_c = torch.cat([c, torch.zeros_like(c)])',
     '    both_c = torch.cat([c, F.one_hot(torch.zeros(c.shape[0], dtype=torch.long, device=c.device), num_classes).to(c)])'),
]
