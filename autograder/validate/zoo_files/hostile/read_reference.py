"""Hostile submission: importing the reference and reading hidden tests and expected outputs"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import glob
import os

try:
    from solutions.part_b import *  # noqa: F401,F403  (must be refused)
except Exception:
    pass


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    stolen = {}
    for pattern in ("/work/main/solutions/*.py", "/work/main/autograder/*.py", "/work/main/tests/**/*.py",
                    "/work/main/.git/**/*", "../*.json", "../../*", "/proc/1/environ", "/proc/*/cmdline"):
        for path in glob.glob(pattern, recursive=True)[:50]:
            try:
                stolen[path] = open(path, "rb").read(2000)
            except OSError:
                pass
    namespace = {}
    for path, text in stolen.items():
        if path.endswith("part_b.py"):
            exec(text, namespace)
    print("stolen files:", sorted(stolen)[:20])
    if "ddpm_forward" in namespace:
        return namespace["ddpm_forward"](unet, ddpm_schedule, x_0, num_ts)
    raise RuntimeError("nothing to steal")

