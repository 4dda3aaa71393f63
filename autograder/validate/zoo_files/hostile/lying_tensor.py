"""Hostile submission: returning a tensor subclass whose __eq__ and __torch_function__ lie"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


class Liar(torch.Tensor):
    def __eq__(self, other):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        result = super().__torch_function__(func, types, args, kwargs or {})
        if func.__name__ in ("allclose", "equal"):
            return True
        return result


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    return torch.zeros(()).as_subclass(Liar)


def ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40):
    return torch.zeros(num_samples, 1, *img_wh).as_subclass(Liar), []

