"""Part B reference: UNets built from blocks, a one-step denoiser and DDPM on MNIST.

Every name in SPEC §2 (Part B) lives here, once. The notebooks and the autograder take the reference
from this module; nothing else re-implements it.

Conventions (the course's algorithms):

* images are ``[N, C, 28, 28]`` float tensors; MNIST pixels are in ``[0, 1]``;
* time is 1-based: ``t ∈ {1, …, T}``, schedule arrays are indexed ``t − 1``, ``ᾱ_0 = 1``,
  and the UNets receive ``t / T ∈ (0, 1]`` as a float ``[N]`` or ``[N, 1]`` tensor;
* class conditioning is a one-hot ``[N, num_classes]`` vector; the zero vector means "unconditional".
  ``mask`` follows the course's starter code: where ``mask == 0`` the class is dropped.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "Conv",
    "DownConv",
    "UpConv",
    "Flatten",
    "Unflatten",
    "ConvBlock",
    "DownBlock",
    "UpBlock",
    "FCBlock",
    "UnconditionalUNet",
    "TimeConditionalUNet",
    "ClassConditionalUNet",
    "add_noise",
    "ddpm_schedule",
    "ddpm_forward",
    "ddpm_sample",
    "ddpm_forward_cond",
    "ddpm_sample_cond",
    "DDPM",
]

IMAGE_SIZE = 28  # the UNet's Flatten pools a 7×7 map: two stride-2 downsamplings of 28×28


# --------------------------------------------------------------------------------------------- blocks


class Conv(nn.Module):
    """``Conv2d(3, 1, 1) → BatchNorm2d → GELU``: changes channels, keeps ``H × W``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.GELU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, H, W]``."""
        return self.net(x)


class DownConv(nn.Module):
    """``Conv2d(3, 2, 1) → BatchNorm2d → GELU``: halves ``H × W``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.GELU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, H/2, W/2]`` (``H``, ``W`` even)."""
        return self.net(x)


class UpConv(nn.Module):
    """``ConvTranspose2d(4, 2, 1) → BatchNorm2d → GELU``: doubles ``H × W``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.GELU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, 2H, 2W]``."""
        return self.net(x)


class Flatten(nn.Module):
    """``AvgPool2d(7) → GELU``: a ``7 × 7`` map becomes ``1 × 1``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.AvgPool2d(kernel_size=7), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, 7, 7] → [N, C, 1, 1]``."""
        return self.net(x)


class Unflatten(nn.Module):
    """``ConvTranspose2d(7, 7, 0) → BatchNorm2d → GELU``: a ``1 × 1`` map becomes ``7 × 7``."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(in_channels, in_channels, kernel_size=7, stride=7, padding=0),
            nn.BatchNorm2d(in_channels),
            nn.GELU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, 1, 1] → [N, C, 7, 7]``."""
        return self.net(x)


class ConvBlock(nn.Module):
    """``Conv(in, out) → Conv(out, out)``: same shape contract as :class:`Conv`, twice the depth."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(Conv(in_channels, out_channels), Conv(out_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, H, W]``."""
        return self.net(x)


class DownBlock(nn.Module):
    """``DownConv(in, out) → ConvBlock(out, out)``: halves ``H × W``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(DownConv(in_channels, out_channels), ConvBlock(out_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, H/2, W/2]``."""
        return self.net(x)


class UpBlock(nn.Module):
    """``UpConv(in, out) → ConvBlock(out, out)``: doubles ``H × W``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(UpConv(in_channels, out_channels), ConvBlock(out_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W] → [N, out, 2H, 2W]``."""
        return self.net(x)


class FCBlock(nn.Module):
    """``Linear(in, out) → GELU → Linear(out, out)``: embeds a conditioning vector."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_channels, out_channels), nn.GELU(), nn.Linear(out_channels, out_channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in] → [N, out]``."""
        return self.net(x)


# ---------------------------------------------------------------------------------------------- UNets


