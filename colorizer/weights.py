"""Shipped models: fp16 safetensors for the weights, a JSON model card for everything else.

A model NAME is the pair weights/NAME.safetensors + weights/NAME.json. Weights are never unpickled.
"""
import json
import os
import sys
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .bins import ABBins
from .model import UNet, UNetConfig


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
    if p.suffix in (".safetensors", ".json") or p.exists():
        p = p.with_suffix(".safetensors")
        if not p.exists():
            raise ModelError(f"model file {p} not found")
        return p
    for d in weights_dirs():
        if (d / f"{name_or_path}.safetensors").exists():
            return d / f"{name_or_path}.safetensors"
    known = ", ".join(c["id"] for c in list_models()) or "none"
    raise ModelError(f"no model named {name_or_path!r} (known: {known}; or give a path to a .safetensors file)")


def read_card(path) -> dict:
    path = Path(path).with_suffix(".json")
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"model card {path} not found (it must sit beside the .safetensors file)")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"model card {path} is not valid JSON: {e}")
    for key in ("architecture", "bins"):
        if key not in card:
            raise ModelError(f"model card {path} lacks {key!r}")
    card.setdefault("id", path.stem)
    card.setdefault("name", path.stem)
    card["path"] = str(path.with_suffix(".safetensors"))
    return card


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


def save_model(model: UNet, bins: ABBins, card: dict, out_dir, name: str) -> Path:
    """Write out_dir/name.safetensors (fp16) and out_dir/name.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous()
             for k, v in model.state_dict().items() if v.is_floating_point()}
    save_file(state, str(out_dir / f"{name}.safetensors"))
    card = {"id": name, **card, "architecture": {"type": "unet4", **model.config_dict()}, "bins": bins.to_dict()}
    card.pop("path", None)
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=1))
    return out_dir / f"{name}.safetensors"


def load_model(name_or_path, device="cpu"):
    """-> (UNet in eval mode on device, ABBins, card). Raises ModelError with the reason."""
    path = resolve(name_or_path)
    card = read_card(path)
    arch = dict(card["architecture"])
    arch.pop("type", None)
    try:
        bins = ABBins.from_dict(card["bins"])
        model = UNet(UNetConfig(**arch))
    except (TypeError, ValueError, KeyError) as e:
        raise ModelError(f"model card {path.with_suffix('.json')} is inconsistent: {e}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(f"weights file {path} is corrupt or unreadable: {e}")
    try:
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    except RuntimeError as e:
        raise ModelError(f"weights file {path} does not match its card: {e}")
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ModelError(f"weights file {path} does not match its card (missing {missing[:3]}, unexpected {unexpected[:3]})")
    if bins.Q != model.config.n_classes:
        raise ModelError(f"model card {path.with_suffix('.json')}: {bins.Q} classes but a {model.config.n_classes}-class head")
    return model.to(device).eval(), bins, card
