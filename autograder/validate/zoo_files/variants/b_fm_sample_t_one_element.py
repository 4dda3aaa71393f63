"""time_fm_sample passing the UNet a one-element t ([1], broadcast over the batch) at each Euler step"""

PART = 'b_fm'
IN = 'time_fm_sample'
ORIGIN = 'a public sampler calls unet(x, torch.full((1,), i / num_ts)) for a whole batch'
REPLACE = [
    ('return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, num_samples, seed, frame_every)',
     'return _euler(lambda x, t: unet(x, t[:1]), unet, img_wh, num_ts, num_samples, seed, frame_every)'),
]
