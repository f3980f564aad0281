"""colorizer share: tensors that models hold alike stored once, the models loading to what they were."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from colorizer.shared import SHARED_KEY, sha256_of
from colorizer.weights import WEIGHTS_SHA256, ModelError, list_models, load_onnx_model, read_model


@pytest.fixture
def three(tmp_path, lite_model_path):
    """Three models of one network in a folder: the same encoder, each its own decoder (as the shipped
    models, decoder fine-tunes of one network)."""
    state = load_file(str(lite_model_path))
    card = json.loads(lite_model_path.with_suffix(".json").read_text())
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        own = {k: v if k.startswith("encoder.")
               else (v * rng.uniform(1.01, 1.1, v.shape) + rng.uniform(0.01, 0.02, v.shape)).astype(v.dtype)
               for k, v in state.items()}  # a fine-tune's decoder: every tensor of it its own
        save_file(own, str(tmp_path / f"{name}.safetensors"))
        own_sha = sha256_of(tmp_path / f"{name}.safetensors")
        (tmp_path / f"{name}.json").write_text(json.dumps({**card, "id": name, "name": name.upper(),
                                                           WEIGHTS_SHA256: own_sha}))
    return [tmp_path / f"{n}.safetensors" for n in ("a", "b", "c")]


def states(paths):
    return [read_model(p).state for p in paths]


def assert_same(before, after):
    for x, y in zip(before, after):
        assert set(x) == set(y)
        for k in x:
            assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), k


def test_share_stores_the_encoder_once_and_the_models_load_as_before(three):
    before = states(three)
    sizes = [p.stat().st_size for p in three]
    out = subprocess.run([sys.executable, "-m", "colorizer", "share", *map(str, three), "--name", "enc"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    shared = three[0].parent / "enc.safetensors"
    held = load_file(str(shared))
    assert all(k.startswith("encoder.") for k in held) and "head.weight" not in held
    assert len([k for k in before[0] if k.startswith("encoder.")]) == len(held)
    for p, size in zip(three, sizes):
        assert p.stat().st_size < size / 2
        card = json.loads(p.with_suffix(".json").read_text())
        assert card[SHARED_KEY]["file"] == "enc.safetensors" and card[WEIGHTS_SHA256] == sha256_of(p)  # the new file's
        assert not p.with_name(p.name + ".tmp").exists()
    assert_same(before, states(three))
    assert sum(p.stat().st_size for p in [*three, shared]) < sum(sizes) / 2  # 12.2 MB against 25.9
    assert [c["id"] for c in list_models(three[0].parent)] == ["a", "b", "c"]  # the shared file is no model
    net, _, _ = load_onnx_model(three[1])  # the bundle's backend builds from the joined state
    assert net(np.zeros((32, 32), np.float32)).shape[0] == before[1]["head.weight"].shape[0]


def test_a_missing_or_changed_shared_file_is_named(three):
    from colorizer.training.share import share
    share(three, "enc")
    shared = three[0].parent / "enc.safetensors"
    moved = shared.with_name("elsewhere.bin")
    shutil.move(shared, moved)
    with pytest.raises(ModelError,
                       match=r"a\.safetensors keeps part of its weights in enc\.safetensors, which is missing"):
        read_model(three[0])
    held = load_file(str(moved))
    held[next(iter(held))] = held[next(iter(held))] + np.float16(1)
    save_file(held, str(shared))
    with pytest.raises(ModelError, match="is not the file a.safetensors was saved with"):
        read_model(three[0])


def test_share_refuses_and_changes_nothing(three, tmp_path_factory):
    from colorizer.training.share import share
    before = [p.read_bytes() for p in three]
    with pytest.raises(ModelError, match="two models or more"):
        share(three[:1], "enc")
    with pytest.raises(ModelError, match="is a model"):
        share(three, "b")
    elsewhere = tmp_path_factory.mktemp("other")
    shutil.copy(three[2], elsewhere / "c.safetensors")
    shutil.copy(three[2].with_suffix(".json"), elsewhere / "c.json")
    with pytest.raises(ModelError, match="one folder"):
        share([three[0], elsewhere / "c.safetensors"], "enc")
    taken = three[0].parent / "enc.safetensors"
    save_file({"x": np.zeros(3, np.float16)}, str(taken))  # someone else's file by that name
    with pytest.raises(ModelError, match="exists and holds other tensors"):
        share(three, "enc")
    assert load_file(str(taken))["x"].shape == (3,)
    assert [p.read_bytes() for p in three] == before
