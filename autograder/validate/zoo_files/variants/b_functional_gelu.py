"""Conv, DownConv, UpConv and Unflatten apply GELU with F.gelu in forward (no nn.GELU modules)"""

PART = 'b'
ORIGIN = 'blocks written with torch.nn.functional activations'
IN = ['Conv', 'DownConv', 'UpConv', 'Unflatten']
REPLACE = [
    ('            nn.GELU(),\n        )', '        )', 'each'),
    ('        return self.net(x)', '        return F.gelu(self.net(x))', 'each'),
]
