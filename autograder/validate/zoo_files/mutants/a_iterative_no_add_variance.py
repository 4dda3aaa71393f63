"""add_variance skipped: the posterior mean is used as is"""

PART = 'a'
IN = 'iterative_denoise'
TARGET = 'iterative_denoise:'
SPEC_LINE = '`add_variance` skipped'
REPLACE = [
    ('image = add_variance(predicted_variance, t, pred_prev_image)',
     'image = pred_prev_image'),
]
