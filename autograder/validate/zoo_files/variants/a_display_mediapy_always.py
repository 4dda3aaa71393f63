"""iterative_denoise shows the image with mediapy every 5 steps, whatever display says"""

PART = 'a'
ORIGIN = 'starter loops showing progress with media.show_images every few steps (mediapy is not installed for grading)'
IN = 'iterative_denoise'
APPEND = 'import mediapy as media'
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n'
     '        if i % 5 == 0:\n'
     '            media.show_images({f"t = {t}": (image[0].permute(1, 2, 0).cpu().numpy() + 1) / 2})\n'
     '    return image'),
]
