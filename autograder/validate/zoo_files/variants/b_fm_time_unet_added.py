"""A flow-matching TimeConditionalUNet that adds the time embeddings (the DDPM version's form)"""

PART = 'b_fm'
IN = 'TimeConditionalUNet'
REPLACE = [
    ('bottleneck = bottleneck * self.fc1_t(t)[:, :, None, None]', 'bottleneck = bottleneck + self.fc1_t(t)[:, :, None, None]'),
    ('up1 = self._up1(h2, bottleneck) * self.fc2_t(t)[:, :, None, None]', 'up1 = self._up1(h2, bottleneck) + self.fc2_t(t)[:, :, None, None]'),
]
