"""class dropout zeroes the class index (so a dropped sample is trained as digit 0), not the one-hot vector"""

PART = 'b'
ORIGIN = 'training losses that write c[drop] = 0 on the integer labels before the UNet one-hot encodes them'
IN = 'ddpm_forward_cond'
TARGET = 'ddpm_forward_cond: the class is dropped'
SPEC_LINE = 'class dropout that zeroes the class index (digit 0) instead of the one-hot vector'
REPLACE = [
    ('    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / num_ts, keep), eps)',
     '    c = c.clone()\n    c[keep == 0] = 0\n    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / num_ts), eps)'),
]
