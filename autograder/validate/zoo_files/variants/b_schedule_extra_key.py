"""ddpm_schedule also returns ᾱ_(t−1) under its own key, and the sampler reads it from there"""

PART = 'b'
ORIGIN = ('schedules with extra precomputed entries (alpha_bars_prev padded with 1, sqrt terms) that the '
          "student's own sampler then indexes")
IN = ['ddpm_schedule', '_sample']
REPLACE = [
    ('    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, dim=0)}',
     '    alpha_bars = torch.cumprod(alphas, dim=0)\n'
     '    alpha_bars_prev = torch.cat([torch.ones(1), alpha_bars[:-1]])\n'
     '    return {"betas": betas, "alphas": alphas, "alpha_bars": alpha_bars, "alpha_bars_prev": alpha_bars_prev}'),
    ('            ab_prev = alpha_bars[t - 2] if t > 1 else torch.ones((), device=device)',
     '            ab_prev = schedule["alpha_bars_prev"].to(device)[t - 1]'),
]
