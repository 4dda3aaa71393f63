"""inpainting starts from noise only inside the mask and the clean original outside it"""

PART = 'a'
ORIGIN = 'a real submission initialised the loop with the original image where it is kept'
IN = 'inpaint'
TARGET = 'inpaint:'
SPEC_LINE = 'inpainting started from the original image instead of pure noise'
REPLACE = [
    ('    image = torch.randn_like(original_image)\n', '    image = m * torch.randn_like(original_image) + (1 - m) * original_image\n'),
]
