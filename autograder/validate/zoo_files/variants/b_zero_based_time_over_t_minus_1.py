"""the 0-based time convention normalised by T − 1 (UNet input t/(T−1) ∈ [0, 1]), used consistently in training and sampling"""

PART = 'b'
ORIGIN = 'losses and samplers with t = randint(0, T) indexing alpha_bars[t] and passing t / (num_ts - 1) to the UNet in both'
IN = ['ddpm_forward', 'ddpm_forward_cond', '_noise_at_random_times', '_sample']
REPLACE = [
    ('    return F.mse_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)',
     '    return F.mse_loss(unet(x_t, t.to(x_0.dtype) / (num_ts - 1)), eps)'),
    ('    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / num_ts, keep), eps)',
     '    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / (num_ts - 1), keep), eps)'),
    ('t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device=x_0.device)\n    ab = alpha_bars[t - 1]',
     't = torch.randint(0, num_ts, (x_0.shape[0],), device=x_0.device)\n    ab = alpha_bars[t]'),
    ('for t in range(num_ts, 0, -1):\n            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)\n'
     '            t_in = torch.full((num_samples,), t / num_ts, device=device)',
     'for t in range(num_ts - 1, -1, -1):\n            z = torch.randn(shape, generator=generator).to(device) if t > 0 else torch.zeros_like(x)\n'
     '            t_in = torch.full((num_samples,), t / (num_ts - 1), device=device)'),
    ('ab_t, beta_t, alpha_t = alpha_bars[t - 1], betas[t - 1], alphas[t - 1]\n            ab_prev = alpha_bars[t - 2] if t > 1 else',
     'ab_t, beta_t, alpha_t = alpha_bars[t], betas[t], alphas[t]\n            ab_prev = alpha_bars[t - 1] if t > 0 else'),
    ('if (num_ts - t + 1) % frame_every == 0 or t == 1:', 'if (num_ts - t) % frame_every == 0 or t == 0:'),
]
