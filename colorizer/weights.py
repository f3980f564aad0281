"""Shipped models: fp16 safetensors for the weights, a JSON model card for everything else.

A model NAME is the pair weights/NAME.safetensors + weights/NAME.json, and the file of tensors it shares
with other models where its card names one (colorizer.shared). Weights are never unpickled.

This is the read side: finding, listing and reading models (read_model), and building the networks that
run them; writing one is training's (colorizer.training.card). Only load_model, which builds the torch
network, imports torch, and only when called: the rest, the ONNX Runtime networks (load_onnx_model)
included, works without it.
"""
import json
import os
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from .bins import N_CELLS, ABBins
from .onnx_net import OnnxLiteUNet
from .onnx_unet import DEFAULT_CONFIG, OnnxUNet, check_config, check_state
from .shared import SharedWeightsError, join_shared, sha256_of
from .temperature import RANGE, TemperatureError, check_temperature


LITE_UNET = "lite_unet"  # the card's architecture type of the U-Net on a pretrained encoder (colorizer.nets.lite_unet)
UNET = "unet4"  # the card's architecture type of the design's U-Net (colorizer.nets.unet); also a card without a type
WEIGHTS_SHA256 = "weights_sha256"  # the card's record of its own .safetensors file (older cards have none)
DEFAULT_T = 0.38  # the temperature of a card without default_temperature (Zhang et al.'s)


class ModelError(Exception):
    """A model that cannot be found or loaded, with the reason."""


def weights_dirs() -> list:
    """Where model names are looked up, first match wins: $COLORIZER_WEIGHTS, the PyInstaller bundle,
    the source checkout's weights/."""
    dirs = []
    if os.environ.get("COLORIZER_WEIGHTS"):
        dirs.append(Path(os.environ["COLORIZER_WEIGHTS"]))
    if getattr(sys, "_MEIPASS", None):
        dirs.append(Path(sys._MEIPASS) / "weights")
    dirs.append(Path(__file__).resolve().parent.parent / "weights")
    return dirs


def resolve(name_or_path) -> Path:
    """A model name from the weights folders, or a path to NAME.safetensors / NAME.json -> the
    .safetensors path."""
    p = Path(name_or_path)
    if p.suffix in (".safetensors", ".json") or (p.exists() and p.with_suffix(".safetensors").is_file()):
        p = p.with_suffix(".safetensors")
        if not p.exists():
            raise ModelError(f"model file {p} not found")
        return p
    for d in weights_dirs():
        if (d / f"{name_or_path}.safetensors").exists():
            return d / f"{name_or_path}.safetensors"
    known = ", ".join(c["id"] for c in list_models()) or "none"
    if p.is_dir():  # e.g. the photos' folder given to --model by mistake
        raise ModelError(f"{p} is a folder, not a model: give a model name (known: {known}) or a "
                         "NAME.safetensors file")
    if p.exists():
        raise ModelError(f"{p} is not a model: a model is a NAME.safetensors file with its card NAME.json "
                         f"beside it, or a model name (known: {known})")
    raise ModelError(f"no model named {name_or_path!r} (known: {known}; or give a path to a .safetensors file)")


def read_card(path) -> dict:
    path = Path(path).with_suffix(".json")
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"model card {path} not found (it must sit beside the .safetensors file)")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"model card {path} is not valid JSON: {e}")
    except OSError as e:
        raise ModelError(f"model card {path} cannot be read: {e}")
    if not isinstance(card, dict):  # valid JSON, but a list, number, string or null
        raise ModelError(f"model card {path} is not a JSON object")
    for key in ("architecture", "bins"):
        if key not in card:
            raise ModelError(f"model card {path} lacks {key!r}")
        if not isinstance(card[key], dict):
            raise ModelError(f"model card {path}: {key!r} must be an object of settings, not {_as_json(card[key])}")
    architecture_type(card, path)
    card.setdefault("id", path.stem)
    card.setdefault("name", path.stem)
    card["path"] = str(path.with_suffix(".safetensors"))
    return card


