"""one-hot classes built by hand with scatter_, dropout with torch.bernoulli"""

PART = 'b'
IN = 'one_hot'
REPLACE = [
    ('return F.one_hot(c.long(), num_classes).to(device=like.device, dtype=like.dtype)',
     'out = torch.zeros(c.shape[0], num_classes, device=like.device, dtype=like.dtype)\n    return out.scatter_(1, c.long().view(-1, 1).to(like.device), 1.0)'),
]
