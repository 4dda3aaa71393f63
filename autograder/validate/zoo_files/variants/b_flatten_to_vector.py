"""Flatten returns [N, C] vectors (pool, GELU, flatten) and Unflatten reshapes them back to [N, C, 1, 1] first"""

PART = 'b'
ORIGIN = ('blocks that read "Flatten" literally: AvgPool2d(7) + GELU followed by a flatten to [N, C], with Unflatten '
          'viewing its input as [N, C, 1, 1] before the transposed convolution')
IN = ['Flatten', 'Unflatten']
REPLACE = [
    ('        """``[N, C, 7, 7] → [N, C, 1, 1]``."""\n        return self.net(x)',
     '        """``[N, C, 7, 7] → [N, C]``."""\n        return self.net(x).flatten(1)'),
    ('        """``[N, C, 1, 1] → [N, C, 7, 7]``."""\n        return self.net(x)',
     '        """``[N, C]`` (or ``[N, C, 1, 1]``) ``→ [N, C, 7, 7]``."""\n        return self.net(x.reshape(x.shape[0], -1, 1, 1))'),
]
