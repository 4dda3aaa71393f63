"""ddpm_forward passes the integer t to the UNet"""

PART = 'b'
IN = 'ddpm_forward'
TARGET = 'ddpm_forward:'
SPEC_LINE = 't not normalised'
REPLACE = [
    ('return F.mse_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)',
     'return F.mse_loss(unet(x_t, t.to(x_0.dtype)), eps)'),
]