def architecture_type(card: dict, path=None) -> str:
    """The network a card describes: its architecture's "type", UNET where it has none (the design U-Net's
    cards from before the field). The one reader of that field, for reading a model and for building
    either network. ModelError naming the card (path, else card["path"]) for a type this version does
    not know."""
    kind = card["architecture"].get("type", UNET)
    if kind not in (UNET, LITE_UNET):
        where = Path(path or card.get("path") or card.get("id", "model")).with_suffix(".json")
        raise ModelError(f"model card {where}: architecture type {_as_json(kind)} is not a network this "
                         f"version knows ({UNET}, {LITE_UNET})")
    return kind


def _as_json(value) -> str:
    """A card's value as the card spells it (null, "hot", NaN), cut short."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:36] + " ..."


def card_temperature(card: dict) -> float:
    """A model's default temperature, its card's default_temperature (DEFAULT_T where the card has none):
    the one reader of that field, for the command line, the Python API and the window. ModelError naming
    the card and the field when it is not a temperature in colorizer.temperature's range."""
    value = card.get("default_temperature", DEFAULT_T)
    try:
        return check_temperature(value)
    except TemperatureError:
        where = Path(card["path"]).with_suffix(".json") if card.get("path") else repr(card.get("id", "model"))
        raise ModelError(f"model card {where}: default_temperature is {_as_json(value)}, not a temperature "
                         f"in {RANGE}") from None


def list_models(weights_dir=None) -> list:
    """The model cards of every model in the weights folders (or in weights_dir), by file name."""
    seen, cards = set(), []
    for d in [Path(weights_dir)] if weights_dir else weights_dirs():
        for f in sorted(d.glob("*.safetensors")) if d.is_dir() else []:
            if f.stem in seen:
                continue
            try:
                cards.append(read_card(f))
                seen.add(f.stem)
            except ModelError:
                continue
    return cards


def check_bins(bins: ABBins, saved: dict) -> None:
    """Raises ValueError unless the card's classes are distinct grid cells with a proper prior, and the
    centres saved with them are the ones this code computes (numpy would take a negative or repeated
    cell index silently, and a changed grid would shift every colour)."""
    if bins.Q == 0 or len(bins.prior) != bins.Q:
        raise ValueError(f"{bins.Q} classes and {len(bins.prior)} prior values")
    if bins.cells.min() < 0 or bins.cells.max() >= N_CELLS or (np.diff(bins.cells) <= 0).any():
        raise ValueError(f"class cells must be distinct, ascending and in [0, {N_CELLS})")
    if not (np.isfinite(bins.prior).all() and (bins.prior > 0).all()):
        raise ValueError("class prior must be positive")
    if "centres" in saved and not np.allclose(np.asarray(saved["centres"], dtype=np.float64), bins.centres,
                                              atol=1e-3):
        raise ValueError("saved class centres differ from those of the cells")


class StoredModel(NamedTuple):
    """A model as its files hold it, checked against each other without building a network."""
    path: Path  # its .safetensors file
    card: dict  # as read_card gives it
    architecture: dict  # the network's settings, the card's architecture without its "type"
    bins: ABBins
    state: dict  # tensor name -> numpy array as stored (float16), shared tensors joined in


def read_model(name_or_path) -> StoredModel:
    """A model name or path -> its StoredModel. Raises ModelError. A pretrained-encoder model's layers
    are checked by the network that reads them (load_model, or the ONNX backend)."""
    path = resolve(name_or_path)
    card = read_card(path)
    card_temperature(card)  # a card that cannot give its default is refused at load, by the CLI and the window alike
    if architecture_type(card) == LITE_UNET:
        return _read_lite_model(path, card)
    try:  # a hand-edited card can fail in many ways: wrong types, cells off the grid, a bad architecture
        arch = dict(card["architecture"])
        arch.pop("type", None)
        unknown = set(arch) - set(DEFAULT_CONFIG)
        if unknown:
            untyped = "" if "type" in card["architecture"] else f" (a card without a type is read as {UNET})"
            raise TypeError(f"unknown architecture settings {sorted(unknown)}{untyped}")
        arch = {**DEFAULT_CONFIG, **arch}
        check_config(**arch)
        with np.errstate(all="ignore"):  # a zero prior divides by zero; check_bins says so in words
            bins = ABBins.from_dict(card["bins"])
        check_bins(bins, card["bins"])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise ModelError(f"model card {path.with_suffix('.json')} is inconsistent: {e}")
    state = _load_state(path, card)
    try:
        check_state(state, arch["n_classes"], arch["width"], arch["global_context"])
    except ValueError as e:
        raise ModelError(f"weights file {path} does not match its card ({e})")
    if bins.Q != arch["n_classes"]:
        raise ModelError(f"model card {path.with_suffix('.json')}: {bins.Q} classes but a "
                         f"{arch['n_classes']}-class head")
    return StoredModel(path, card, arch, bins, state)


