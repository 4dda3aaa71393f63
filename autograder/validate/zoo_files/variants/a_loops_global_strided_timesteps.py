"""the loops read the given global strided_timesteps instead of their timesteps parameter (the same list in every
call the course makes)"""

PART = 'a'
ORIGIN = ("notebooks whose loops index the setup cell's strided_timesteps directly; the notebook always passes that "
          "list as timesteps, so the behaviour on the assignment's inputs is the same")
IN = ['iterative_denoise', 'iterative_denoise_cfg', 'inpaint']
REPLACE = [
    ('    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise"):',
     '    for i in tqdm(range(i_start, len(strided_timesteps) - 1), disable=not display, desc="iterative_denoise"):'),
    ('    for i in tqdm(range(i_start, len(timesteps) - 1), disable=not display, desc="iterative_denoise_cfg"):',
     '    for i in tqdm(range(i_start, len(strided_timesteps) - 1), disable=not display, desc="iterative_denoise_cfg"):'),
    ('    for i in tqdm(range(len(timesteps) - 1), disable=not display, desc="inpaint"):',
     '    for i in tqdm(range(len(strided_timesteps) - 1), disable=not display, desc="inpaint"):'),
    ('        t, prev_t = timesteps[i], timesteps[i + 1]', '        t, prev_t = strided_timesteps[i], strided_timesteps[i + 1]', 'each'),
]
