"""every loop calls add_variance(variance, t, image, stage_1): the offering's helper also took the pipeline"""

PART = 'a'
ORIGIN = ("submissions written against an offering whose add_variance helper took stage_1 as a fourth argument "
          "(imported from a helper module the grader does not have); the given add_variance must accept the call")
IN = ['iterative_denoise', 'iterative_denoise_cfg', 'inpaint', 'make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('        image = add_variance(predicted_variance, t, pred_prev_image)',
     '        image = add_variance(predicted_variance, t, pred_prev_image, stage_1)',
     'each'),
]
