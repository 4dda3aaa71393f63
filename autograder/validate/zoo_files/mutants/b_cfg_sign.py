"""CFG with the wrong sign"""

PART = 'b'
IN = 'ddpm_sample_cond'
TARGET = 'ddpm_sample_cond:'
SPEC_LINE = 'sign errors in CFG'
REPLACE = [
    ('return eps_u + guidance_scale * (eps_c - eps_u)',
     'return eps_u - guidance_scale * (eps_c - eps_u)'),
]
