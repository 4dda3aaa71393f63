"""Hostile submission: code written only for a GPU (.cuda(), device="cuda", .half()) graded without one"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


device = "cuda"


def add_noise(x, sigma):
    x = x.cuda()
    return (x + sigma * torch.randn(x.shape, device="cuda")).to("cuda")

