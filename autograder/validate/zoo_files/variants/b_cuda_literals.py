"""the DDPM loss and sampler move their tensors with .cuda() and device='cuda' literals, as written for Colab"""

PART = 'b'
ORIGIN = "notebooks that hard-code .cuda() / device='cuda' inside ddpm_forward and ddpm_sample"
IN = ['_noise_at_random_times', '_sample']
REPLACE = [
    ('    alpha_bars = schedule["alpha_bars"].to(x_0.device, x_0.dtype)',
     '    alpha_bars = schedule["alpha_bars"].cuda().to(x_0.dtype)\n    x_0 = x_0.cuda()'),
    ('    t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device=x_0.device)',
     "    t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device='cuda')"),
    ('    x = torch.randn(shape, generator=generator).to(device)', '    x = torch.randn(shape, generator=generator).cuda()'),
    ('            t_in = torch.full((num_samples,), t / num_ts, device=device)',
     "            t_in = torch.full((num_samples,), t / num_ts, device='cuda')"),
]
