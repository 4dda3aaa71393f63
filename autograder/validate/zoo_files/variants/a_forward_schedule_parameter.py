"""forward(im, t, alphas_cumprod): the schedule as a required third parameter"""

PART = 'a'
ORIGIN = 'forward written with the schedule passed in rather than read from stage_1'
IN = 'forward'
REPLACE = [
    ('def forward(im: torch.Tensor, t: int) -> torch.Tensor:', 'def forward(im, t, alphas_cumprod):'),
    ('    alpha_cumprod = stage_1.scheduler.alphas_cumprod[t]\n    noise = torch.randn_like(im)',
     '    alpha_cumprod = alphas_cumprod[t]\n    noise = torch.randn_like(im)'),
]
