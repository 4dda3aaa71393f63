"""Part B reference, flow-matching version: the same UNets trained to predict a velocity, sampled with Euler steps.

The course's later offerings replace DDPM in Part B with flow matching on the same blocks and UNets. Every name
of that version (docs/spec.md §2, "Part B, flow-matching version") lives here, once; the blocks, the
unconditional and the class-conditioned UNet are the DDPM version's own (imported from :mod:`solutions.part_b`).

Conventions (the course's):

* ``x_0 ~ N(0, I)`` is noise and ``x_1`` is data (MNIST ``[N, 1, 28, 28]`` in ``[0, 1]``);
  ``x_t = (1 − t) x_0 + t x_1`` for ``t ∈ [0, 1]``, so ``t = 0`` is pure noise and ``t = 1`` the data;
* the UNet predicts the velocity ``u(x_t, t) ≈ x_1 − x_0`` and receives ``t`` itself (already in ``[0, 1]``,
  nothing to normalise) as ``[N]`` or ``[N, 1]``;
* training draws ``t ~ U[0, 1)`` per image (``num_ts`` is accepted for a uniform signature and not used);
* sampling integrates ``dx/dt = u`` from ``t = 0`` to ``1`` with ``num_ts`` Euler steps of size ``1 / num_ts`` at
  ``t_i = i / num_ts``, ``i = 0 … num_ts − 1``; the only random draw is the starting noise;
* classifier-free guidance acts on the velocity: ``u = u_u + γ (u_c − u_u)``; the class is dropped (zero vector)
  with probability ``p_uncond`` in training and never at sampling; ``mask == 0`` drops it, as in the DDPM version;
* the time-conditioned UNet of this version *scales* its features by the time embeddings
  (``unflatten · fc1_t(t)``, ``up1 · fc2_t(t)``), where the DDPM version adds them.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from solutions.part_b import (  # noqa: F401  (the blocks are this version's too)
    ClassConditionalUNet,
    Conv,
    ConvBlock,
    DownBlock,
    DownConv,
    FCBlock,
    Flatten,
    UnconditionalUNet,
    Unflatten,
    UpBlock,
    UpConv,
    _as_time_column,
    _check_images,
    _device_of,
    _num_classes_of,
    add_noise,
    one_hot,
)

__all__ = [
    "TimeConditionalUNet",
    "time_fm_forward",
    "time_fm_sample",
    "class_fm_forward",
    "class_fm_sample",
    "FlowMatching",
]


class TimeConditionalUNet(UnconditionalUNet):
    """The flow-matching version's time-conditioned UNet: the trunk of :class:`UnconditionalUNet` with its
    features *scaled* by the time embeddings, ``unflatten · fc1_t(t)`` (2D channels) and ``up1 · fc2_t(t)``
    (D channels), ``fc1_t = FCBlock(1, 2D)``, ``fc2_t = FCBlock(1, D)``. ``num_classes`` is accepted for a
    uniform constructor and not used.
    """

    def __init__(self, in_channels: int, num_classes: int, num_hiddens: int):
        super().__init__(in_channels, num_hiddens)
        self.num_classes = num_classes
        self.fc1_t = FCBlock(1, 2 * num_hiddens)
        self.fc2_t = FCBlock(1, num_hiddens)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x``: ``[N, C, 28, 28]``; ``t``: ``[N]`` or ``[N, 1]`` float in ``[0, 1]`` → velocity ``[N, C, 28, 28]``."""
        _check_images(x, self.in_channels)
        t = _as_time_column(t, x)
        h0, h1, h2, bottleneck = self._encode(x)
        bottleneck = bottleneck * self.fc1_t(t)[:, :, None, None]
        up1 = self._up1(h2, bottleneck) * self.fc2_t(t)[:, :, None, None]
        return self._finish(h0, h1, up1)


def time_fm_forward(unet: nn.Module, x_1: torch.Tensor, num_ts: int) -> torch.Tensor:
    """One training loss of the time-conditioned flow (the course's Algorithm: flow-matching training).

    Draws noise ``x_0 ~ N(0, I)`` and ``t ~ U[0, 1)`` per image, forms ``x_t = (1 − t) x_0 + t x_1`` and returns
    the scalar ``MSE(unet(x_t, t), x_1 − x_0)``.

    Args:
        unet: ``unet(x [N, C, 28, 28], t [N]) → [N, C, 28, 28]``.
        x_1: ``[N, C, 28, 28]`` clean images (MNIST in ``[0, 1]``), on the UNet's device.
        num_ts: the number of sampling steps; training draws continuous ``t`` and does not use it.
    """
    x_t, t, target = _interpolate_at_random_times(x_1)
    return F.mse_loss(unet(x_t, t), target)


def class_fm_forward(
    unet: nn.Module, x_1: torch.Tensor, c: torch.Tensor, p_uncond: float, num_ts: int
) -> torch.Tensor:
    """One training loss of the class-conditioned flow.

    As :func:`time_fm_forward`, and each image's class is dropped (replaced by the zero vector, through the
    UNet's ``mask``) with probability ``p_uncond`` — classifier-free guidance dropout.

    Args:
        x_1: ``[N, C, 28, 28]`` clean images; c: ``[N]`` class indices or ``[N, K]`` one-hot.
    """
    if not 0.0 <= p_uncond <= 1.0:
        raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
    x_t, t, target = _interpolate_at_random_times(x_1)
    keep = (torch.rand(x_1.shape[0], device=x_1.device) >= p_uncond).to(x_1.dtype)
    return F.mse_loss(unet(x_t, c, t, keep), target)


