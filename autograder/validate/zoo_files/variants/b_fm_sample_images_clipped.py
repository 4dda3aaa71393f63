"""Euler samplers that clip the images they return to MNIST's pixel range [0, 1] (the frames left as they are)"""

PART = 'b_fm'
IN = '_euler'
ORIGIN = 'public samplers end with x.clamp(0, 1) before returning, for display'
REPLACE = [
    ('    return x, frames', '    return x.clamp(0, 1), frames'),
]
