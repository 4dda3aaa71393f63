"""Hostile submission: printing 200 MB to stdout (the honest functions still count)"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import sys


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    line = "x" * 1_000_000
    for _ in range(200):
        print(line)
        sys.stderr.write(line)
    return torch.tensor(0.0)

