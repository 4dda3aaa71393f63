"""ddpm_forward trains with the Huber loss instead of the MSE"""

PART = 'b'
ORIGIN = 'losses computed with nn.HuberLoss() / F.smooth_l1_loss between the predicted and the added noise'
IN = 'ddpm_forward'
TARGET = 'ddpm_forward:'
SPEC_LINE = 'a training loss other than the MSE (L1, Huber)'
REPLACE = [
    ('    return F.mse_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)',
     '    return F.smooth_l1_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)'),
]
