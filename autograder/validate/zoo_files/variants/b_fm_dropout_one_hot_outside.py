"""class_fm_forward that builds the one-hot itself, zeroes the dropped rows and calls the UNet without a mask"""

PART = 'b_fm'
IN = 'class_fm_forward'
ORIGIN = 'public losses drop the class outside the UNet: c1h = F.one_hot(c, 10).float(); c1h[rand(N) < p] = 0'
REPLACE = [
    ('    keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).to(x_1.dtype)\n'
     '    return F.mse_loss(unet(x_t, c, t, keep), target)',
     '    c1h = F.one_hot(c.long(), 10).float()\n'
     '    c1h[torch.rand(x_1.shape[0]) < p_uncond] = 0\n'
     '    return F.mse_loss(unet(x_t, c1h.to(x_1.device), t), target)'),
]
