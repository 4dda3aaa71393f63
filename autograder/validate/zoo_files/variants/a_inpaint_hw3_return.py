"""inpaint returns one numpy [H, W, 3] image in [0, 1], clipped for plotting"""

PART = 'a'
ORIGIN = "write-ups whose inpaint ends with `return np.clip(image[0].permute(1, 2, 0).cpu().numpy() / 2 + 0.5, 0, 1)`"
IN = 'inpaint'
REPLACE = [
    ('forward(original_image, prev_t)\n    return image',
     'forward(original_image, prev_t)\n'
     '    final = image[0].detach().cpu().permute(1, 2, 0).float().numpy()\n'
     '    return (final / 2 + 0.5).clip(0, 1)'),
]
