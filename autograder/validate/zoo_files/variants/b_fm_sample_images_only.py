"""time_fm_sample returning the images alone, as several public notebooks do (no frames)"""

PART = 'b_fm'
IN = 'time_fm_sample'
ORIGIN = 'public flow-matching notebooks return x from time_fm_sample'
REPLACE = [
    ('return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, num_samples, seed, frame_every)',
     'return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, num_samples, seed, frame_every)[0]'),
]
