"""sampling adds noise on the last step too (z is drawn at t = 1)"""

PART = 'b'
ORIGIN = 'several real samplers compute z but add fresh noise at every step, the last included'
IN = '_sample'
TARGET = 'ddpm_sample:'
SPEC_LINE = 'noise added on the last sampling step, or the last step skipped'
REPLACE = [
    ('            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)',
     '            z = torch.randn(shape, generator=generator).to(device)'),
]
