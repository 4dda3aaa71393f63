"""inpaint blends at the top of each step but re-noises the original to t' while the image is still at t"""

PART = 'a'
ORIGIN = ("the start-of-step form of inpainting (a correct reading of the course) with the blend's timestep taken "
          "from the step's end: the kept region is one step less noisy than the image it is pasted into")
IN = 'inpaint'
TARGET = 'inpaint:'
SPEC_LINE = 'inpainting forced at the wrong timestep'
REPLACE = [
    ('\n        image = m * image + (1 - m) * forward(original_image, prev_t)\n', '\n'),
    ('        beta = 1 - alpha\n\n        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)',
     '        beta = 1 - alpha\n        image = m * image + (1 - m) * forward(original_image, prev_t)\n\n'
     '        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)'),
]
