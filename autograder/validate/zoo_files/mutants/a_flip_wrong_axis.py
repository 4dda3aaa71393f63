"""flips left-right (dim 3) instead of upside down"""

PART = 'a'
IN = 'make_flip_illusion'
TARGET = 'make_flip_illusion:'
SPEC_LINE = 'flipping the wrong axis, or rotating by 180° instead of flipping upside down'
REPLACE = [
    ('flipped = image.flip(2)',
     'flipped = image.flip(3)'),
    ('noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(2)',
     'noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(3)'),
    ('predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     'predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(3)) / 2'),
]
