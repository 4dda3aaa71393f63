"""Conv and FCBlock carry an nn.Dropout layer with p = 0 (kept from an experiment, a no-op)"""

PART = 'b'
ORIGIN = 'blocks with a regularisation hook left at nn.Dropout(p=0.0) after the activation'
IN = ['Conv', 'FCBlock']
REPLACE = [
    ('            nn.BatchNorm2d(out_channels),\n            nn.GELU(),\n        )',
     '            nn.BatchNorm2d(out_channels),\n            nn.GELU(),\n            nn.Dropout(p=0.0),\n        )'),
    ('nn.Linear(in_channels, out_channels), nn.GELU(), nn.Linear(out_channels, out_channels)',
     'nn.Linear(in_channels, out_channels), nn.GELU(), nn.Dropout(0.0), nn.Linear(out_channels, out_channels)'),
]
