"""iterative_denoise_cfg with two UNet calls per step (conditional, then unconditional)"""

PART = 'a'
IN = 'iterative_denoise_cfg'
REPLACE = [
    ('        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)\n        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)\n        cond_output, uncond_output = model_output.chunk(2)',
     '        uncond_output = stage_1.unet(image, t, encoder_hidden_states=uncond, return_dict=False)[0]\n        cond_output = stage_1.unet(image, t, encoder_hidden_states=cond, return_dict=False)[0]'),
]
