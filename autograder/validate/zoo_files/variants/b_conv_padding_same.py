"""Conv's 3×3 convolution written with padding='same'"""

PART = 'b'
ORIGIN = "stride-1 convolutions written nn.Conv2d(in, out, 3, padding='same') (equal to padding=1 for a 3×3 kernel)"
IN = 'Conv'
REPLACE = [
    ('nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)',
     "nn.Conv2d(in_channels, out_channels, 3, padding='same')"),
]
