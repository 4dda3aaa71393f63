"""TimeConditionalUNet never injects fc2_t(t)"""

PART = 'b'
IN = 'TimeConditionalUNet'
TARGET = 'TimeConditionalUNet: layers'
SPEC_LINE = 'a skip connection or a conditioning injection left out'
REPLACE = [
    ('up1 = self._up1(h2, bottleneck) + self.fc2_t(t)[:, :, None, None]',
     'up1 = self._up1(h2, bottleneck)'),
]
