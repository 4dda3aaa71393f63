"""every loop (CFG, inpaint, anagram, hybrid) returns one numpy [H, W, 3] image in [0, 1], clipped for plotting"""

PART = 'a'
ORIGIN = ("write-ups whose loops end with `final = x[0].permute(1, 2, 0).cpu().numpy(); return np.clip(final / 2 + 0.5, "
          "0, 1)` so the result goes straight to plt.imshow / plt.imsave")
IN = ['iterative_denoise_cfg', 'make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n'
     '    final = image[0].detach().cpu().permute(1, 2, 0).float().numpy()\n'
     '    return (final / 2 + 0.5).clip(0, 1)',
     'each'),
]
