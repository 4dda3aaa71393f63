"""ddpm_sample adds noise with the posterior variance β̃_t = (1 − ᾱ_(t−1))/(1 − ᾱ_t)·β_t instead of β_t"""

PART = 'b'
ORIGIN = ('samplers using σ_t² = β̃_t, the DDPM paper\'s other choice of variance ("both had similar results"), '
          'written in the noise-subtraction form')
IN = '_sample'
REPLACE = [
    ('                + beta_t.sqrt() * z\n', '                + ((1 - ab_prev) / (1 - ab_t) * beta_t).sqrt() * z\n'),
]
