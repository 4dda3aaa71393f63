"""UnconditionalUNet re-initialises its convolutions with Kaiming-normal weights and zero biases"""

PART = 'b'
ORIGIN = 'UNets that call self.apply(init_fn) with nn.init.kaiming_normal_ on every Conv2d/ConvTranspose2d'
IN = 'UnconditionalUNet'
REPLACE = [
    ('        self.out_conv = nn.Conv2d(d, in_channels, kernel_size=3, stride=1, padding=1)\n',
     '        self.out_conv = nn.Conv2d(d, in_channels, kernel_size=3, stride=1, padding=1)\n'
     '        for module in self.modules():\n'
     '            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):\n'
     '                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")\n'
     '                nn.init.zeros_(module.bias)\n'),
]
