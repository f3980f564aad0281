"""Landscape Colorizer: grayscale landscape photos to colour, by per-pixel classification over ab bins.

Importing the package does not import torch: the modules below are torch-free, and torch is imported
only when the network runs with torch (colorizer.pipeline resolves a device or loads a torch model) or
for training.
"""
from .version import __version__
from .images import ImageError, find_images, load_rgb
from .hints import Hint, HintError, load_hints, save_hints
from .pipeline import Colorizer, Prediction, colorize_paths, resolve_device, save_outputs
from .weights import ModelError, list_models, load_model

__all__ = ["__version__", "Colorizer", "Hint", "HintError", "load_hints", "save_hints", "Prediction", "ImageError",
           "ModelError", "colorize_paths", "find_images",
           "list_models", "load_model", "load_rgb", "resolve_device", "save_outputs"]
