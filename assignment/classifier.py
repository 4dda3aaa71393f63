"""A small MNIST classifier that scores generated digits.

Its weights ship in ``data/mnist_classifier.safetensors`` (with ``data/mnist_classifier.json`` holding how they
were trained and their held-out accuracy); ``python data/build_classifier.py`` reproduces them from the
training split, seeded. :func:`class_accuracy` is the kit's sample-quality measure: the fraction of samples
drawn for digit ``k`` that the classifier labels ``k``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MnistClassifier", "WEIGHTS_PATH", "load_classifier", "train_classifier", "evaluate", "class_accuracy",
           "digit_confidence"]

WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "data" / "mnist_classifier.safetensors"


class MnistClassifier(nn.Module):
    """Two conv layers and two linear layers: ``[N, 1, 28, 28]`` in ``[0, 1]`` → logits ``[N, 10]``."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def load_classifier(path: str | Path = WEIGHTS_PATH, device: str | torch.device = "cpu") -> MnistClassifier:
    """The shipped classifier in eval mode on ``device``."""
    from safetensors.torch import load_model

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"classifier weights not found at {path}; run `python data/build_classifier.py`")
    model = MnistClassifier()
    load_model(model, str(path))
    return model.to(device).eval()


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, epochs: int = 8, batch_size: int = 64, lr: float = 1e-3, seed: int = 0
) -> MnistClassifier:
    """Train on ``images`` ``[N, 1, 28, 28]`` in ``[0, 1]`` with small random shifts (reproducible on CPU)."""
    torch.manual_seed(seed)
    model = MnistClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=g)
        for i in range(0, len(images), batch_size):
            idx = order[i : i + batch_size]
            x = _random_shift(images[idx], g)
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy of ``model`` on ``images`` ``[N, 1, 28, 28]`` with ``labels`` ``[N]``."""
    model.eval()
    device = next(model.parameters()).device
    preds = torch.cat([model(images[i : i + 500].to(device)).argmax(1).cpu() for i in range(0, len(images), 500)])
    return (preds == labels.cpu()).float().mean().item()


@torch.no_grad()
def class_accuracy(images: torch.Tensor, labels: torch.Tensor, model: nn.Module | None = None) -> float:
    """Fraction of generated ``images`` (``[N, 1, 28, 28]``, clipped to ``[0, 1]``) classified as the digit they were drawn for."""
    model = model if model is not None else load_classifier(device=images.device)
    return evaluate(model, images.float().clamp(0, 1), labels)


@torch.no_grad()
def digit_confidence(images: torch.Tensor, model: nn.Module | None = None) -> float:
    """Mean top-class softmax probability of ``images`` (``[N, 1, 28, 28]``, clipped to ``[0, 1]``): a
    digit-likeness score for unconditional samples (≈ 1 for crisp digits, ≈ 0.3 for noise or blobs)."""
    model = model if model is not None else load_classifier(device=images.device)
    model.eval()
    device = next(model.parameters()).device
    return model(images.float().clamp(0, 1).to(device)).softmax(1).max(1).values.mean().item()


def metadata(path: str | Path = WEIGHTS_PATH) -> dict:
    """The training record stored beside the weights (held-out accuracy, data, seed)."""
    return json.loads(Path(path).with_suffix(".json").read_text())


def _random_shift(x: torch.Tensor, g: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    dx, dy = (int(v) for v in torch.randint(-max_shift, max_shift + 1, (2,), generator=g))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))
