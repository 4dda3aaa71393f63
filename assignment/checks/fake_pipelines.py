"""Fake Part A pipelines: an oracle IF UNet that knows each prompt's clean image, and :class:`_GivenNames`, which
swaps it (with a recording ``add_variance``) into the notebook's ``stage_1`` while a Part A check runs; plus the
test inputs and comparisons the Part A checks share."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .registry import _expect, _Skip

# ------------------------------------------------------------------------------------ Part A: given names

_SIZE, _TOKENS, _WIDTH = 16, 2, 8
_TIMESTEPS = list(range(990, -1, -30))


class _UNetOutput(tuple):
    """What ``unet(..., return_dict=False)`` gives (a tuple), also usable as ``.sample``."""

    @property
    def sample(self) -> torch.Tensor:
        return self[0]


class _OracleIFUNet(nn.Module):
    """A fake IF UNet: for each sample it returns the exact noise towards the target of its prompt (identified by
    the embedding's mean value), and a variance channel that says which prompt it came from (+id / 10)."""

    def __init__(self, alphas_cumprod: torch.Tensor, targets: dict[int, torch.Tensor]):
        super().__init__()
        self.alphas_cumprod, self.targets = alphas_cumprod, targets
        self.config = _Config(sample_size=_SIZE, encoder_hid_dim=_WIDTH, cross_attention_dim=_WIDTH, in_channels=3)
        self.anchor = nn.Parameter(torch.zeros(()))
        self.calls = 0

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def forward(self, sample, timestep, encoder_hidden_states=None, return_dict=True, **kwargs):
        self.calls += 1
        t = int(torch.as_tensor(timestep).reshape(-1)[0])
        ab = self.alphas_cumprod[t].double()
        ids = encoder_hidden_states.double().mean(dim=(1, 2)).round().long().tolist()
        target = torch.stack([self.targets[i] for i in ids]).double()
        eps = (sample.double() - ab.sqrt() * target) / (1 - ab).sqrt()
        variance = torch.stack([torch.full((3, _SIZE, _SIZE), i / 10) for i in ids]).double()
        out = torch.cat([eps, variance], dim=1).to(sample.dtype)
        return _UNetOutput((out,)) if not return_dict else _Output(out)


class _Output:
    def __init__(self, sample):
        self.sample = sample

    def __getitem__(self, index):
        return (self.sample,)[index]


class _Config(dict):
    def __getattr__(self, key):
        return self.get(key)


class _FakeStage1:
    def __init__(self, unet, alphas_cumprod):
        self.unet = unet
        self.scheduler = _Config(alphas_cumprod=alphas_cumprod)


class _GivenNames:
    """Temporarily replace the notebook's ``stage_1`` and ``add_variance`` with an oracle and a recording spy."""

    def __init__(self, ns: dict, targets: dict[int, torch.Tensor]):
        self.ns = ns
        self.alphas_cumprod = torch.linspace(1.0, 0.01, 1000)  # ᾱ_0 = 1: a loop ending at t = 0 lands exactly
        self.unet = _OracleIFUNet(self.alphas_cumprod, targets)
        self.variance_calls: list[tuple[int, torch.Tensor]] = []

    def add_variance(self, predicted_variance, t, image):
        self.variance_calls.append((int(t), predicted_variance.detach().clone()))
        return image

    def __enter__(self):
        missing = [name for name in ("stage_1", "add_variance") if name not in self.ns]
        if missing:
            raise _Skip(f"run the setup cell first (missing {missing})")
        self.saved = {name: self.ns.get(name) for name in ("stage_1", "add_variance", "device")}
        self.ns["stage_1"] = _FakeStage1(self.unet, self.alphas_cumprod)
        self.ns["add_variance"] = self.add_variance
        self.ns["device"] = torch.device("cpu")
        return self

    def __exit__(self, *exc):
        self.ns.update(self.saved)
        return False


def _embeds(prompt_id: int) -> torch.Tensor:
    return torch.full((1, _TOKENS, _WIDTH), float(prompt_id))


def _images(seed: int, n: int = 1) -> torch.Tensor:
    return torch.rand(n, 3, _SIZE, _SIZE, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _as_tensor_image(out: Any) -> torch.Tensor:
    """The loops return ``[B, 3, H, W]``; the original course returned numpy ``[H, W, 3]`` in [0, 1]: accept both."""
    if torch.is_tensor(out):
        return out.detach().cpu().double()
    import numpy as np

    array = torch.as_tensor(np.asarray(out)).double()
    return (array.permute(2, 0, 1)[None] * 2 - 1) if array.dim() == 3 else array


def _close(out: Any, wanted: torch.Tensor, message: str, clip: bool = False) -> None:
    got = _as_tensor_image(out)
    wanted = wanted.double()
    if not torch.is_tensor(out) or clip:
        got, wanted = got.clamp(-1, 1), wanted.clamp(-1, 1)
    _expect(got.shape == wanted.shape, f"expected shape {list(wanted.shape)}, got {list(got.shape)}")
    error = (got - wanted).abs().max().item()
    _expect(error < 1e-3, f"{message} (max error {error:.3g})")


def _expect_steps(given: _GivenNames, timesteps: list[int], i_start: int) -> None:
    ts = [t for t, _ in given.variance_calls]
    wanted = timesteps[i_start:-1]
    _expect(len(ts) > 0, "add_variance was never called: end every step with add_variance(variance, t, image)")
    _expect(ts == wanted, f"add_variance should be called once per step with t = {wanted[:3]} … {wanted[-1:]} "
            f"({len(wanted)} steps), got {ts[:3]} … {ts[-1:]} ({len(ts)} calls)")
