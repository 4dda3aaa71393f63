"""t drawn as [N, 1, 1, 1] and passed to the UNet in that shape"""

PART = 'b_fm'
IN = '_interpolate_at_random_times'
ORIGIN = "the course page's pseudo-code draws t = torch.rand(N, 1, 1, 1) and calls unet(xt, t)"
REPLACE = [
    ('    t = torch.rand(x_1.shape[0], device=x_1.device, dtype=x_1.dtype)\n    t_img = t.view(-1, *([1] * (x_1.dim() - 1)))',
     '    t = torch.rand(x_1.shape[0], 1, 1, 1, device=x_1.device, dtype=x_1.dtype)\n    t_img = t'),
]
