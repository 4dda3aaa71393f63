"""FCBlock with ReLU in place of GELU"""

PART = 'b'
IN = 'FCBlock'
TARGET = 'FCBlock:'
SPEC_LINE = 'missing BatchNorm or GELU'
REPLACE = [
    ('nn.Linear(in_channels, out_channels), nn.GELU(), nn.Linear(out_channels, out_channels)',
     'nn.Linear(in_channels, out_channels), nn.ReLU(), nn.Linear(out_channels, out_channels)'),
]
