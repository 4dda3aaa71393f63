"""The submission loader: what is kept from a notebook or a .py file, and bad files reported, never raised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.submission import MAX_FILE_BYTES, load_submission


def _notebook(path: Path, cells: list[str], language: str = "python") -> Path:
    data = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c} for c in cells],
            "metadata": {"kernelspec": {"name": language, "language": language, "display_name": language}},
            "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(data))
    return path


def test_keeps_definitions_imports_and_simple_assignments(tmp_path):
    sub = load_submission(_notebook(tmp_path / "a.ipynb", [
        "import torch\nT = 300\nbetas = torch.linspace(1e-4, 0.02, T)\n",
        "def f(x):\n    return x\n\nclass Net(torch.nn.Module):\n    pass\n",
    ]))
    assert {"torch", "T", "betas", "f", "Net"} <= sub.defined_names
    assert not sub.problems


def test_skips_training_loading_and_given_names(tmp_path):
    sub = load_submission(_notebook(tmp_path / "a.ipynb", [
        "stage_1 = DiffusionPipeline.from_pretrained('DeepFloyd/IF-I-XL-v1.0')\ndevice = 'cuda'\n",
        "model = train(unet, epochs=20)\nfor epoch in range(20):\n    pass\nplt.imshow(x)\n",
        "def ok():\n    return 1\n",
    ]))
    assert sub.defined_names == {"ok"}
    assert any("stage_1" in s for s in sub.skipped) and any("train" in s for s in sub.skipped)


def test_magics_and_shell_cells_are_dropped(tmp_path):
    sub = load_submission(_notebook(tmp_path / "a.ipynb", ["!pip install x\n%matplotlib inline\ndef f():\n    return 2\n",
                                                             "%%bash\nrm -rf /\n"]))
    assert sub.defined_names == {"f"}
    assert any("%%bash" in s for s in sub.skipped)


def test_a_syntax_error_spoils_only_its_own_definition(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("def good():\n    return 1\n\ndef bad(:\n    pass\n\ndef also_good():\n    return 2\n")
    sub = load_submission(path)
    assert {"good", "also_good"} <= sub.defined_names and "bad" not in sub.defined_names
    assert any("syntax error" in p for p in sub.problems)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "UTF-8"),
    (b'{"cells": [', "not valid JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
])
def test_bad_files_become_problems(tmp_path, content, message):
    path = tmp_path / "sub.ipynb"
    path.write_bytes(content)
    sub = load_submission(path)
    assert not sub.statements and any(message in p for p in sub.problems)


def test_other_kernel_language(tmp_path):
    sub = load_submission(_notebook(tmp_path / "r.ipynb", ["f <- function(x) x"], language="R"))
    assert any("kernel language" in p for p in sub.problems)


def test_oversized_file(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    sub = load_submission(path)
    assert any("limit" in p for p in sub.problems)


def test_missing_file(tmp_path):
    assert load_submission(tmp_path / "nope.py").problems


def test_a_cheap_top_level_object_the_functions_read_is_kept_in_its_place(tmp_path):
    """``criterion = nn.MSELoss()`` read by ``ddpm_forward`` runs (the notebook's last assignment, after the class it
    builds); training, data loading and objects no function reads stay skipped."""
    sub = load_submission(_notebook(tmp_path / "b.ipynb", [
        "import torch.nn as nn\ncriterion = nn.L1Loss()\n",
        "class Net(nn.Module):\n    pass\n",
        "criterion = nn.MSELoss()\nnet = Net().to(device)\nmodel = Net()\nloader = DataLoader(MNIST('.'))\n"
        "trained = train(Net())\nweights = torch.load('w.pth')\n",
        "def ddpm_forward(unet, x):\n    return criterion(unet(x), x) + net(x).sum() + loader + trained + weights\n",
    ]))
    kept = [s.code for s in sub.statements]
    assert "criterion = nn.MSELoss()" in kept and "net = Net().to(device)" in kept, kept
    assert "criterion = nn.L1Loss()" not in kept  # the later assignment is the one the notebook's functions saw
    assert kept.index("net = Net().to(device)") > next(i for i, c in enumerate(kept) if c.startswith("class Net"))
    for skipped in ("model = Net()", "loader = DataLoader", "trained = train", "weights = torch.load"):
        assert not any(c.startswith(skipped) for c in kept), (skipped, kept)
        assert any(skipped.split(" = ")[1].split("(")[0] in s for s in sub.skipped), (skipped, sub.skipped)
    assert not any("MSELoss" in s for s in sub.skipped)


def test_a_notebook_heavy_with_figure_outputs_is_read_for_its_code(tmp_path):
    """Colab keeps every figure in the file: 30 MB of outputs were over the old 20 MB limit and cost every point."""
    path = _notebook(tmp_path / "big.ipynb", ["def f(x):\n    return x\n"])
    data = json.loads(path.read_text())
    data["cells"][0]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * (10 * 2**20)}}
                                   for _ in range(3)]
    path.write_text(json.dumps(data))
    assert path.stat().st_size > 30 * 2**20
    sub = load_submission(path)
    assert not sub.problems and sub.defined_names == {"f"}
