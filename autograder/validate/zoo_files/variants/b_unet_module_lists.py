"""UnconditionalUNet keeps its encoder and decoder blocks in nn.ModuleLists and loops over them"""

PART = 'b'
ORIGIN = 'UNets written with self.downs = nn.ModuleList([...]) / self.ups = nn.ModuleList([...]) and a skip stack'
IN = 'UnconditionalUNet'
REPLACE = [
    ('        self.down1 = DownBlock(d, d)\n        self.down2 = DownBlock(d, 2 * d)\n',
     '        self.downs = nn.ModuleList([DownBlock(d, d), DownBlock(d, 2 * d)])\n'),
    ('        self.up1 = UpBlock(4 * d, d)\n        self.up2 = UpBlock(2 * d, d)\n',
     '        self.ups = nn.ModuleList([UpBlock(4 * d, d), UpBlock(2 * d, d)])\n'),
    ('        h1 = self.down1(h0)\n        h2 = self.down2(h1)\n',
     '        skips = [h0]\n        for down in self.downs:\n            skips.append(down(skips[-1]))\n        h1, h2 = skips[1], skips[2]\n'),
    ('        return self.up1(torch.cat([h2, bottleneck], dim=1))', '        return self.ups[0](torch.cat([h2, bottleneck], dim=1))'),
    ('        up2 = self.up2(torch.cat([h1, up1], dim=1))', '        up2 = self.ups[1](torch.cat([h1, up1], dim=1))'),
]
