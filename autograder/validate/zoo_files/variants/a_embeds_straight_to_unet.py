"""one_step_denoise and the CFG loop pass the [1, tokens, width] embeddings straight to the UNet (one image, as in the course)"""

PART = 'a'
ORIGIN = 'course-style code written for one 64 × 64 test image: the embeddings are never expanded to the batch'
IN = ['one_step_denoise', 'iterative_denoise_cfg']
REPLACE = [
    ('model_output = stage_1.unet(im_noisy.to(stage_1.unet.dtype), t, encoder_hidden_states=embeds, return_dict=False)[0]',
     'model_output = stage_1.unet(im_noisy, t, encoder_hidden_states=prompt_embeds, return_dict=False)[0]'),
    ('        model_in = torch.cat([image, image]).to(stage_1.unet.dtype)\n        model_output = stage_1.unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0].to(image.dtype)\n        cond_output, uncond_output = model_output.chunk(2)',
     '        cond_output = stage_1.unet(image, t, encoder_hidden_states=prompt_embeds, return_dict=False)[0]\n        uncond_output = stage_1.unet(image, t, encoder_hidden_states=uncond_prompt_embeds, return_dict=False)[0]'),
]
