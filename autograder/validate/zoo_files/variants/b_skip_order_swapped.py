"""skip concatenations written decoder-first: cat([bottleneck, h2]), cat([up1, h1]), cat([up2, h0])"""

PART = 'b'
IN = 'UnconditionalUNet'
REPLACE = [
    ('return self.up1(torch.cat([h2, bottleneck], dim=1))',
     'return self.up1(torch.cat([bottleneck, h2], dim=1))'),
    ('up2 = self.up2(torch.cat([h1, up1], dim=1))',
     'up2 = self.up2(torch.cat([up1, h1], dim=1))'),
    ('return self.out_conv(self.out_block(torch.cat([h0, up2], dim=1)))',
     'return self.out_conv(self.out_block(torch.cat([up2, h0], dim=1)))'),
]
