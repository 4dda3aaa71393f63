"""Flow-matching target with its sign flipped: x_0 − x_1 (noise minus data) while x_t runs from noise at t = 0"""

PART = 'b_fm'
IN = '_interpolate_at_random_times'
TARGET = 'time_fm_forward:'
SPEC_LINE = 'flow-matching target sign flipped'
REPLACE = [
    ('return (1 - t_img) * x_0 + t_img * x_1, t, x_1 - x_0', 'return (1 - t_img) * x_0 + t_img * x_1, t, x_0 - x_1'),
]
