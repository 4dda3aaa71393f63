"""The course starter's module pair instead of FlowMatching: TimeConditionalFM(unet, num_ts) with sample(img_wh, seed)
and ClassConditionalFM(unet, num_ts, p_uncond) with sample(c, img_wh, guidance_scale, seed), images returned alone"""

PART = 'b_fm'
IN = 'FlowMatching'
ORIGIN = ('two public flow-matching submissions define TimeConditionalFM and ClassConditionalFM (the starter notebook\'s '
          'names and signatures, one with its own parameter names) and no FlowMatching')
REPLACE = [
    ('class FlowMatching(nn.Module):', 'class _EarlierDraftOfTheModule(nn.Module):'),
]
APPEND = '''
class TimeConditionalFM(nn.Module):
    def __init__(self, unet, num_steps=50):
        super().__init__()
        self.unet = unet
        self.num_steps = num_steps

    def forward(self, x):
        return time_fm_forward(self.unet, x, self.num_steps)

    @torch.inference_mode()
    def sample(self, image_size, seed=0):
        return time_fm_sample(self.unet, image_size, self.num_steps, seed)[0]


class ClassConditionalFM(nn.Module):
    def __init__(self, unet, num_ts=300, p_uncond=0.1):
        super().__init__()
        self.unet = unet
        self.num_ts = num_ts
        self.p_uncond = p_uncond

    def forward(self, x, c):
        return class_fm_forward(self.unet, x, c, self.p_uncond, self.num_ts)

    @torch.inference_mode()
    def sample(self, c, img_wh, guidance_scale=5.0, seed=0):
        return class_fm_sample(self.unet, c, img_wh, self.num_ts, guidance_scale, seed)[0]
'''
