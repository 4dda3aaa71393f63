"""Conv's convolution without a bias (BatchNorm right after it cancels any bias)"""

PART = 'b'
ORIGIN = 'blocks with bias=False before BatchNorm, as many PyTorch examples write them'
IN = 'Conv'
REPLACE = [
    ('nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)',
     'nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)'),
]
