"""Euler steps of 1/num_ts taken at t = linspace(0, 1, num_ts): the grid ends at t = 1 instead of 1 − 1/num_ts"""

PART = 'b_fm'
ORIGIN = 'a public flow-matching sampler: for t in torch.linspace(0, 1, num_ts): x = x + (1 / num_ts) * u(x, t)'
IN = '_euler'
TARGET = 'time_fm_sample:'
SPEC_LINE = 'Euler steps at `t = i/(num_ts − 1)` (`torch.linspace(0, 1, num_ts)`)'
REPLACE = [
    ('t = torch.full((num_samples,), i / num_ts, device=device)',
     't = torch.linspace(0, 1, num_ts, device=device)[i].expand(num_samples)'),
]
