"""ddpm_sample clips the images it returns to MNIST's pixel range [0, 1]"""

PART = 'b'
ORIGIN = 'samplers ending with x = x.clamp(0, 1) (or torch.clip) before returning, so the grid shows valid pixels'
IN = '_sample'
REPLACE = [
    ('    finally:\n        unet.train(was_training)\n    return x, frames',
     '    finally:\n        unet.train(was_training)\n    return x.clamp(0, 1), frames'),
]
