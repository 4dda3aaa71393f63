"""TimeConditionalUNet takes t only as [N, 1] (the FCBlocks get it as it comes)"""

PART = 'b'
ORIGIN = 'UNets whose notebooks always pass t as a column; [N] raises in the first Linear'
IN = 'TimeConditionalUNet'
REPLACE = [
    ('        t = _as_time_column(t, x)\n        h0, h1, h2, bottleneck = self._encode(x)\n        bottleneck = bottleneck + self.fc1_t(t)',
     '        t = t.to(x.dtype)\n        h0, h1, h2, bottleneck = self._encode(x)\n        bottleneck = bottleneck + self.fc1_t(t)'),
]
