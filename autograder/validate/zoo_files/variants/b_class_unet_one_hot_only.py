"""ClassConditionalUNet expects one-hot classes (the caller encodes them); indices raise"""

PART = 'b'
ORIGIN = 'class-conditioned UNets whose training loop builds the one-hot vector before the call'
IN = 'ClassConditionalUNet'
REPLACE = [
    ('        c = one_hot(c, self.num_classes, like=x)\n', '        c = c.to(x.dtype)\n'),
]
