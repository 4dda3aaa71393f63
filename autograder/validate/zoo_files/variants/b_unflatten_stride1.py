"""Unflatten as ConvTranspose2d(C, C, 7) with the default stride 1: on a 1 × 1 map it equals stride 7"""

PART = 'b'
ORIGIN = 'Unflatten written without stride=7 (the output is 7 × 7 either way)'
IN = 'Unflatten'
REPLACE = [
    ('nn.ConvTranspose2d(in_channels, in_channels, kernel_size=7, stride=7, padding=0)', 'nn.ConvTranspose2d(in_channels, in_channels, 7)'),
]
