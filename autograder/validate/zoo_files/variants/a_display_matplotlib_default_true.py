"""iterative_denoise_cfg defaults display=True and draws with matplotlib when it is set"""

PART = 'a'
ORIGIN = 'starter loops with display=True by default, plotting with plt.imshow / plt.show'
IN = 'iterative_denoise_cfg'
APPEND = 'import matplotlib.pyplot as plt'
REPLACE = [
    ('scale: float = 7,\n                          display: bool = False)', 'scale: float = 7,\n                          display: bool = True)'),
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n'
     '        if display and i % 5 == 0:\n'
     '            plt.imshow((image[0].permute(1, 2, 0).cpu().numpy() + 1) / 2)\n'
     '            plt.show()\n'
     '    return image'),
]
