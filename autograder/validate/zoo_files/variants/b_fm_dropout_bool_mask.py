"""class_fm_forward passing a bool keep-mask (rand >= p_uncond, not cast) to the UNet by keyword"""

PART = 'b_fm'
IN = 'class_fm_forward'
ORIGIN = 'public losses build the mask as torch.rand(N) >= p (bool, or .long()) and call unet(x_t, c, t, mask=mask)'
REPLACE = [
    ('keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).to(x_1.dtype)',
     'keep = torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond'),
    ('return F.mse_loss(unet(x_t, c, t, keep), target)', 'return F.mse_loss(unet(x_t, c, t, mask=keep), target)'),
]