class UnconditionalUNet(nn.Module):
    """The course's denoising UNet (Part B 1.1), ``D = num_hiddens``.

    ``ConvBlock(C, D)`` 28² → ``DownBlock(D, D)`` 14² → ``DownBlock(D, 2D)`` 7² → ``Flatten`` 1² →
    ``Unflatten(2D)`` 7² → cat skip → ``UpBlock(4D, D)`` 14² → cat skip → ``UpBlock(2D, D)`` 28² →
    cat skip → ``ConvBlock(2D, D)`` → ``Conv2d(D, C, 3, 1, 1)``.
    """

    def __init__(self, in_channels: int, num_hiddens: int):
        super().__init__()
        _check_positive_int(in_channels=in_channels, num_hiddens=num_hiddens)
        d = num_hiddens
        self.in_channels = in_channels
        self.num_hiddens = num_hiddens
        self.in_block = ConvBlock(in_channels, d)
        self.down1 = DownBlock(d, d)
        self.down2 = DownBlock(d, 2 * d)
        self.flatten = Flatten()
        self.unflatten = Unflatten(2 * d)
        self.up1 = UpBlock(4 * d, d)
        self.up2 = UpBlock(2 * d, d)
        self.out_block = ConvBlock(2 * d, d)
        self.out_conv = nn.Conv2d(d, in_channels, kernel_size=3, stride=1, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``[N, C, 28, 28]`` float → ``[N, C, 28, 28]``."""
        _check_images(x, self.in_channels)
        return self._decode(*self._encode(x))

    # The conditional UNets reuse the same trunk and modulate it between these two halves.
    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        h0 = self.in_block(x)
        h1 = self.down1(h0)
        h2 = self.down2(h1)
        return h0, h1, h2, self.unflatten(self.flatten(h2))

    def _up1(self, h2: torch.Tensor, bottleneck: torch.Tensor) -> torch.Tensor:
        return self.up1(torch.cat([h2, bottleneck], dim=1))

    def _finish(self, h0: torch.Tensor, h1: torch.Tensor, up1: torch.Tensor) -> torch.Tensor:
        up2 = self.up2(torch.cat([h1, up1], dim=1))
        return self.out_conv(self.out_block(torch.cat([h0, up2], dim=1)))

    def _decode(self, h0, h1, h2, bottleneck) -> torch.Tensor:
        return self._finish(h0, h1, self._up1(h2, bottleneck))


class TimeConditionalUNet(UnconditionalUNet):
    """The UNet of Part B 2.1: the trunk of :class:`UnconditionalUNet` with the normalised time ``t/T``
    injected by two :class:`FCBlock` s: ``unflatten + fc1_t(t)`` (2D channels) and ``up1 + fc2_t(t)``
    (D channels). ``num_classes`` is accepted for a uniform constructor and not used.
    """

    def __init__(self, in_channels: int, num_classes: int, num_hiddens: int):
        super().__init__(in_channels, num_hiddens)
        self.num_classes = num_classes
        self.fc1_t = FCBlock(1, 2 * num_hiddens)
        self.fc2_t = FCBlock(1, num_hiddens)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x``: ``[N, C, 28, 28]``; ``t``: ``[N]`` or ``[N, 1]`` float in ``[0, 1]`` → ``[N, C, 28, 28]``."""
        _check_images(x, self.in_channels)
        t = _as_time_column(t, x)
        h0, h1, h2, bottleneck = self._encode(x)
        bottleneck = bottleneck + self.fc1_t(t)[:, :, None, None]
        up1 = self._up1(h2, bottleneck) + self.fc2_t(t)[:, :, None, None]
        return self._finish(h0, h1, up1)


class ClassConditionalUNet(UnconditionalUNet):
    """The UNet of Part B 2.4: time and class conditioning.

    ``unflatten = c1 * unflatten + t1`` and ``up1 = c2 * up1 + t2`` where ``c1 = fc1_c(c)``,
    ``c2 = fc2_c(c)`` embed the one-hot class and ``t1 = fc1_t(t)``, ``t2 = fc2_t(t)`` the time.
    """

    def __init__(self, in_channels: int, num_classes: int, num_hiddens: int):
        super().__init__(in_channels, num_hiddens)
        _check_positive_int(num_classes=num_classes)
        self.num_classes = num_classes
        self.fc1_t = FCBlock(1, 2 * num_hiddens)
        self.fc2_t = FCBlock(1, num_hiddens)
        self.fc1_c = FCBlock(num_classes, 2 * num_hiddens)
        self.fc2_c = FCBlock(num_classes, num_hiddens)

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        t: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict the noise in ``x``.

        Args:
            x: ``[N, C, 28, 28]`` float.
            c: class indices ``[N]`` (int, in ``[0, num_classes)``) or one-hot ``[N, num_classes]`` float.
            t: ``[N]`` or ``[N, 1]`` float in ``[0, 1]`` (``t / T``).
            mask: optional ``[N]``; where it is 0 the class vector is zeroed (unconditional).

        Returns:
            ``[N, C, 28, 28]``, same dtype as ``x``.
        """
        _check_images(x, self.in_channels)
        t = _as_time_column(t, x)
        c = one_hot(c, self.num_classes, like=x)
        if mask is not None:
            if mask.shape != (x.shape[0],):
                raise ValueError(f"mask must have shape [{x.shape[0]}], got {list(mask.shape)}")
            c = c * mask.to(c.dtype)[:, None]
        h0, h1, h2, bottleneck = self._encode(x)
        bottleneck = self.fc1_c(c)[:, :, None, None] * bottleneck + self.fc1_t(t)[:, :, None, None]
        up1 = self.fc2_c(c)[:, :, None, None] * self._up1(h2, bottleneck) + self.fc2_t(t)[:, :, None, None]
        return self._finish(h0, h1, up1)


# ------------------------------------------------------------------------------- one-step denoising


def add_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """``z = x + σ ε`` with ``ε ~ N(0, I)`` of ``x``'s shape, dtype and device.

    Args:
        x: any float tensor (MNIST: ``[N, 1, 28, 28]`` in ``[0, 1]``).
        sigma: noise level ``σ ≥ 0``.
        generator: optional CPU generator for reproducible noise.
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device) if generator else torch.randn_like(x)
    return x + sigma * eps


