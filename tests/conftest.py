import os
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# training's decoded-photo cache goes to a folder of this test run, not the user's ~/.cache
os.environ["COLORIZER_CACHE"] = tempfile.mkdtemp(prefix="colorizer-cache-")

from synthetic import landscape  # noqa: E402


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory):
    """A folder of 12 generated landscapes (JPEG), for training and colorizing."""
    d = tmp_path_factory.mktemp("photos")
    for i in range(12):
        Image.fromarray(landscape(96 + 16 * (i % 3), 128, seed=i)).save(d / f"scene{i:02d}.jpg", quality=92)
    return d


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, photo_dir):
    """A real model of the design's U-Net (colorizer.nets.unet), trained for a few steps on generated photos and
    exported: (weights_dir, name)."""
    from colorizer.training.export import export_run
    from colorizer.training.config import TrainConfig
    from colorizer.training.train import train
    run = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(data=str(photo_dir), run=str(run), steps=12, encoder="design", width=8, activation="relu",
                      crop=64, batch=4, min_side=64, max_side=128, photo_side=128, warmup=2, lr=5e-3, lam=0.5,
                      workers=0, seed=1)
    train(cfg)
    weights = tmp_path_factory.mktemp("weights")
    export_run(run, "tiny", weights, title="Tiny test model", description="trained for 12 steps in a test",
               temperature=0.38)
    return weights, "tiny"


@pytest.fixture(scope="session")
def tiny_lite_model(tmp_path_factory, photo_dir):
    """A real model of the shipped kind (the U-Net on ImageNet-trained EfficientNet-Lite0, taking colour
    hints, its decoder narrowed), trained for a few steps on generated photos and exported:
    (weights_dir, name). What the packaged app runs, with ONNX Runtime."""
    from colorizer.training.export import export_run
    from colorizer.training.config import TrainConfig
    from colorizer.training.train import train
    run = tmp_path_factory.mktemp("lite_run")
    cfg = TrainConfig(data=str(photo_dir), run=str(run), steps=12, encoder="lite0", hints=True,
                      decoder=[32, 24, 16, 16, 16], crop=64, batch=4, min_side=64, max_side=128, photo_side=128,
                      warmup=2, lr=5e-3, lam=0.5, workers=0, seed=1)
    train(cfg)
    weights = tmp_path_factory.mktemp("lite_weights")
    export_run(run, "tiny_lite", weights, title="Tiny Lite test model",
               description="trained for 12 steps in a test", temperature=0.38)
    return weights, "tiny_lite"


@pytest.fixture(scope="session")
def lite_model_path(tmp_path_factory):
    """A model of the pretrained-encoder U-Net (colorizer.nets.lite_unet), which takes colour hints, with random
    weights (nothing trained, so its colours mean nothing and it does not follow hints: for tests of the
    plumbing): the path of its .safetensors. Its classes: every ab cell of 4096 random sRGB colours."""
    import numpy as np
    import torch
    from colorizer.bins import ABBins, count_cells
    from colorizer.color import rgb_to_lab
    from colorizer.nets.lite_unet import LiteUNet, LiteUNetConfig
    from colorizer.training.card import save_model
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    bins = ABBins.from_counts(count_cells(rgb_to_lab(rgb)[..., 1:]))
    torch.manual_seed(0)
    model = LiteUNet(LiteUNetConfig(n_classes=bins.Q)).eval()
    card = {"name": "Lite test model", "default_temperature": 0.5}
    return save_model(model, bins, card, tmp_path_factory.mktemp("lite"), "lite")
