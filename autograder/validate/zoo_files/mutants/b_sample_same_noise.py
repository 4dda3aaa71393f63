"""ddpm_sample draws z once before the loop and adds that same noise at every step"""

PART = 'b'
ORIGIN = 'samplers with z = torch.randn_like(x) above the loop (or the RNG re-seeded with the same seed inside it)'
IN = '_sample'
TARGET = 'ddpm_sample:'
SPEC_LINE = 'the same noise `z` reused at every sampling step'
REPLACE = [
    ('    try:\n        for t in range(num_ts, 0, -1):\n            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)\n',
     '    z_once = torch.randn(shape, generator=generator).to(device)\n'
     '    try:\n        for t in range(num_ts, 0, -1):\n            z = z_once if t > 1 else torch.zeros_like(x)\n'),
]
