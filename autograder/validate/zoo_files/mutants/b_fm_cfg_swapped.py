"""CFG on the velocity with the conditional and unconditional branches swapped"""

PART = 'b_fm'
IN = 'class_fm_sample'
TARGET = 'class_fm_sample:'
SPEC_LINE = 'CFG on the wrong velocity branch'
REPLACE = [
    ('return u_u + guidance_scale * (u_c - u_u)', 'return u_c + guidance_scale * (u_u - u_c)'),
]
