"""Stand-in denoisers for Part B's DDPM tests: deterministic, cheap, and recording every call.

The grader hands a spy to the student's ``ddpm_forward``/``ddpm_sample`` (and the class-conditioned ones)
instead of a trained UNet. Its output is a fixed smooth function of ``x``, ``t`` and the class vector, so
the grader can recompute it in its own process and check each sampling step against the course's formulas.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

SPY_SEED = 1234


class SpyUNet(nn.Module):
    """A time- (and optionally class-) conditioned ε-predictor that records its inputs.

    ``forward(x, t)`` or, when ``conditional``, ``forward(x, c, t, mask=None)`` with ``c`` class indices
    ``[N]`` or one-hot ``[N, num_classes]`` and ``mask`` ``[N]`` (0 drops the class).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, conditional: bool = False):
        super().__init__()
        generator = torch.Generator().manual_seed(SPY_SEED)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.conditional = conditional
        self.mix = nn.Parameter(torch.randn(in_channels, in_channels, 3, 3, generator=generator) * 0.3)
        self.class_scale = nn.Parameter(torch.randn(num_classes, in_channels, generator=generator) * 0.5)
        self.class_shift = nn.Parameter(torch.randn(num_classes, in_channels, generator=generator) * 0.5)
        self.calls: list[dict[str, torch.Tensor]] = []

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Predict ε and record ``x``, ``t`` (as ``[N]``) and the effective class vector."""
        if self.conditional:
            c = kwargs.pop("c", args[0] if len(args) > 0 else None)
            t = kwargs.pop("t", args[1] if len(args) > 1 else None)
            mask = kwargs.pop("mask", args[2] if len(args) > 2 else None)
            cvec = self.class_vectors(c, x.shape[0], mask)
        else:
            t = kwargs.pop("t", args[0] if args else None)
            cvec = None
        t_flat = self.time_vector(t, x.shape[0])
        out = self.eps(x.float(), t_flat, cvec).to(x.dtype)
        record = {"x": x.detach().float().cpu().clone(), "t": t_flat.detach().cpu().clone()}
        if cvec is not None:
            record["c"] = cvec.detach().cpu().clone()
        self.calls.append(record)
        return out

    def eps(self, x: torch.Tensor, t: torch.Tensor, cvec: torch.Tensor | None = None) -> torch.Tensor:
        """The spy's prediction: a pure function of ``x`` ``[N, C, H, W]``, ``t`` ``[N]``, class ``[N, K]``."""
        t4 = t.to(x.dtype).view(-1, 1, 1, 1)
        base = 0.6 * torch.tanh(F.conv2d(x, self.mix.to(x), padding=1)) + 0.4 * torch.sin(3.0 * t4 + 0.5 * x)
        if cvec is not None:
            cvec = cvec.to(x)
            scale = (cvec @ self.class_scale.to(x))[:, :, None, None]
            shift = (cvec @ self.class_shift.to(x))[:, :, None, None]
            base = base * (1.0 + scale) + shift * torch.cos(x)
        return base

    def time_vector(self, t: Any, n: int) -> torch.Tensor:
        """``t`` as a float ``[N]`` tensor (scalars broadcast)."""
        if t is None:
            raise TypeError("the UNet needs a time input t")
        t = torch.as_tensor(t, dtype=torch.float32)
        if t.numel() == 1:
            return t.reshape(1).expand(n).float()
        if t.numel() != n:
            raise ValueError(f"t must have one value per image ([{n}] or [{n}, 1]), got shape {list(t.shape)}")
        return t.reshape(n).float()

    def class_vectors(self, c: Any, n: int, mask: Any) -> torch.Tensor:
        """``c`` (indices or one-hot) as one-hot ``[N, K]`` float, zeroed where ``mask`` is 0."""
        if c is None:
            raise TypeError("the class-conditioned UNet needs a class input c")
        c = torch.as_tensor(c)
        if c.dim() == 2:
            vec = c.float()
        else:
            vec = F.one_hot(c.reshape(n).long(), self.num_classes).float()
        if mask is not None:
            vec = vec * torch.as_tensor(mask).float().reshape(n, 1).to(vec.device)
        return vec
