"""the older convention: iterative loops return a numpy [H, W, 3] image in [0, 1]"""

PART = 'a'
IN = 'iterative_denoise'
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n    return (image[0] / 2 + 0.5).clamp(0, 1).permute(1, 2, 0).cpu().numpy()'),
]
