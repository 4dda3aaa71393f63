"""TimeConditionalUNet takes t only as [N] and makes the column itself with t[:, None]"""

PART = 'b'
ORIGIN = 'UNets that unsqueeze t inside forward; a [N, 1] t breaks them'
IN = 'TimeConditionalUNet'
REPLACE = [
    ('        t = _as_time_column(t, x)\n        h0, h1, h2, bottleneck = self._encode(x)\n        bottleneck = bottleneck + self.fc1_t(t)',
     '        t = t.to(x.dtype)[:, None]\n        h0, h1, h2, bottleneck = self._encode(x)\n        bottleneck = bottleneck + self.fc1_t(t)'),
]
