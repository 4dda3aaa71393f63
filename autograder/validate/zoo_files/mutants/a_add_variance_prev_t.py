"""add_variance is given t' (the next timestep) instead of t"""

PART = 'a'
ORIGIN = "a slip seen in students' loops: the variance looked up at the step being moved to"
IN = 'iterative_denoise'
TARGET = 'iterative_denoise:'
SPEC_LINE = "`add_variance` given `t'` instead of `t`"
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)', '        image = add_variance(predicted_variance, prev_t, pred_prev_image)'),
]
