"""the last skip connection concatenates the decoder map with itself"""

PART = 'b'
IN = 'UnconditionalUNet'
TARGET = 'UnconditionalUNet: output matches'
SPEC_LINE = 'a skip connection or a conditioning injection left out'
REPLACE = [
    ('return self.out_conv(self.out_block(torch.cat([h0, up2], dim=1)))',
     'return self.out_conv(self.out_block(torch.cat([up2, up2], dim=1)))'),
]