@torch.no_grad()
def time_fm_sample(
    unet: nn.Module,
    img_wh: tuple[int, int],
    num_ts: int,
    seed: int = 0,
    num_samples: int = 40,
    *,
    frame_every: int = 5,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Sample from the time-conditioned flow: ``x ← x + (1/num_ts) · u(x, i/num_ts)`` for ``i = 0 … num_ts − 1``,
    starting at ``x_0 ~ N(0, I)``.

    The starting noise comes from a CPU ``torch.Generator`` seeded with ``seed``, so the same call gives the same
    images on any device. The UNet runs in eval mode (BatchNorm running statistics); its mode is restored.

    Returns:
        ``(images, frames)``: images ``[num_samples, C, H, W]`` on the UNet's device; frames a list of CPU
        snapshots of ``x_t`` (the start, every ``frame_every`` steps, and the final image) for the sampling GIF.
    """
    return _euler(lambda x, t: unet(x, t), unet, img_wh, num_ts, num_samples, seed, frame_every)


@torch.no_grad()
def class_fm_sample(
    unet: nn.Module,
    c: torch.Tensor,
    img_wh: tuple[int, int],
    num_ts: int,
    guidance_scale: float = 5.0,
    seed: int = 0,
    *,
    frame_every: int = 5,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Class-conditioned sampling with classifier-free guidance on the velocity: ``u = u_u + γ (u_c − u_u)``.

    Conditional and unconditional velocities come from one batched UNet call (the zero class vector is the
    unconditional model); the Euler steps are those of :func:`time_fm_sample`.

    Args:
        c: ``[N]`` class indices (or ``[N, K]`` one-hot); the batch size is ``N``.

    Returns:
        ``(images [N, C, H, W], frames)`` as :func:`time_fm_sample`.
    """
    num_classes = _num_classes_of(unet)
    device = _device_of(unet)
    c = one_hot(c.to(device), num_classes, like=torch.empty((), device=device))
    both_c = torch.cat([c, torch.zeros_like(c)])

    def guided_velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        u_c, u_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)
        return u_u + guidance_scale * (u_c - u_u)

    return _euler(guided_velocity, unet, img_wh, num_ts, c.shape[0], seed, frame_every)


class FlowMatching(nn.Module):
    """A UNet with its sampling settings: ``forward`` is the training loss, ``sample`` runs the Euler sampler
    (time-only when ``c`` is None, class-conditioned with CFG otherwise) — the flow-matching twin of ``DDPM``."""

    def __init__(self, unet: nn.Module, num_ts: int = 50, p_uncond: float = 0.1):
        super().__init__()
        if not (isinstance(num_ts, int) and num_ts >= 1):
            raise ValueError(f"num_ts must be a positive int, got {num_ts!r}")
        self.unet = unet
        self.num_ts = num_ts
        self.p_uncond = p_uncond

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar training loss for clean images ``x`` ``[N, C, 28, 28]``; time-only when ``c`` is None."""
        if c is None:
            return time_fm_forward(self.unet, x, self.num_ts)
        return class_fm_forward(self.unet, x, c, self.p_uncond, self.num_ts)

    @torch.no_grad()
    def sample(
        self,
        c: torch.Tensor | None = None,
        img_wh: tuple[int, int] = (28, 28),
        guidance_scale: float = 5.0,
        seed: int = 0,
        num_samples: int = 40,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Sample ``num_samples`` images (time-only) or one per class in ``c`` (with CFG)."""
        if c is None:
            return time_fm_sample(self.unet, img_wh, self.num_ts, seed, num_samples, **kwargs)
        return class_fm_sample(self.unet, c, img_wh, self.num_ts, guidance_scale, seed, **kwargs)


# ---------------------------------------------------------------------------------- shared helpers


def _interpolate_at_random_times(x_1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_t, t [N], x_1 − x_0)`` for noise ``x_0 ~ N(0, I)`` and ``t ~ U[0, 1)`` drawn on ``x_1``'s device."""
    x_0 = torch.randn_like(x_1)
    t = torch.rand(x_1.shape[0], device=x_1.device, dtype=x_1.dtype)
    t_img = t.view(-1, *([1] * (x_1.dim() - 1)))
    return (1 - t_img) * x_0 + t_img * x_1, t, x_1 - x_0


def _euler(velocity, unet, img_wh, num_ts, num_samples, seed, frame_every):
    """Euler steps of ``velocity(x, t)`` from seeded noise (the notebooks embed this helper, so no
    ``typing`` names in its signature)."""
    if not (isinstance(num_ts, int) and num_ts >= 1):
        raise ValueError(f"num_ts must be a positive int, got {num_ts!r}")
    device = _device_of(unet)
    channels = getattr(unet, "in_channels", 1)
    height, width = img_wh
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((num_samples, channels, height, width), generator=generator).to(device)
    frames = [x.cpu()]
    was_training = unet.training
    unet.eval()
    try:
        for i in range(num_ts):
            t = torch.full((num_samples,), i / num_ts, device=device)
            x = x + velocity(x, t).float() / num_ts
            if (i + 1) % frame_every == 0 or i == num_ts - 1:
                frames.append(x.cpu())
    finally:
        unet.train(was_training)
    return x, frames
