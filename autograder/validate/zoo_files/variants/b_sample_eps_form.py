"""sampling written in the noise-subtraction form x_{t-1} = (x_t − β_t/sqrt(1−ᾱ_t) ε)/sqrt(α_t) + sqrt(β_t) z"""

PART = 'b'
ORIGIN = "samplers using the DDPM paper's Algorithm 2 line instead of the x̂_0 posterior-mean form (equal algebraically)"
IN = '_sample'
REPLACE = [
    ('            x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()\n            x = (\n'
     '                ab_prev.sqrt() * beta_t / (1 - ab_t) * x0_hat\n'
     '                + alpha_t.sqrt() * (1 - ab_prev) / (1 - ab_t) * x\n'
     '                + beta_t.sqrt() * z\n            )',
     '            x = (x - beta_t / (1 - ab_t).sqrt() * eps) / alpha_t.sqrt() + beta_t.sqrt() * z'),
]
