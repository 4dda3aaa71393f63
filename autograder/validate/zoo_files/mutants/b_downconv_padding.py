"""DownConv without padding"""

PART = 'b'
IN = 'DownConv'
TARGET = 'DownConv:'
SPEC_LINE = 'wrong block kernel/stride/padding'
REPLACE = [
    ('nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1)',
     'nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=0)'),
]
