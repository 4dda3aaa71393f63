"""ddpm_forward draws t with torch.randint(1, num_ts): t = T (the noisiest step) is never trained"""

PART = 'b'
ORIGIN = 'losses with t = torch.randint(1, num_ts, (N,)) — the high bound of randint is exclusive'
IN = '_noise_at_random_times'
TARGET = 'ddpm_forward:'
SPEC_LINE = 'training `t` drawn from a range that misses one end (`torch.randint(1, T)`)'
REPLACE = [
    ('    t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device=x_0.device)',
     '    t = torch.randint(1, num_ts, (x_0.shape[0],), device=x_0.device)'),
]
