"""CFG with ε_c and ε_u swapped"""

PART = 'b'
IN = 'ddpm_sample_cond'
TARGET = 'ddpm_sample_cond:'
SPEC_LINE = 'CFG formula with `ε_c` and `ε_u` swapped'
REPLACE = [
    ('return eps_u + guidance_scale * (eps_c - eps_u)',
     'return eps_c + guidance_scale * (eps_u - eps_c)'),
]
