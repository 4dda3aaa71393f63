"""Hostile submission: an infinite loop in ddpm_sample (the group must time out, the rest be graded)"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


def ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
    while True:
        pass

