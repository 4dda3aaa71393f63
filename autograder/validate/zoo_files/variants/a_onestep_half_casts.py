"""one_step_denoise with the course notebook's .half() / .to(device) casts"""

PART = 'a'
IN = 'one_step_denoise'
REPLACE = [
    ('model_output = stage_1.unet(im_noisy.to(stage_1.unet.dtype), t, encoder_hidden_states=embeds, return_dict=False)[0]',
     'model_output = stage_1.unet(im_noisy.half().to(device), t, encoder_hidden_states=embeds.half().to(device), return_dict=False)[0]'),
]
