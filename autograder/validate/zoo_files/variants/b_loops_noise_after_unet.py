"""ddpm_sample draws z after the UNet call with the global RNG, one z per step, and loops t from T−1 down to 0"""

PART = 'b'
IN = '_sample'
REPLACE = [
    ('generator = torch.Generator().manual_seed(seed)\n    shape = (num_samples, channels, height, width)\n    x = torch.randn(shape, generator=generator).to(device)',
     'torch.manual_seed(seed)\n    shape = (num_samples, channels, height, width)\n    x = torch.randn(shape, device=device)'),
    ('            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)\n            t_in = torch.full((num_samples,), t / num_ts, device=device)\n            eps = eps_fn(x, t_in).float()',
     '            t_in = torch.full((num_samples, 1), float(t), device=device) * (1.0 / num_ts)\n            eps = eps_fn(x, t_in).float()\n            z = torch.randn_like(x)\n            if t == 1:\n                z = z * 0'),
]
