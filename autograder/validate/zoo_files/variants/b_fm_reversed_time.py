"""The reversed convention used consistently: t = 0 is data, target x_0 − x_1, sampling from t = 1 down with x ← x − u/T"""

PART = 'b_fm'
IN = ['_interpolate_at_random_times', '_euler']
REPLACE = [
    ('return (1 - t_img) * x_0 + t_img * x_1, t, x_1 - x_0', 'return t_img * x_0 + (1 - t_img) * x_1, t, x_0 - x_1'),
    ('t = torch.full((num_samples,), i / num_ts, device=device)', 't = torch.full((num_samples,), 1 - i / num_ts, device=device)'),
    ('x = x + velocity(x, t).float() / num_ts', 'x = x - velocity(x, t).float() / num_ts'),
]
