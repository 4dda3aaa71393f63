"""Unflatten takes (in_channels, out_channels) like the other blocks; the UNet passes the same number twice"""

PART = 'b'
ORIGIN = ('Unflatten written with the other blocks\' (in_channels, out_channels) constructor, '
          'built as Unflatten(2 * num_hiddens, 2 * num_hiddens)')
IN = ['Unflatten', 'UnconditionalUNet']
REPLACE = [
    ('    def __init__(self, in_channels: int):\n        super().__init__()\n        self.net = nn.Sequential(\n'
     '            nn.ConvTranspose2d(in_channels, in_channels, kernel_size=7, stride=7, padding=0),\n'
     '            nn.BatchNorm2d(in_channels),',
     '    def __init__(self, in_channels: int, out_channels: int):\n        super().__init__()\n        self.net = nn.Sequential(\n'
     '            nn.ConvTranspose2d(in_channels, out_channels, kernel_size=7, stride=7, padding=0),\n'
     '            nn.BatchNorm2d(out_channels),'),
    ('        self.unflatten = Unflatten(2 * d)', '        self.unflatten = Unflatten(2 * d, 2 * d)'),
]
