"""Flatten without its GELU"""

PART = 'b'
IN = 'Flatten'
TARGET = 'Flatten:'
SPEC_LINE = 'missing BatchNorm or GELU'
REPLACE = [
    ('self.net = nn.Sequential(nn.AvgPool2d(kernel_size=7), nn.GELU())',
     'self.net = nn.Sequential(nn.AvgPool2d(kernel_size=7))'),
]
