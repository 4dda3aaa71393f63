"""Conv without its BatchNorm"""

PART = 'b'
IN = 'Conv'
TARGET = 'Conv:'
SPEC_LINE = 'missing BatchNorm or GELU'
REPLACE = [
    ('            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),\n            nn.BatchNorm2d(out_channels),',
     '            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),'),
]