# --------------------------------------------------------------------------------------------- DDPM


def ddpm_schedule(beta1: float, beta2: float, num_ts: int) -> dict[str, torch.Tensor]:
    """The linear DDPM variance schedule.

    Returns a dict of float32 CPU tensors, each ``[num_ts]``: ``betas`` evenly spaced from ``beta1`` to
    ``beta2`` inclusive, ``alphas = 1 − betas`` and ``alpha_bars = cumprod(alphas)``. Entry ``i`` belongs to
    time ``t = i + 1``.
    """
    if not (isinstance(num_ts, int) and num_ts >= 2):
        raise ValueError(f"num_ts must be an int >= 2, got {num_ts!r}")
    if not (0.0 < beta1 < beta2 < 1.0):
        raise ValueError(f"need 0 < beta1 < beta2 < 1, got beta1={beta1}, beta2={beta2}")
    betas = torch.linspace(beta1, beta2, num_ts, dtype=torch.float32)
    alphas = 1.0 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, dim=0)}


def ddpm_forward(
    unet: nn.Module, ddpm_schedule: dict[str, torch.Tensor], x_0: torch.Tensor, num_ts: int
) -> torch.Tensor:
    """One training loss of the time-conditioned model (Algorithm 1).

    Draws ``t ~ U{1..T}`` per image and ``ε ~ N(0, I)``, forms ``x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε``
    and returns the scalar ``MSE(unet(x_t, t / T), ε)``.

    Args:
        x_0: ``[N, C, H, W]`` clean images (MNIST in ``[0, 1]``).
    """
    x_t, t, eps = _noise_at_random_times(ddpm_schedule, x_0, num_ts)
    return F.mse_loss(unet(x_t, t.to(x_0.dtype) / num_ts), eps)


def ddpm_forward_cond(
    unet: nn.Module,
    ddpm_schedule: dict[str, torch.Tensor],
    x_0: torch.Tensor,
    c: torch.Tensor,
    p_uncond: float,
    num_ts: int,
) -> torch.Tensor:
    """One training loss of the class-conditioned model (Algorithm 3).

    As :func:`ddpm_forward`, and each sample's one-hot class is replaced by the zero vector with
    probability ``p_uncond`` (classifier-free guidance dropout).

    Args:
        x_0: ``[N, C, H, W]`` clean images; c: ``[N]`` class indices or ``[N, K]`` one-hot.
    """
    if not 0.0 <= p_uncond <= 1.0:
        raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
    x_t, t, eps = _noise_at_random_times(ddpm_schedule, x_0, num_ts)
    keep = (torch.rand(x_0.shape[0], device=x_0.device) >= p_uncond).to(x_0.dtype)
    return F.mse_loss(unet(x_t, c, t.to(x_0.dtype) / num_ts, keep), eps)


