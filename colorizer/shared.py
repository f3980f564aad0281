"""Tensors that several models hold alike, stored once beside them: the read side.

The shipped models are decoder fine-tunes of one network, so they carry the same encoder (about 9.3 MiB in
fp16) each. `colorizer share` (colorizer.training.share) moves the tensors that every given model holds bit
for bit into one file, SHARED.safetensors in the models' folder, and leaves each model its own tensors; each
card names the shared file and its SHA-256 under "shared_weights". Loading (colorizer.weights, through
join_shared) puts them back together, so nothing else sees the difference. The shared file has no card, so
it is never listed as a model.
"""
import hashlib
from pathlib import Path

SHARED_KEY = "shared_weights"  # the card's field: {"file": NAME.safetensors beside the model, "sha256": ...}


class SharedWeightsError(Exception):
    """A shared-weights file that is missing or changed; colorizer.weights words it as a ModelError."""


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def join_shared(path: Path, card: dict, state: dict, load) -> dict:
    """The model's whole state: its own tensors and those of the shared file its card names (if any).
    load: the safetensors reader (path -> dict of arrays)."""
    ref = card.get(SHARED_KEY)
    if not ref:
        return state
    try:
        shared_path = path.parent / Path(str(ref["file"])).name  # beside the model, never elsewhere
        expected = str(ref["sha256"])
    except (TypeError, KeyError):
        raise SharedWeightsError(f"model card {path.with_suffix('.json')}: {SHARED_KEY} must name a 'file' "
                                 "and its 'sha256'")
    if not shared_path.is_file():
        raise SharedWeightsError(f"{path.name} keeps part of its weights in {shared_path.name}, which is missing "
                                 f"from {shared_path.parent} (copy it beside the model)")
    if sha256_of(shared_path) != expected:
        raise SharedWeightsError(f"{shared_path} is not the file {path.name} was saved with (its SHA-256 differs)")
    return {**load(shared_path), **state}  # the model's own tensors win (share() writes the card first)
