"""ClassConditionalUNet adds t1 again where t2 belongs (a slip in one of the course's own write-ups)"""

PART = 'b'
IN = 'ClassConditionalUNet'
TARGET = 'ClassConditionalUNet: layers'
SPEC_LINE = 'a skip connection or a conditioning injection left out'
REPLACE = [
    ('up1 = self.fc2_c(c)[:, :, None, None] * self._up1(h2, bottleneck) + self.fc2_t(t)[:, :, None, None]',
     'up1 = self.fc2_c(c)[:, :, None, None] * self._up1(h2, bottleneck) + self.fc1_t(t)[:, :, None, None].mean(1, keepdim=True)'),
]
