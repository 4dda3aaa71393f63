"""ClassConditionalUNet takes class indices only and one-hot encodes them with F.one_hot"""

PART = 'b'
ORIGIN = 'class-conditioned UNets calling F.one_hot(c, 10) inside forward'
IN = 'ClassConditionalUNet'
REPLACE = [
    ('        c = one_hot(c, self.num_classes, like=x)\n', '        c = F.one_hot(c, self.num_classes).to(x.dtype)\n'),
]
