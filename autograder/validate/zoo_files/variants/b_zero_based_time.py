"""the 0-based time convention, used consistently in training and sampling"""

PART = 'b'
IN = ['_noise_at_random_times', '_sample']
REPLACE = [
    ('t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device=x_0.device)\n    ab = alpha_bars[t - 1]',
     't = torch.randint(0, num_ts, (x_0.shape[0],), device=x_0.device)\n    ab = alpha_bars[t]'),
    ('for t in range(num_ts, 0, -1):\n            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)',
     'for t in range(num_ts - 1, -1, -1):\n            z = torch.randn(shape, generator=generator).to(device) if t > 0 else torch.zeros_like(x)'),
    ('ab_t, beta_t, alpha_t = alpha_bars[t - 1], betas[t - 1], alphas[t - 1]\n            ab_prev = alpha_bars[t - 2] if t > 1 else',
     'ab_t, beta_t, alpha_t = alpha_bars[t], betas[t], alphas[t]\n            ab_prev = alpha_bars[t - 1] if t > 0 else'),
    ('if (num_ts - t + 1) % frame_every == 0 or t == 1:', 'if (num_ts - t) % frame_every == 0 or t == 0:'),
]
