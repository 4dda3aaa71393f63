"""Hostile submission: leaves a file in /tmp and snoops /tmp and the sandboxes' folder for others' files"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import json
import os


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    found = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/var/lib/fundiff-grade"):
        try:
            found += [os.path.join(folder, name) for name in os.listdir(folder)]
        except OSError:
            pass
    with open("/tmp/fundiff-tmp-left-behind", "w") as handle:
        handle.write("\n".join(found))
    raise RuntimeError("saw " + json.dumps(found))
