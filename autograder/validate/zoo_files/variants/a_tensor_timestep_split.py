"""the UNet gets t as a tensor on the device; ε̂ and the variance split with torch.split"""

PART = 'a'
ORIGIN = 'loops calling the UNet with torch.tensor([t]) and splitting its 6 channels with torch.split'
IN = 'iterative_denoise'
REPLACE = [
    ('model_output = stage_1.unet(image.to(stage_1.unet.dtype), t, encoder_hidden_states=embeds, return_dict=False)[0]\n'
     '        noise_est, predicted_variance = model_output[:, :3].to(image.dtype), model_output[:, 3:].to(image.dtype)',
     'model_output = stage_1.unet(image.half().to(device), torch.tensor([t], device=device), encoder_hidden_states=embeds.half(), return_dict=False)[0]\n'
     '        noise_est, predicted_variance = torch.split(model_output.to(image.dtype), image.shape[1], dim=1)'),
]
