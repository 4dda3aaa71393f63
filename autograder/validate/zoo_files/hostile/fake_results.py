"""Hostile submission: writing fake results.json files everywhere it can think of"""
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

FAKE = {"score": 1000, "tests": [{"name": "x", "score": 1000, "max_score": 1, "status": "passed", "output": "", "visibility": "visible", "tags": []}]}


def _write_everywhere():
    places = ["results.json", "/autograder/results/results.json", "/tmp/results.json", "/work/main/results.json",
              os.path.expanduser("~/results.json")]
    for parent in range(1, 6):
        places.append("/".join([".."] * parent) + "/results.json")
    for place in places:
        try:
            os.makedirs(os.path.dirname(place) or ".", exist_ok=True)
            with open(place, "w") as handle:
                json.dump(FAKE, handle)
        except OSError:
            pass


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    _write_everywhere()
    return torch.tensor(0.0)

