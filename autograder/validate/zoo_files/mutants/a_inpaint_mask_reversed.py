"""inpainting keeps the original where mask = 1"""

PART = 'a'
IN = 'inpaint'
TARGET = 'inpaint:'
SPEC_LINE = 'mask polarity reversed'
REPLACE = [
    ('image = m * image + (1 - m) * forward(original_image, prev_t)',
     'image = (1 - m) * image + m * forward(original_image, prev_t)'),
]
