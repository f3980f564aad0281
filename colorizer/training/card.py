"""A model's card, and the one writer of a model's two files: NAME.safetensors (fp16) and NAME.json.

export (a training run), soup (two models averaged) and save_model (any torch network, e.g. in tests)
all write through write_model, which adds what only the writer knows: the model's id, its architecture,
its classes and the SHA-256 of the weights file it has just written. colorizer.weights reads the result.
Torch-free: save_model takes a torch network but only calls its methods.
"""
import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np
from safetensors.numpy import save_file

from ..bins import ABBins
from ..shared import SHARED_KEY, sha256_of
from ..weights import LITE_UNET, UNET, WEIGHTS_SHA256
from .provenance import training_sources

WRITER_KEYS = ("id", "architecture", "bins", WEIGHTS_SHA256)  # what write_model adds, after the card's fields


@dataclass
class ModelCard:
    """A card's fields, written in this order; a field left None is left out. Older cards and those of
    tests may hold fewer."""
    name: str
    description: Optional[str] = None  # one line for the model list's tooltip
    lam: Optional[float] = None  # "lambda": the class rebalancing it was trained with
    default_temperature: Optional[float] = None
    training: Optional[dict] = None  # the run (or the soup) and every stage behind it (training_record)
    validation: Optional[dict] = None  # the exported step's validation row; a soup has none
    encoder_weights: Optional[dict] = None  # where a pretrained encoder's ImageNet weights came from
    extra: dict = field(default_factory=dict)  # any further fields, as given

    @classmethod
    def from_dict(cls, fields: dict) -> "ModelCard":
        """The card of a dict of fields (a card as read, or as a test writes it); the writer's own
        fields and read_card's "path" are dropped, as the writer puts them back."""
        named = {"name", "description", "default_temperature", "training", "validation", "encoder_weights"}
        rest = {k: v for k, v in fields.items() if k not in named | {"lambda", "path", *WRITER_KEYS}}
        return cls(**{k: fields[k] for k in named if k in fields}, lam=fields.get("lambda"), extra=rest)

    def fields(self) -> dict:
        out = {"name": self.name, "description": self.description, "lambda": self.lam,
               "default_temperature": self.default_temperature, "training": self.training,
               "validation": self.validation, "encoder_weights": self.encoder_weights}
        return {**{k: v for k, v in out.items() if v is not None}, **self.extra}


def training_record(stages: list) -> dict:
    """The training fields every card ends with: its stages, first to last, their totals and the
    photo sources behind them (colorizer.training.provenance)."""
    return {"stages": stages,
            "total_steps": sum(st.get("steps", 0) for st in stages),
            "total_crops": sum(st.get("crops", 0) for st in stages),
            **training_sources(stages),
            "total_wall_time_s": sum(st.get("wall_time_s", 0) for st in stages)}


def write_card(path: Path, card: dict) -> None:
    """Write a card's JSON in place of path at once (a stop midway leaves the old card or the new one),
    keeping the permissions of the card it replaces."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(card, indent=1))
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_model(state: dict, card: ModelCard, architecture: dict, bins: dict, out_dir, name: str) -> Path:
    """Write out_dir/name.safetensors (the arrays of state in fp16) and its card out_dir/name.json.
    architecture: the card's, with its "type"; bins: ABBins.to_dict()."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{name}.safetensors"
    save_file({k: np.ascontiguousarray(v, dtype=np.float16) for k, v in state.items()}, str(weights))
    write_card(weights.with_suffix(".json"), {**card.fields(), "id": name, "architecture": architecture,
                                              "bins": bins, WEIGHTS_SHA256: sha256_of(weights)})
    return weights


def save_model(model, bins: ABBins, card, out_dir, name: str) -> Path:
    """Write a torch network (the design's UNet or a LiteUNet) as a model: its floating-point tensors in
    fp16, and the card (a ModelCard, or a dict of card fields). The card's shared_weights, if it came from a
    model that shares its encoder, is dropped: every tensor goes into the one file written here."""
    card = card if isinstance(card, ModelCard) else ModelCard.from_dict(card)
    card = replace(card, extra={k: v for k, v in card.extra.items() if k != SHARED_KEY})
    state = {k: v.detach().to("cpu").half().numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
    kind = LITE_UNET if type(model).__name__ == "LiteUNet" else UNET
    return write_model(state, card, {"type": kind, **model.config_dict()}, bins.to_dict(), out_dir, name)
