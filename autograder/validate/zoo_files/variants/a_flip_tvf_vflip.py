"""the anagram flips with torchvision's vflip (rows reversed: upside down)"""

PART = 'a'
ORIGIN = 'anagrams written with torchvision.transforms.functional.vflip'
IN = 'make_flip_illusion'
REPLACE = [
    ('        flipped = image.flip(2)', '        flipped = TF.vflip(image)'),
    ('        noise_2 = (out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3])).flip(2)',
     '        noise_2 = TF.vflip(out_u2[:, :3] + scale * (out_2[:, :3] - out_u2[:, :3]))'),
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     '        predicted_variance = (out_1[:, 3:] + TF.vflip(out_2[:, 3:])) / 2'),
]
