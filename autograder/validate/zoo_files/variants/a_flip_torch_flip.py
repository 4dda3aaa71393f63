"""make_flip_illusion with torch.flip(x, [2]) and torchvision vflip"""

PART = 'a'
IN = 'make_flip_illusion'
REPLACE = [
    ('flipped = image.flip(2)',
     'flipped = torch.flip(image, [2])'),
    ('noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(2)',
     'noise_2 = TF.vflip(out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3]))'),
    ('predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     'predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(-2)) / 2'),
]
