"""Weight averaging of two models of one lineage (a "model soup", Wortsman et al. 2022):

    colorizer soup weights/natural.safetensors runs/candidates/natural.safetensors --alpha 0.3 \
        --name natural --title Natural --temperature 0.8 --weights-dir out

makes out/natural.safetensors = (1 - alpha) * first + alpha * second, tensor by tensor in fp32, saved
in fp16, with a card that names both ingredients and every training stage behind them.

It only makes sense for two ends of training that started from the same weights (a fine-tune and the
model it started from, or two cosines of one run): averaging them lands in the same basin, where the
average tends to beat both ends (docs/history/models-unet.md, "weight soups of the shipped models").
The batch-norm running statistics are averaged like every other tensor, an approximation that the
evaluation of the soup has to vouch for.

A tensor that only one model has is allowed for the global-context branch alone: a missing branch
counts as zeros, which switches it off (x + ReLU(0 * pooled + 0) = x), and since ReLU(a * y) = a * ReLU(y)
for a >= 0 the soup adds exactly its share of the other model's branch.
"""
import json
from pathlib import Path

import numpy as np

from ..temperature import check_temperature
from ..weights import LITE_UNET, UNET, ModelError, StoredModel, architecture_type, card_temperature, read_model
from .card import ModelCard, training_record, write_model
from .provenance import git_blob_id

OPTIONAL_PREFIXES = ("context.",)  # tensors of a branch that a model may lack (see above)


def average_states(first: dict, second: dict, alpha: float) -> dict:
    """{name: array} of (1 - alpha) * first + alpha * second in fp32; a context-branch tensor missing from
    one side counts as zeros. Raises ValueError on any other mismatch."""
    out = {}
    for k in sorted(set(first) | set(second)):
        if (k not in first or k not in second) and not k.startswith(OPTIONAL_PREFIXES):
            raise ValueError(f"tensor {k} is in {'the first' if k in first else 'the second'} model only")
        x, y = first.get(k), second.get(k)
        x = np.zeros_like(y) if x is None else x
        y = np.zeros_like(x) if y is None else y
        if x.shape != y.shape:
            raise ValueError(f"tensor {k}: shape {x.shape} against {y.shape}")
        out[k] = (1.0 - alpha) * x.astype(np.float32) + alpha * y.astype(np.float32)
    return out


def combined_stages(first: list, second: list) -> list:
    """The training stages behind both models, each once: a second cosine of a shipped model repeats
    that model's stages in its own card."""
    seen, stages = set(), []
    for st in first + second:
        key = json.dumps(st, sort_keys=True)
        if key not in seen:
            seen.add(key)
            stages.append(st)
    return stages


def soup(first, second, alpha: float, name: str, weights_dir="weights", title=None, description="",
         temperature=None) -> Path:
    """Write weights_dir/name.safetensors + .json, the average of two models (names or paths).
    Raises ModelError naming the model and the reason when they cannot be averaged."""
    if not 0.0 <= alpha <= 1.0:
        raise ModelError(f"--alpha {alpha}: the second model's share must be within 0..1")
    a, b = read_model(first), read_model(second)
    architecture = common_architecture(a, b)
    try:
        state = average_states(a.state, b.state, alpha)
    except ValueError as e:
        raise ModelError(f"{a.path} and {b.path} cannot be averaged: {e}")
    train_a, train_b = a.card.get("training", {}), b.card.get("training", {})
    stages = combined_stages(train_a.get("stages", []), train_b.get("stages", []))
    ingredients = [{"model": str(m.path), "git_blob": git_blob_id(m.path), "weight": w, "name": m.card.get("name"),
                    "total_crops": m.card.get("training", {}).get("total_crops")}
                   for m, w in ((a, 1.0 - alpha), (b, alpha))]
    card = ModelCard(
        name=title or name,
        description=description or a.card.get("description", ""),
        lam=a.card.get("lambda"),
        default_temperature=card_temperature(a.card) if temperature is None else check_temperature(temperature),
        training={"soup": {"alpha": alpha, "ingredients": ingredients},
                  "data": sorted(set(train_a.get("data", [])) | set(train_b.get("data", []))),
                  "crop": train_a.get("crop"), "batch": train_a.get("batch"), **training_record(stages)},
        encoder_weights=a.card.get("encoder_weights"))
    return write_model(state, card, architecture, a.card["bins"], weights_dir, name)


def common_architecture(a: StoredModel, b: StoredModel) -> dict:
    """The card architecture of the soup of a and b; ModelError where they are not one network with one
    set of classes and one lambda."""
    kind_a, kind_b = (architecture_type(m.card) for m in (a, b))  # a card without a type is the design's U-Net
    if kind_a != kind_b:
        raise ModelError(f"{a.path} and {b.path} are different networks: {kind_a} against {kind_b}")
    if kind_a == LITE_UNET:  # the U-Net on a pretrained encoder: one layout, every tensor in both
        if a.architecture != b.architecture:
            raise ModelError(f"{a.path} and {b.path} differ in their architecture settings")
        architecture = a.card["architecture"]
    else:
        arch_a, arch_b = a.architecture, b.architecture
        for key in ("n_classes", "width", "activation"):
            if arch_a[key] != arch_b[key]:
                raise ModelError(f"{a.path} and {b.path} differ in {key}: {arch_a[key]} against {arch_b[key]}")
        context = arch_a["global_context"] or arch_b["global_context"]
        if arch_a["global_context"] != arch_b["global_context"] and arch_a["activation"] != "relu":
            raise ModelError(f"only one of {a.path} and {b.path} has the context branch, and with "
                             f"{arch_a['activation']} a zero branch is not switched off")
        architecture = {"type": UNET, **{k: arch_a[k] for k in ("n_classes", "width", "activation")},
                        **({"global_context": True} if context else {})}
    if a.card["bins"]["cells"] != b.card["bins"]["cells"]:
        raise ModelError(f"{a.path} and {b.path} predict different ab classes")
    if a.card.get("lambda") != b.card.get("lambda"):  # a soup across rebalancing would be neither model
        raise ModelError(f"{a.path} and {b.path} were trained at lambda {a.card.get('lambda')} and "
                         f"{b.card.get('lambda')}")
    return architecture
