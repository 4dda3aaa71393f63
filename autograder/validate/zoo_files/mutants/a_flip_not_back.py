"""the second noise estimate is not flipped back"""

PART = 'a'
IN = 'make_flip_illusion'
TARGET = 'make_flip_illusion:'
SPEC_LINE = 'forgetting to flip the noise estimate back'
REPLACE = [
    ('noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(2)',
     'noise_2 = out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])'),
]
