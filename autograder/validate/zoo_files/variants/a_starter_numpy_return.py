"""every loop ends with the course starter's given line: clean = image.cpu().detach().numpy() (numpy [B, 3, H, W] in [-1, 1])"""

PART = 'a'
ORIGIN = 'the course starter notebook returns numpy from every loop; most real submissions keep that line'
IN = ['iterative_denoise', 'iterative_denoise_cfg', 'make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n    clean = image.cpu().detach().numpy()\n    return clean',
     'each'),
]
