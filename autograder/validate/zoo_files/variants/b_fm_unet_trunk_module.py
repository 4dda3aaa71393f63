"""the conditional UNets built around one shared trunk module (encoder, bottleneck, decoder and head in a submodule with
encode/decode methods), the conditioning FC blocks registered after it; the time UNet scales both injection points"""

PART = 'b_fm'
ORIGIN = ("a public flow-matching submission composes both conditional UNets from a private backbone module "
          "(parameters named backbone.*, registered before fc1_t…fc2_c) instead of repeating the layers")
IN = ['TimeConditionalUNet', 'ClassConditionalUNet']
REPLACE = []
APPEND = '''
class Trunk(nn.Module):
    def __init__(self, in_channels, D):
        super().__init__()
        self.conv_in = ConvBlock(in_channels, D)
        self.down1 = DownBlock(D, D)
        self.down2 = DownBlock(D, 2 * D)
        self.flatten = Flatten()
        self.unflatten = Unflatten(2 * D)
        self.up1 = UpBlock(4 * D, D)
        self.up2 = UpBlock(2 * D, D)
        self.head = nn.Sequential(ConvBlock(2 * D, D), nn.Conv2d(D, in_channels, 3, 1, 1))

    def encode(self, x):
        a = self.conv_in(x)
        b = self.down1(a)
        c = self.down2(b)
        return a, b, c, self.unflatten(self.flatten(c))

    def decode(self, a, b, c, z, scale2):
        u1 = self.up1(torch.cat((c, z), dim=1)) * scale2
        u2 = self.up2(torch.cat((b, u1), dim=1))
        return self.head(torch.cat((a, u2), dim=1))


class TimeConditionalUNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, num_hiddens=64):
        super().__init__()
        self.trunk = Trunk(in_channels, num_hiddens)
        self.fc1_t = FCBlock(1, 2 * num_hiddens)
        self.fc2_t = FCBlock(1, num_hiddens)

    def forward(self, x, t):
        t = t.float().reshape(-1, 1)
        a, b, c, z = self.trunk.encode(x)
        return self.trunk.decode(a, b, c, z * self.fc1_t(t)[..., None, None], self.fc2_t(t)[..., None, None])


class ClassConditionalUNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, num_hiddens=64):
        super().__init__()
        self.num_classes = num_classes
        self.trunk = Trunk(in_channels, num_hiddens)
        self.fc1_t = FCBlock(1, 2 * num_hiddens)
        self.fc2_t = FCBlock(1, num_hiddens)
        self.fc1_c = FCBlock(num_classes, 2 * num_hiddens)
        self.fc2_c = FCBlock(num_classes, num_hiddens)

    def forward(self, x, c, t, mask=None):
        t = t.float().reshape(-1, 1)
        oh = F.one_hot(c.long(), self.num_classes).float()
        if mask is not None:
            oh = oh * mask.float().reshape(-1, 1)
        a, b, cc, z = self.trunk.encode(x)
        z = self.fc1_c(oh)[..., None, None] * z + self.fc1_t(t)[..., None, None]
        u1 = self.fc2_c(oh)[..., None, None] * self.trunk.up1(torch.cat((cc, z), dim=1)) + self.fc2_t(t)[..., None, None]
        u2 = self.trunk.up2(torch.cat((b, u1), dim=1))
        return self.trunk.head(torch.cat((a, u2), dim=1))
'''
