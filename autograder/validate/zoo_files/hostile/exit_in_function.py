"""Hostile submission: os._exit(0) and sys.exit inside functions"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import os
import sys


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    os._exit(0)


def ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
    sys.exit(0)

