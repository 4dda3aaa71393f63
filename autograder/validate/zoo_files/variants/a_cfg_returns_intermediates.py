"""iterative_denoise_cfg returns (image, intermediates); sdedit unpacks it and returns the image"""

PART = 'a'
ORIGIN = ("submissions keeping every fifth image for the deliverable's progression figure: the CFG loop returns "
          "`(clean, intermediate_images)` and sdedit calls it as `clean, _ = iterative_denoise_cfg(...)`")
IN = ['iterative_denoise_cfg', 'sdedit']
REPLACE = [
    ('    image = im_noisy\n    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise_cfg"):',
     '    image = im_noisy\n    intermediate_images = []\n'
     '    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise_cfg"):\n'
     '        if (i - i_start) % 5 == 0:\n            intermediate_images.append(image.cpu().numpy())'),
    ('        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image',
     '        image = add_variance(predicted_variance, t, pred_prev_image)\n    return image, intermediate_images'),
    ('    return iterative_denoise_cfg(im_noisy, i_start, prompt_embeds, uncond_prompt_embeds, timesteps, scale=scale,\n'
     '                                 display=display)',
     '    clean, _ = iterative_denoise_cfg(im_noisy, i_start, prompt_embeds, uncond_prompt_embeds, timesteps, scale=scale,\n'
     '                                     display=display)\n    return clean'),
]
