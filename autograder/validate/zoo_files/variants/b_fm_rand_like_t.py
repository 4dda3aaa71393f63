"""t drawn with torch.rand_like on a per-image slice instead of torch.rand(N)"""

PART = 'b_fm'
IN = '_interpolate_at_random_times'
ORIGIN = 'public flow-matching notebooks draw t with rand, rand_like or as [N, 1, 1, 1]'
REPLACE = [
    ('t = torch.rand(x_1.shape[0], device=x_1.device, dtype=x_1.dtype)', 't = torch.rand_like(x_1[:, 0, 0, 0])'),
]
