"""betas from linspace(beta1, beta2, T + 1)[1:]"""

PART = 'b'
IN = 'ddpm_schedule'
TARGET = 'ddpm_schedule:'
SPEC_LINE = 'schedule `betas` off by one element'
REPLACE = [
    ('betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)',
     'betas = torch.linspace(beta1, beta2, num_ts + 1, dtype=torch.float32)[1:]'),
]
