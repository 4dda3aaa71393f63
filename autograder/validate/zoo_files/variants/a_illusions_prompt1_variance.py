"""the anagram and the hybrid pass prompt 1's conditional variance to add_variance, not the mean of both"""

PART = 'a'
ORIGIN = ("several submissions keep the variance of the first (upright / low-pass) prompt's conditional prediction "
          "and drop the second's; the course leaves the illusions' variance open")
IN = ['make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     '        predicted_variance = out_1[:, 3:]'),
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:]) / 2',
     '        predicted_variance = out_1[:, 3:]'),
]
