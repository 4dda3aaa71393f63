"""the samplers and DDPM.sample run under @torch.inference_mode() instead of @torch.no_grad()"""

PART = 'b'
ORIGIN = "the course starter's decorator on ddpm_sample and DDPM.sample: @torch.inference_mode()"
IN = ['ddpm_sample', 'ddpm_sample_cond', 'DDPM']
REPLACE = [
    ('@torch.no_grad()\ndef ddpm_sample(', '@torch.inference_mode()\ndef ddpm_sample('),
    ('@torch.no_grad()\ndef ddpm_sample_cond(', '@torch.inference_mode()\ndef ddpm_sample_cond('),
    ('    @torch.no_grad()\n    def sample(', '    @torch.inference_mode()\n    def sample('),
]
