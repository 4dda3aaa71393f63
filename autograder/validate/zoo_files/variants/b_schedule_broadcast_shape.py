"""ddpm_schedule returns each array shaped [num_ts, 1, 1, 1] so that indexing it broadcasts over images"""

PART = 'b'
ORIGIN = 'schedules reshaped to (num_ts, 1, 1, 1) once, so that ab[t] * x_0 broadcasts without a view'
IN = ['ddpm_schedule', '_noise_at_random_times']
REPLACE = [
    ('    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)',
     '    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32).reshape(num_ts, 1, 1, 1)'),
    ('    ab = alpha_bars[t - 1].view(-1, *([1] * (x_0.dim() - 1)))', '    ab = alpha_bars[t - 1]'),
]
