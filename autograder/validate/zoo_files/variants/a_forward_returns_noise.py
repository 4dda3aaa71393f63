"""forward returns (x_t, noise); sdedit and inpaint unpack it"""

PART = 'a'
ORIGIN = ("submissions whose forward also hands back the noise it drew, `return x_t, noise`, and whose later "
          "functions unpack `x_t, _ = forward(im, t)`")
IN = ['forward', 'sdedit', 'inpaint']
REPLACE = [
    ('    return alpha_cumprod.sqrt() * im + (1 - alpha_cumprod).sqrt() * noise',
     '    return alpha_cumprod.sqrt() * im + (1 - alpha_cumprod).sqrt() * noise, noise'),
    ('    im_noisy = forward(im, timesteps[i_start])', '    im_noisy, _ = forward(im, timesteps[i_start])'),
    ('        image = m * image + (1 - m) * forward(original_image, prev_t)',
     '        original_noisy, _ = forward(original_image, prev_t)\n        image = m * image + (1 - m) * original_noisy'),
]
