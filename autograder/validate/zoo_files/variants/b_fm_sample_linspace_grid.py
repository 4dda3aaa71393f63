"""Euler steps read off ts = torch.linspace(0, 1, num_ts + 1): t = ts[i] for every image, dt = ts[i+1] − ts[i]"""

PART = 'b_fm'
IN = '_euler'
ORIGIN = 'public samplers build the time grid with linspace(0, 1, num_ts + 1) and take dt from it'
REPLACE = [
    ('    try:\n        for i in range(num_ts):\n            t = torch.full((num_samples,), i / num_ts, device=device)\n'
     '            x = x + velocity(x, t).float() / num_ts\n',
     '    ts = torch.linspace(0, 1, num_ts + 1, device=device)\n'
     '    try:\n        for i in range(num_ts):\n            t = ts[i].repeat(num_samples)\n'
     '            x = x + (ts[i + 1] - ts[i]) * velocity(x, t).float()\n'),
]
