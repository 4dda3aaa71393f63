"""the UNet's output layer is a Conv block (Conv2d → BatchNorm → GELU) instead of a plain Conv2d"""

PART = 'b'
ORIGIN = "UNets ending in Conv(num_hiddens, in_channels), whose GELU cannot output the negative half of the noise"
IN = 'UnconditionalUNet'
TARGET = 'UnconditionalUNet:'
SPEC_LINE = 'the UNet\'s last layer a `Conv` block (with BatchNorm and GELU) instead of a plain `Conv2d`'
REPLACE = [
    ('        self.out_conv = nn.Conv2d(d, in_channels, kernel_size=3, stride=1, padding=1)',
     '        self.out_conv = Conv(d, in_channels)'),
]
