"""CFG on the velocity as u_c + γ (u_c − u_u), i.e. (1 + γ) u_c − γ u_u with the course's γ = 5"""

PART = 'b_fm'
ORIGIN = 'guidance in the (1 + w) convention, as real CFG code writes it, with the course\'s γ passed as w'
IN = 'class_fm_sample'
TARGET = 'class_fm_sample:'
SPEC_LINE = "guidance written as `(1 + γ) ε_c − γ ε_u` with the course's `γ`"
REPLACE = [
    ('return u_u + guidance_scale * (u_c - u_u)', 'return u_c + guidance_scale * (u_c - u_u)'),
]
