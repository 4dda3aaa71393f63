"""make_hybrids with the course's signature: no kernel_size/sigma parameters, the 33-tap σ = 2 blur hard-coded"""

PART = 'a'
ORIGIN = 'the course starter defines make_hybrids without blur parameters; students hard-code 33 and 2'
IN = 'make_hybrids'
REPLACE = [
    ('timesteps: list[int], scale: float = 7, kernel_size: int = 33,\n                 sigma: float = 2, display: bool = False)',
     'timesteps: list[int], scale: float = 7, display: bool = False)'),
    ('    if kernel_size // 2 >= image.shape[-1]:', '    kernel_size, sigma = 33, 2\n    if kernel_size // 2 >= image.shape[-1]:'),
]
