"""Euler sampling that walks t from 1 down while training treats t = 0 as noise (DDPM habit: start at t = T)"""

PART = 'b_fm'
IN = '_euler'
TARGET = 'time_fm_sample:'
SPEC_LINE = 'flow-matching `t` reversed between training and sampling'
REPLACE = [
    ('t = torch.full((num_samples,), i / num_ts, device=device)',
     't = torch.full((num_samples,), 1 - i / num_ts, device=device)'),
]
