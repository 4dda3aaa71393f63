"""DDPM keeps its schedule as a plain dict attribute (no buffers) built in __init__"""

PART = 'b'
ORIGIN = "the course starter's DDPM: self.ddpm_schedule = ddpm_schedule(betas[0], betas[1], num_ts) in __init__"
IN = 'DDPM'
REPLACE = [
    ('        for name, value in ddpm_schedule(betas[0], betas[1], num_ts).items():\n'
     '            self.register_buffer(name, value, persistent=False)\n\n'
     '    @property\n    def ddpm_schedule(self) -> dict[str, torch.Tensor]:\n'
     '        """The schedule dict (``betas``, ``alphas``, ``alpha_bars``) on the module\'s device."""\n'
     '        return {"betas": self.betas, "alphas": self.alphas, "alpha_bars": self.alpha_bars}\n',
     '        self.ddpm_schedule = ddpm_schedule(betas[0], betas[1], num_ts)\n'),
]
