"""ddpm_sample returns its snapshots stacked into one [N, T_animation, C, H, W] tensor"""

PART = 'b'
ORIGIN = ("samplers following the course starter's docstring, which documents the second return value as "
          "'(N, T_animation, C, H, W) caches': the frames list stacked along dim 1")
IN = '_sample'
REPLACE = [
    ('    return x, frames', '    return x, torch.stack(frames, dim=1)'),
]
