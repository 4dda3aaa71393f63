"""the anagram averages the flipped branch's variance without flipping it back"""

PART = 'a'
ORIGIN = 'a real submission took the variance of the upside-down prediction as it came'
IN = 'make_flip_illusion'
TARGET = 'make_flip_illusion:'
SPEC_LINE = 'forgetting to flip the noise estimate back'
REPLACE = [
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     '        predicted_variance = (out_1[:, 3:] + out_2[:, 3:]) / 2'),
]
