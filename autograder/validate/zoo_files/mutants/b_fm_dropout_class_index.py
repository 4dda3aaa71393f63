"""class dropout that multiplies the class indices by the keep-mask, so a dropped class becomes digit 0"""

PART = 'b_fm'
ORIGIN = "a public write-up's class_fm_forward: mask = (rand_like(labels.float()) > p).float(); c = labels * mask"
IN = 'class_fm_forward'
TARGET = 'class_fm_forward: the class is dropped'
SPEC_LINE = 'class dropout that zeroes the class index (digit 0) instead of the one-hot vector'
REPLACE = [
    ('    return F.mse_loss(unet(x_t, c, t, keep), target)',
     '    return F.mse_loss(unet(x_t, (c * keep).long(), t), target)'),
]
