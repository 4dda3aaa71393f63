"""ddpm_schedule takes an extra device parameter defaulting to "cuda" and builds the schedule there"""

PART = 'b'
ORIGIN = "schedules written def ddpm_schedule(beta1, beta2, num_ts, device='cuda') with torch.linspace(..., device=device)"
IN = 'ddpm_schedule'
REPLACE = [
    ('def ddpm_schedule(beta1: float, beta2: float, num_ts: int) -> dict[str, torch.Tensor]:',
     'def ddpm_schedule(beta1: float, beta2: float, num_ts: int, device: str = "cuda") -> dict[str, torch.Tensor]:'),
    ('    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)',
     '    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32, device=device)'),
]
