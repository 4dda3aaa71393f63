"""the anagram applies CFG to the whole UNet output, so the variance passed on is guided too"""

PART = 'a'
ORIGIN = ("a pattern read in submissions: guidance computed on the full 6-channel output, then split, so "
          "add_variance receives ṽ_u + γ(ṽ_c − ṽ_u) instead of a conditional prediction's variance")
IN = 'make_flip_illusion'
TARGET = 'make_flip_illusion:'
SPEC_LINE = 'guidance applied to the variance'
REPLACE = [
    ('        predicted_variance = (out_1[:, 3:] + out_2[:, 3:].flip(2)) / 2',
     '        predicted_variance = out_u1[:, 3:] + scale * (out_1[:, 3:] - out_u1[:, 3:])'),
]