def _load_state(path, card: dict) -> dict:
    """The model's tensors as numpy arrays, as stored: its file's, and those it shares with other models
    (colorizer.shared). Raises ModelError."""
    def load(p):
        try:
            return load_file(str(p))
        except (SafetensorError, OSError, ValueError) as e:
            raise ModelError(f"weights file {p} is corrupt or unreadable: {e}")
    own = load(path)
    check_weights_file(path, card)
    try:
        return join_shared(Path(path), card, own, load)
    except SharedWeightsError as e:
        raise ModelError(str(e))


def check_weights_file(path, card: dict) -> None:
    """ModelError naming both files unless the weights file is the one its card records (WEIGHTS_SHA256):
    another model's file of the same network would load silently under this card's name and settings.
    A card without the record (written before it was kept) is taken as it is."""
    expected = card.get(WEIGHTS_SHA256)
    if expected is not None and sha256_of(path) != str(expected):
        path = Path(path)
        raise ModelError(f"weights file {path} does not match its card {path.with_suffix('.json')}: its SHA-256 is "
                         "not the one the card records, so the two files are of different models (put each "
                         "model's own pair together)")


def _read_lite_model(path, card) -> StoredModel:
    try:
        arch = dict(card["architecture"])
        arch.pop("type")
        with np.errstate(all="ignore"):
            bins = ABBins.from_dict(card["bins"])
        check_bins(bins, card["bins"])
        if arch.get("n_classes") != bins.Q:
            raise ValueError(f"{bins.Q} classes but a {arch.get('n_classes')}-class head")
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise ModelError(f"model card {path.with_suffix('.json')} is inconsistent: {e}")
    state = _load_state(path, card)
    head = state.get("head.weight")
    if head is None or head.shape[0] != bins.Q:
        raise ModelError(f"weights file {path} does not match its card (head {None if head is None else head.shape})")
    return StoredModel(path, card, arch, bins, state)


def load_model(name_or_path, device="cpu"):
    """-> (torch UNet in eval mode on device, ABBins, card). Raises ModelError with the reason.
    For training, evaluation and the torch backend of the pipeline: imports torch."""
    import torch

    from .nets.lite_unet import LiteUNet, LiteUNetConfig
    from .nets.unet import UNet, UNetConfig

    path, card, arch, bins, state = read_model(name_or_path)
    tensors = {k: torch.from_numpy(v).float() for k, v in state.items()}
    if architecture_type(card) == LITE_UNET:
        try:
            model = LiteUNet(LiteUNetConfig(**arch))
            missing, unexpected = model.load_state_dict(tensors, strict=False)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ModelError(f"weights file {path} does not match its card ({e})")
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise ModelError(f"weights file {path} does not match its card (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
        return model.to(device).eval(), bins, card
    model = UNet(UNetConfig(**arch))
    # strict=False only for the batch-norm step counters, which are not saved: read_model has checked
    # every name and shape already
    model.load_state_dict(tensors, strict=False)
    return model.to(device).eval(), bins, card


def load_onnx_model(name_or_path):
    """-> (network, ABBins, card) without torch, the bundle's backend: the network run with ONNX Runtime
    (colorizer.onnx_net for the pretrained-encoder U-Net, colorizer.onnx_unet for the design's). Raises
    ModelError with the reason."""
    path, card, arch, bins, state = read_model(name_or_path)
    network = OnnxLiteUNet if architecture_type(card) == LITE_UNET else OnnxUNet
    try:
        return network(state, **arch), bins, card
    except ImportError as e:
        raise ModelError(f"{path.name} runs with ONNX Runtime or torch, and neither is installed ({e}): "
                         "pip install onnxruntime")
    except (TypeError, ValueError, KeyError, RuntimeError) as e:  # RuntimeError: onnxruntime's own errors
        raise ModelError(f"weights file {path} does not match its card ({e})")
