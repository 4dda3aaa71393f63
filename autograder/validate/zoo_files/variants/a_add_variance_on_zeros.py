"""the variance is added to the mean: pred_prev + add_variance(v, t, zeros_like(pred_prev))"""

PART = 'a'
ORIGIN = 'submissions calling add_variance on a zero image and adding its result to the posterior mean'
IN = 'iterative_denoise_cfg'
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = pred_prev_image + add_variance(predicted_variance, t, torch.zeros_like(pred_prev_image))\n    return image'),
]
