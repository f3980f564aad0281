import numpy as np

from colorizer import Colorizer
from synthetic import landscape


def test_tiny_model_colorizes_at_full_size(tiny_model):
    weights, name = tiny_model
    c = Colorizer.load(weights / f"{name}.safetensors", device="cpu")
    rgb = c.colorize(landscape(100, 150))
    assert rgb.shape == (100, 150, 3) and rgb.dtype == np.uint8
