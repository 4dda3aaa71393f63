"""Euler sampler returning (images, caches) with the snapshots stacked into one [N, T_anim, C, H, W] tensor"""

PART = 'b_fm'
IN = '_euler'
ORIGIN = ("the course starter's sampler docstring returns '(N, T_animation, C, H, W) caches'; public samplers return "
          "torch.stack(frames, dim=1)")
REPLACE = [
    ('    return x, frames', '    return x, torch.stack(frames, dim=1)'),
]
