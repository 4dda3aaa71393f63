"""inpaint ends with the starter's clean = image.cpu().detach().numpy()"""

PART = 'a'
ORIGIN = 'the course starter notebook: inpaint returns numpy [B, 3, H, W] in [-1, 1]'
IN = 'inpaint'
REPLACE = [
    ('forward(original_image, prev_t)\n    return image',
     'forward(original_image, prev_t)\n    clean = image.cpu().detach().numpy()\n    return clean'),
]
