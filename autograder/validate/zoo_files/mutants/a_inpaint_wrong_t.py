"""inpainting re-noises the original at t instead of t'"""

PART = 'a'
IN = 'inpaint'
TARGET = 'inpaint:'
SPEC_LINE = 'inpainting forced at the wrong timestep'
REPLACE = [
    ('image = m * image + (1 - m) * forward(original_image, prev_t)',
     'image = m * image + (1 - m) * forward(original_image, t)'),
]
