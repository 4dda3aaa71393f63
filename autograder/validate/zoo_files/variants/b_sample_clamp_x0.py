"""ddpm_sample clamps the estimate x̂_0 to [-1, 1] before the update"""

PART = 'b'
ORIGIN = ("samplers that clip x̂_0 to [-1, 1] as the DDPM authors' code (clip_denoised) and diffusers' scheduler do; "
          'MNIST in [0, 1] lies inside that range')
IN = '_sample'
REPLACE = [
    ('            x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()\n',
     '            x0_hat = ((x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()).clamp(-1.0, 1.0)\n'),
]
