"""UpConv with kernel 3 (the output is 2H − 1)"""

PART = 'b'
IN = 'UpConv'
TARGET = 'UpConv:'
SPEC_LINE = 'wrong block kernel/stride/padding'
REPLACE = [
    ('nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)',
     'nn.ConvTranspose2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1, output_padding=1)'),
]
