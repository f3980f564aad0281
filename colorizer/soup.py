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
from safetensors.numpy import save_file

from .export import git_blob_id, training_sources
from .shared import sha256_of
from .temperature import check_temperature
from .weights import LITE_UNET, WEIGHTS_SHA256, ModelError, _read_model, card_temperature

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
    (path_a, card_a, arch_a, _, state_a), (path_b, card_b, arch_b, _, state_b) = \
        _read_model(first), _read_model(second)
    kind_a, kind_b = (c["architecture"].get("type") for c in (card_a, card_b))
    if kind_a != kind_b:
        raise ModelError(f"{path_a} and {path_b} are different networks: {kind_a} against {kind_b}")
    if kind_a == LITE_UNET:  # the U-Net on a pretrained encoder: one layout, every tensor in both
        if arch_a != arch_b:
            raise ModelError(f"{path_a} and {path_b} differ in their architecture settings")
        architecture = card_a["architecture"]
    else:
        for key in ("n_classes", "width", "activation"):
            if arch_a[key] != arch_b[key]:
                raise ModelError(f"{path_a} and {path_b} differ in {key}: {arch_a[key]} against {arch_b[key]}")
        context = arch_a["global_context"] or arch_b["global_context"]
        if arch_a["global_context"] != arch_b["global_context"] and arch_a["activation"] != "relu":
            raise ModelError(f"only one of {path_a} and {path_b} has the context branch, and with "
                             f"{arch_a['activation']} a zero branch is not switched off")
        architecture = {"type": "unet4", **{k: arch_a[k] for k in ("n_classes", "width", "activation")},
                        **({"global_context": True} if context else {})}
    if card_a["bins"]["cells"] != card_b["bins"]["cells"]:
        raise ModelError(f"{path_a} and {path_b} predict different ab classes")
    if card_a.get("lambda") != card_b.get("lambda"):  # a soup across rebalancing would be neither model
        raise ModelError(f"{path_a} and {path_b} were trained at lambda {card_a.get('lambda')} and "
                         f"{card_b.get('lambda')}")
    try:
        state = average_states(state_a, state_b, alpha)
    except ValueError as e:
        raise ModelError(f"{path_a} and {path_b} cannot be averaged: {e}")

    train_a, train_b = card_a.get("training", {}), card_b.get("training", {})
    stages = combined_stages(train_a.get("stages", []), train_b.get("stages", []))
    ingredients = [{"model": str(p), "git_blob": git_blob_id(p), "weight": w, "name": c.get("name"),
                    "total_crops": c.get("training", {}).get("total_crops")}
                   for p, c, w in ((path_a, card_a, 1.0 - alpha), (path_b, card_b, alpha))]
    card = {
        "name": title or name,
        "description": description or card_a.get("description", ""),
        "lambda": card_a.get("lambda"),
        "default_temperature": card_temperature(card_a) if temperature is None else check_temperature(temperature),
        "training": {
            "soup": {"alpha": alpha, "ingredients": ingredients},
            "data": sorted(set(train_a.get("data", [])) | set(train_b.get("data", []))),
            "crop": train_a.get("crop"), "batch": train_a.get("batch"),
            "stages": stages,
            "total_steps": sum(st.get("steps", 0) for st in stages),
            "total_crops": sum(st.get("crops", 0) for st in stages),
            **training_sources(stages),
            "total_wall_time_s": sum(st.get("wall_time_s", 0) for st in stages),
        },
        **({"encoder_weights": card_a["encoder_weights"]} if "encoder_weights" in card_a else {}),
        "id": name,
        "architecture": architecture,
        "bins": card_a["bins"],
    }
    out = Path(weights_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.astype(np.float16) for k, v in state.items()}, str(out / f"{name}.safetensors"))
    card[WEIGHTS_SHA256] = sha256_of(out / f"{name}.safetensors")
    (out / f"{name}.json").write_text(json.dumps(card, indent=1))
    return out / f"{name}.safetensors"
