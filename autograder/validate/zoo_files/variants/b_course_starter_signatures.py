"""the course starter's forms: ddpm_sample without num_samples (its own batch, images only), DDPM keeping its schedule
in nn.ParameterDict and sample() without num_samples, the loss from a top-level criterion = nn.MSELoss()"""

PART = 'b'
ORIGIN = ("course-style notebooks: `ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0) -> torch.Tensor` sampling a "
          "hard-coded batch, `self.ddpm_schedule = nn.ParameterDict(ddpm_schedule(...))` in DDPM, and a loss module "
          "built once at the top level and read inside ddpm_forward")
IN = ['ddpm_sample', 'DDPM', 'ddpm_forward']
REPLACE = [
    ('    seed: int = 0,\n    num_samples: int = 40,\n    *,\n', '    seed: int = 0,\n    *,\n'),
    ('    return _sample(lambda x, t: unet(x, t), unet, ddpm_schedule, img_wh, num_ts, num_samples, seed, frame_every)',
     '    return _sample(lambda x, t: unet(x, t), unet, ddpm_schedule, img_wh, num_ts, 10, seed, frame_every)[0]'),
    ('        for name, value in ddpm_schedule(betas[0], betas[1], num_ts).items():\n'
     '            self.register_buffer(name, value, persistent=False)\n',
     '        self.schedule = nn.ParameterDict(ddpm_schedule(betas[0], betas[1], num_ts))\n'),
    ('        return {"betas": self.betas, "alphas": self.alphas, "alpha_bars": self.alpha_bars}',
     '        return self.schedule'),
    ('        num_samples: int = 40,\n        **kwargs: Any,\n', '        **kwargs: Any,\n'),
    ('            return ddpm_sample(self.unet, self.ddpm_schedule, img_wh, self.num_ts, seed, num_samples, **kwargs)',
     '            return ddpm_sample(self.unet, self.ddpm_schedule, img_wh, self.num_ts, seed, **kwargs)'),
    ('    return F.mse_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)', '    return criterion(unet(x_t, t.to(x_0.dtype) / num_ts), eps)'),
]
APPEND = 'criterion = nn.MSELoss()\n'
