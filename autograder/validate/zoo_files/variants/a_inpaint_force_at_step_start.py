"""inpaint re-imposes the original at the top of each step, at the step's own t, before the UNet call"""

PART = 'a'
ORIGIN = ("submissions reading the course's x_t ← m x_t + (1 − m) forward(x_orig, t) literally: the blend is the first "
          "line of the loop body (noise level t, before the UNet), so the last step's image is returned unblended")
IN = 'inpaint'
REPLACE = [
    ('        beta = 1 - alpha\n\n        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)',
     '        beta = 1 - alpha\n        image = m * image + (1 - m) * forward(original_image, t)\n\n'
     '        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)'),
    ('\n        image = m * image + (1 - m) * forward(original_image, prev_t)\n', '\n'),
]
