"""Hostile submission: sys.exit in a class body at import (must cost nothing else)"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import sys


class Quit:
    sys.exit("bye")

