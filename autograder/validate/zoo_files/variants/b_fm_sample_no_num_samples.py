"""time_fm_sample and FlowMatching.sample without a num_samples parameter: a fixed batch of 16, the images alone"""

PART = 'b_fm'
IN = ['time_fm_sample', 'FlowMatching']
ORIGIN = ('public flow-matching samplers with the signature (unet, img_wh, num_ts, seed=0) and a hard-coded batch, '
          'and modules whose sample() has no num_samples either')
REPLACE = [
    ('    seed: int = 0,\n    num_samples: int = 40,\n', '    seed: int = 0,\n'),
    ('return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, num_samples, seed, frame_every)',
     'return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, 16, seed, frame_every)[0]'),
    ('        num_samples: int = 40,\n        **kwargs: Any,\n', ''),
    ('return time_fm_sample(self.unet, img_wh, self.num_ts, seed, num_samples, **kwargs)',
     'return time_fm_sample(self.unet, img_wh, self.num_ts, seed)'),
    ('return class_fm_sample(self.unet, c, img_wh, self.num_ts, guidance_scale, seed, **kwargs)',
     'return class_fm_sample(self.unet, c, img_wh, self.num_ts, guidance_scale, seed)'),
]
