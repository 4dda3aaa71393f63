"""Conv written as an nn.Sequential subclass (no forward of its own)"""

PART = 'b'
ORIGIN = 'blocks declared as class Conv(nn.Sequential) whose __init__ passes the three layers to super().__init__'
IN = 'Conv'
REPLACE = [
    ('class Conv(nn.Module):', 'class Conv(nn.Sequential):'),
    ('        super().__init__()\n        self.net = nn.Sequential(\n'
     '            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),\n'
     '            nn.BatchNorm2d(out_channels),\n            nn.GELU(),\n        )\n\n'
     '    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        """``[N, in, H, W] → [N, out, H, W]``."""\n'
     '        return self.net(x)',
     '        super().__init__(\n'
     '            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),\n'
     '            nn.BatchNorm2d(out_channels),\n            nn.GELU(),\n        )'),
]
