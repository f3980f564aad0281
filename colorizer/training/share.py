"""`colorizer share`: store once, beside the models, the tensors that models of one folder hold alike
(the write side of colorizer.shared, which explains the files)."""
import json
import os
import stat
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from ..shared import SHARED_KEY, sha256_of
from ..weights import WEIGHTS_SHA256, ModelError, read_model
from .card import write_card


def _same(arrays: list) -> bool:
    first = arrays[0]
    return all(a.dtype == first.dtype and a.shape == first.shape and np.array_equal(a, first) for a in arrays[1:])


def _write_atomic(path: Path, write, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.chmod(tmp, mode)  # safetensors writes 0600; keep the permissions the models have
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def share(models: list, name: str) -> tuple:
    """Store once what the models (names or paths, two or more, in one folder) hold alike: writes
    FOLDER/name.safetensors, then rewrites each model's file without those tensors and adds SHARED_KEY to
    its card. -> (the shared file's path, the number of tensors shared, bytes saved). Raises ModelError.
    Each model is checked to load to exactly the tensors it had before its file is replaced."""
    if len(models) < 2:
        raise ModelError("share: give two models or more")
    read = [read_model(m) for m in models]
    paths = [r.path for r in read]
    folder = paths[0].parent
    if any(p.parent != folder for p in paths):
        raise ModelError("share: the models must sit in one folder (the shared file goes beside them)")
    shared_path = folder / f"{Path(name).name}.safetensors"
    if shared_path in paths or shared_path.with_suffix(".json").exists():
        raise ModelError(f"share: {shared_path} is a model; give the shared file another name")
    states = [r.state for r in read]
    common = sorted(k for k in states[0] if all(k in s for s in states[1:]) and _same([s[k] for s in states]))
    if not common:
        raise ModelError("share: the models hold no tensor alike")
    tensors = {k: np.ascontiguousarray(states[0][k]) for k in common}
    if shared_path.exists():  # never overwrite a file that other models may point at
        held = load_file(str(shared_path))
        if set(held) != set(tensors) or not all(_same([held[k], tensors[k]]) for k in tensors):
            raise ModelError(f"share: {shared_path} exists and holds other tensors; give another name")
    else:
        _write_atomic(shared_path, lambda tmp: save_file(tensors, str(tmp)), _mode(paths[0]))
    digest = sha256_of(shared_path)

    shared = load_file(str(shared_path))
    saved = 0
    for model in read:
        path, state = model.path, model.state
        own = {k: np.ascontiguousarray(v) for k, v in state.items() if k not in tensors}
        tmp = path.with_name(path.name + ".tmp")
        try:
            save_file(own, str(tmp))
            again = {**shared, **load_file(str(tmp))}
            if set(again) != set(state) or not all(_same([again[k], state[k]]) for k in state):
                raise ModelError(f"share: {path} would not load to the tensors it has")  # a bug, not bad input
            card = json.loads(path.with_suffix(".json").read_text())  # as stored, without read_card's additions
            card[SHARED_KEY] = {"file": shared_path.name, "sha256": digest}
            # the card first: a card naming the shared file loads with a whole model file too; it records
            # the new file's SHA-256 only once that file is in place, so that a stop between the steps
            # leaves a pair that loads
            card.pop(WEIGHTS_SHA256, None)
            write_card(path.with_suffix(".json"), card)
            saved += path.stat().st_size - tmp.stat().st_size
            os.chmod(tmp, _mode(path))
            os.replace(tmp, path)
            write_card(path.with_suffix(".json"), {**card, WEIGHTS_SHA256: sha256_of(path)})
        finally:
            tmp.unlink(missing_ok=True)
    return shared_path, len(common), saved - shared_path.stat().st_size
