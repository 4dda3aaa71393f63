"""ddpm_forward_cond one-hot encodes the classes and zeroes the dropped rows itself, calling the UNet without a mask"""

PART = 'b'
ORIGIN = 'training losses that build one_hot(c) * keep[:, None] before the UNet call, as the course text describes'
IN = 'ddpm_forward_cond'
REPLACE = [
    ('    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / num_ts, keep), eps)',
     '    c_vec = F.one_hot(c.long(), 10).to(x_0.dtype) * keep[:, None]\n'
     '    return F.mse_loss(unet(x_t, c_vec, t.to(x_0.dtype) / num_ts), eps)'),
]
