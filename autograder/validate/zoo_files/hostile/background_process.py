"""Hostile submission: spawning daemons that outlive the test and try to write results later"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import os
import subprocess


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    subprocess.Popen(["sleep", "1000"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import time
            time.sleep(20)
            open("/tmp/fundiff-daemon-was-here", "w").write("late")
            os._exit(0)
        os._exit(0)
    return torch.tensor(0.0)

