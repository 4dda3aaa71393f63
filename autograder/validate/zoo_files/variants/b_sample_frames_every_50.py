"""ddpm_sample keeps a GIF frame every 50 steps (6 frames at the assignment's T = 300, none at the grader's T = 30)"""

PART = 'b'
ORIGIN = 'samplers that collect snapshots with `if t % 50 == 0: frames.append(...)`, sized for T = 300'
IN = '_sample'
REPLACE = [
    ('    frames = [x.cpu()]', '    frames = []'),
    ('            if (num_ts - t + 1) % frame_every == 0 or t == 1:', '            if t % 50 == 0:'),
]