@torch.no_grad()
def ddpm_sample(
    unet: nn.Module,
    ddpm_schedule: dict[str, torch.Tensor],
    img_wh: tuple[int, int],
    num_ts: int,
    seed: int = 0,
    num_samples: int = 40,
    *,
    frame_every: int = 10,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Algorithm 2: sample from the time-conditioned model, starting at ``x_T ~ N(0, I)``.

    The noise comes from a CPU ``torch.Generator`` seeded with ``seed``, so the same call gives the same
    images on any device. The UNet runs in eval mode (BatchNorm running statistics); its mode is restored.

    Returns:
        ``(images, frames)``: images ``[num_samples, C, H, W]`` on the UNet's device; frames a list of CPU
        snapshots ``[num_samples, C, H, W]`` of ``x_t`` every ``frame_every`` steps and the final image.
    """
    return _sample(lambda x, t: unet(x, t), unet, ddpm_schedule, img_wh, num_ts, num_samples, seed, frame_every)


@torch.no_grad()
def ddpm_sample_cond(
    unet: nn.Module,
    ddpm_schedule: dict[str, torch.Tensor],
    c: torch.Tensor,
    img_wh: tuple[int, int],
    num_ts: int,
    guidance_scale: float = 5.0,
    seed: int = 0,
    *,
    frame_every: int = 10,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Algorithm 4: class-conditioned sampling with classifier-free guidance.

    ``ε = ε_u + γ (ε_c − ε_u)``; conditional and unconditional predictions come from one batched UNet call.

    Args:
        c: ``[N]`` class indices (or ``[N, K]`` one-hot); the batch size is ``N``.

    Returns:
        ``(images [N, C, H, W], frames)`` as :func:`ddpm_sample`.
    """
    num_classes = _num_classes_of(unet)
    device = _device_of(unet)
    c = one_hot(c.to(device), num_classes, like=torch.empty((), device=device))
    both_c = torch.cat([c, torch.zeros_like(c)])

    def guided_eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        eps_c, eps_u = unet(torch.cat([x, x]), both_c, torch.cat([t, t])).chunk(2)
        return eps_u + guidance_scale * (eps_c - eps_u)

    return _sample(guided_eps, unet, ddpm_schedule, img_wh, num_ts, c.shape[0], seed, frame_every)


class DDPM(nn.Module):
    """A UNet with its schedule: ``forward`` is the training loss, ``sample`` runs Algorithm 2 or 4.

    The schedule is stored as buffers, so ``.to(device)`` moves it with the UNet.
    """

    def __init__(
        self,
        unet: nn.Module,
        betas: tuple[float, float] = (1e-4, 0.02),
        num_ts: int = 300,
        p_uncond: float = 0.1,
    ):
        super().__init__()
        self.unet = unet
        self.beta_range = tuple(betas)
        self.num_ts = num_ts
        self.p_uncond = p_uncond
        for name, value in ddpm_schedule(betas[0], betas[1], num_ts).items():
            self.register_buffer(name, value, persistent=False)

    @property
    def ddpm_schedule(self) -> dict[str, torch.Tensor]:
        """The schedule dict (``betas``, ``alphas``, ``alpha_bars``) on the module's device."""
        return {"betas": self.betas, "alphas": self.alphas, "alpha_bars": self.alpha_bars}

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar training loss for clean images ``x`` ``[N, C, 28, 28]``; time-only when ``c`` is None."""
        if c is None:
            return ddpm_forward(self.unet, self.ddpm_schedule, x, self.num_ts)
        return ddpm_forward_cond(self.unet, self.ddpm_schedule, x, c, self.p_uncond, self.num_ts)

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
            return ddpm_sample(self.unet, self.ddpm_schedule, img_wh, self.num_ts, seed, num_samples, **kwargs)
        return ddpm_sample_cond(
            self.unet, self.ddpm_schedule, c, img_wh, self.num_ts, guidance_scale, seed, **kwargs
        )


# ---------------------------------------------------------------------------------- shared helpers


def one_hot(c: torch.Tensor, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    """Class indices ``[N]`` → one-hot ``[N, num_classes]`` in ``like``'s dtype and device.

    A float ``[N, num_classes]`` tensor is taken as already one-hot (or a zeroed, unconditional row).
    Raises ``ValueError`` for a wrong width, and for indices outside ``[0, num_classes)`` on the CPU. On a GPU
    the range is left to PyTorch's own device-side check in ``F.one_hot``: reading the labels back to the host
    would stall every training step and stop it from being captured in a CUDA graph.
    """
    if c.dim() == 2:
        if c.shape[1] != num_classes:
            raise ValueError(f"one-hot class vectors must be [N, {num_classes}], got {list(c.shape)}")
        return c.to(device=like.device, dtype=like.dtype)
    if c.dim() != 1 or c.is_floating_point():
        raise ValueError(f"classes must be int indices [N] or one-hot [N, {num_classes}], got {c.dtype} {list(c.shape)}")
    if c.numel() and c.device.type == "cpu" and (int(c.min()) < 0 or int(c.max()) >= num_classes):
        raise ValueError(f"class labels must be in [0, {num_classes - 1}], got min {int(c.min())}, max {int(c.max())}")
    return F.one_hot(c.long(), num_classes).to(device=like.device, dtype=like.dtype)


def _noise_at_random_times(
    schedule: dict[str, torch.Tensor], x_0: torch.Tensor, num_ts: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    alpha_bars = schedule["alpha_bars"].to(x_0.device, x_0.dtype)
    if alpha_bars.shape[0] != num_ts:
        raise ValueError(f"schedule has {alpha_bars.shape[0]} steps but num_ts={num_ts}")
    t = torch.randint(1, num_ts + 1, (x_0.shape[0],), device=x_0.device)
    ab = alpha_bars[t - 1].view(-1, *([1] * (x_0.dim() - 1)))
    eps = torch.randn_like(x_0)
    return ab.sqrt() * x_0 + (1 - ab).sqrt() * eps, t, eps


def _sample(eps_fn, unet, schedule, img_wh, num_ts, num_samples, seed, frame_every):
    device = _device_of(unet)
    channels = getattr(unet, "in_channels", 1)
    height, width = img_wh
    betas = schedule["betas"].to(device, torch.float32)
    alphas = schedule["alphas"].to(device, torch.float32)
    alpha_bars = schedule["alpha_bars"].to(device, torch.float32)
    if betas.shape[0] != num_ts:
        raise ValueError(f"schedule has {betas.shape[0]} steps but num_ts={num_ts}")
    generator = torch.Generator().manual_seed(seed)
    shape = (num_samples, channels, height, width)
    x = torch.randn(shape, generator=generator).to(device)
    frames = [x.cpu()]
    was_training = unet.training
    unet.eval()
    try:
        for t in range(num_ts, 0, -1):
            z = torch.randn(shape, generator=generator).to(device) if t > 1 else torch.zeros_like(x)
            t_in = torch.full((num_samples,), t / num_ts, device=device)
            eps = eps_fn(x, t_in).float()
            ab_t, beta_t, alpha_t = alpha_bars[t - 1], betas[t - 1], alphas[t - 1]
            ab_prev = alpha_bars[t - 2] if t > 1 else torch.ones((), device=device)
            x0_hat = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
            x = (
                ab_prev.sqrt() * beta_t / (1 - ab_t) * x0_hat
                + alpha_t.sqrt() * (1 - ab_prev) / (1 - ab_t) * x
                + beta_t.sqrt() * z
            )
            if (num_ts - t + 1) % frame_every == 0 or t == 1:
                frames.append(x.cpu())
    finally:
        unet.train(was_training)
    return x, frames


def _device_of(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def _num_classes_of(unet: nn.Module) -> int:
    num_classes = getattr(unet, "num_classes", None)
    if num_classes is None:
        raise ValueError("the UNet has no `num_classes` attribute; class-conditioned sampling needs it")
    return int(num_classes)


def _as_time_column(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(t):
        t = torch.as_tensor(t)
    n = x.shape[0]
    if t.shape not in {(n,), (n, 1)}:
        raise ValueError(f"t must have shape [{n}] or [{n}, 1] (normalised t/T), got {list(t.shape)}")
    return t.reshape(n, 1).to(device=x.device, dtype=x.dtype)


def _check_images(x: torch.Tensor, channels: int) -> None:
    if x.dim() != 4 or x.shape[1] != channels or x.shape[2:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"expected images [N, {channels}, {IMAGE_SIZE}, {IMAGE_SIZE}], got {list(x.shape)}"
        )


def _check_positive_int(**values: int) -> None:
    for name, value in values.items():
        if not (isinstance(value, int) and value > 0):
            raise ValueError(f"{name} must be a positive int, got {value!r}")
