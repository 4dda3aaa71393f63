"""TimeConditionalUNet's constructor leaves out the unused num_classes: TimeConditionalUNet(in_channels, num_hiddens)"""

PART = 'b'
ORIGIN = 'time-conditioned UNets declared __init__(self, in_channels, num_hiddens), dropping the parameter they never use'
IN = 'TimeConditionalUNet'
REPLACE = [
    ('    def __init__(self, in_channels: int, num_classes: int, num_hiddens: int):\n        super().__init__(in_channels, num_hiddens)\n        self.num_classes = num_classes\n',
     '    def __init__(self, in_channels: int, num_hiddens: int):\n        super().__init__(in_channels, num_hiddens)\n'),
]
