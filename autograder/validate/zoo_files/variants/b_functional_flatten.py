"""Flatten as F.gelu(F.avg_pool2d(x, 7)), no modules"""

PART = 'b'
ORIGIN = 'Flatten written with functional pooling and activation'
IN = 'Flatten'
REPLACE = [
    ('        self.net = nn.Sequential(nn.AvgPool2d(kernel_size=7), nn.GELU())', '        pass'),
    ('        return self.net(x)', '        return F.gelu(F.avg_pool2d(x, 7))'),
]
