"""Euler loop that keeps t as an [N, 1] tensor and advances it with t += dt after each step (global seed, device noise)"""

PART = 'b_fm'
IN = '_euler'
ORIGIN = 'public samplers start at t = zeros(N, 1), seed with torch.manual_seed and step t += 1/num_ts inside the loop'
REPLACE = [
    ('    generator = torch.Generator().manual_seed(seed)\n'
     '    x = torch.randn((num_samples, channels, height, width), generator=generator).to(device)',
     '    torch.manual_seed(seed)\n'
     '    x = torch.randn(num_samples, channels, height, width, device=device)\n'
     '    dt = 1.0 / num_ts\n'
     '    t = torch.zeros(num_samples, 1, device=device)'),
    ('            t = torch.full((num_samples,), i / num_ts, device=device)\n'
     '            x = x + velocity(x, t).float() / num_ts\n',
     '            x = x + dt * velocity(x, t).float()\n'
     '            t += dt\n'),
]
