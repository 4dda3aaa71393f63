"""the anagram's variance is overwritten by the upside-down call's, which is never flipped back"""

PART = 'a'
ORIGIN = ("a slip read in write-ups: both UNet outputs are split into `noise_est, predicted_variance`, so the second "
          "(flipped) call's variance replaces the first's and reaches add_variance upside down")
IN = 'make_flip_illusion'
TARGET = 'make_flip_illusion:'
SPEC_LINE = 'forgetting to flip the noise estimate back'
REPLACE = [
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     '        predicted_variance = out_2[:, 3:]'),
]
