"""ddpm_sample keeps its GIF snapshots as numpy arrays on the CPU"""

PART = 'b'
ORIGIN = 'samplers that store each snapshot as x.detach().cpu().numpy() for imageio/matplotlib'
IN = '_sample'
REPLACE = [
    ('    frames = [x.cpu()]', '    frames = [x.detach().cpu().numpy()]'),
    ('                frames.append(x.cpu())', '                frames.append(x.detach().cpu().numpy())'),
]
