"""ddpm_schedule built with numpy (float64 arrays); the DDPM functions convert what they read with torch.as_tensor"""

PART = 'b'
ORIGIN = "schedules written with np.linspace / np.cumprod, read back through torch.Tensor(...) in the student's loops"
IN = ['ddpm_schedule', '_noise_at_random_times', '_sample']
REPLACE = [
    ('    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)\n    alphas = 1.0 - betas\n'
     '    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, dim=0)}',
     '    import numpy as np\n    betas = np.linspace(beta1, beta2, num_ts)\n    alphas = 1.0 - betas\n'
     '    return {"betas": betas, "alphas": alphas, "alpha_bars": np.cumprod(alphas)}'),
    ('    alpha_bars = schedule["alpha_bars"].to(x_0.device, x_0.dtype)',
     '    alpha_bars = torch.as_tensor(schedule["alpha_bars"]).to(x_0.device, x_0.dtype)'),
    ('    betas = schedule["betas"].to(device, torch.float32)\n    alphas = schedule["alphas"].to(device, torch.float32)\n'
     '    alpha_bars = schedule["alpha_bars"].to(device, torch.float32)',
     '    betas = torch.as_tensor(schedule["betas"]).to(device, torch.float32)\n'
     '    alphas = torch.as_tensor(schedule["alphas"]).to(device, torch.float32)\n'
     '    alpha_bars = torch.as_tensor(schedule["alpha_bars"]).to(device, torch.float32)'),
]
