"""Shipped models: export from a run, load, and clear errors for missing or damaged files."""
import json
import pickle
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from colorizer import Colorizer, ModelError, list_models, load_model
from colorizer.bins import ABBins
from colorizer.color import normalize_l
from colorizer.decode import annealed_mean
from colorizer.training.export import export_run
from colorizer.nets.unet import UNet, UNetConfig
from colorizer.shared import sha256_of
from colorizer.training.config import TrainConfig
from colorizer.training.train import train
from colorizer.weights import WEIGHTS_SHA256, read_model

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def exported(tmp_path_factory, photo_dir):
    """(run folder, weights folder) of a few steps of training, exported as 'small'."""
    run = tmp_path_factory.mktemp("wrun")
    cfg = TrainConfig(data=str(photo_dir), run=str(run), steps=4, encoder="design", width=8, activation="relu", crop=32,
                      batch=2, min_side=48, max_side=96, photo_side=128, warmup=1, lr=5e-3, workers=0, seed=3)
    train(cfg)
    weights = tmp_path_factory.mktemp("wweights")
    export_run(run, "small", weights, title="Small", description="a test model", temperature=0.3)
    return run, weights


@pytest.fixture
def model_copy(exported, tmp_path):
    """A private copy of the exported pair, to damage."""
    _, weights = exported
    for ext in ("safetensors", "json"):
        shutil.copy(weights / f"small.{ext}", tmp_path / f"small.{ext}")
    return tmp_path / "small.safetensors"


def test_exported_model_gives_the_checkpoints_output(exported):
    run, weights = exported
    ckpt = torch.load(run / "ckpt.pt", weights_only=True)
    bins = ABBins.from_dict(ckpt["bins"])
    ref = UNet(UNetConfig(n_classes=bins.Q, width=8, activation="relu"))
    ref.load_state_dict(ckpt["model"])
    ref.eval()
    model, loaded_bins, card = load_model(weights / "small.safetensors")
    assert np.array_equal(loaded_bins.cells, bins.cells) and np.allclose(loaded_bins.centres, bins.centres)
    L = torch.from_numpy(normalize_l(np.random.default_rng(0).uniform(0, 100, (1, 1, 64, 96)).astype(np.float32)))
    with torch.no_grad():
        a, b = ref(L), model(L)
    assert not torch.equal(a, b)  # the weights really went through fp16 ...
    assert torch.allclose(a, b, atol=5e-3, rtol=1e-3)  # ... and fp16 rounding is all that changed
    centres = torch.from_numpy(bins.centres)
    assert (annealed_mean(a, centres, 0.3) - annealed_mean(b, centres, 0.3)).abs().max() < 0.2  # Lab units


def test_card_carries_classes_centres_and_provenance(exported):
    run, weights = exported
    card = json.loads((weights / "small.json").read_text())
    ckpt = torch.load(run / "ckpt.pt", weights_only=True)
    assert card["id"] == "small" and card["name"] == "Small" and card["default_temperature"] == 0.3
    assert card["architecture"] == {"type": "unet4", "n_classes": len(ckpt["bins"]["cells"]), "width": 8,
                                    "activation": "relu"}
    assert card["bins"]["cells"] == ckpt["bins"]["cells"]
    assert np.allclose(card["bins"]["centres"], ABBins.from_dict(ckpt["bins"]).centres)
    assert card["training"]["steps"] == 4 and card["training"]["checkpoint"] == "best.pt"
    assert card["training"]["git_commit"] not in ("", "HEAD", "HEAD-dirty")


def test_weights_are_fp16_safetensors_not_a_pickle(exported):
    _, weights = exported
    raw = (weights / "small.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
    assert dtypes == {"F16"}


def test_load_by_name_from_the_weights_folders(exported, monkeypatch):
    _, weights = exported
    monkeypatch.setenv("COLORIZER_WEIGHTS", str(weights))
    assert "small" in [c["id"] for c in list_models()]
    c = Colorizer.load("small", device="cpu")
    assert c.name == "Small" and c.default_temperature == 0.3
    with pytest.raises(ModelError, match="no model named 'nope'.*small"):
        load_model("nope")


def test_missing_weights_file(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "gone.safetensors")


def check_error(path, *words):
    with pytest.raises(ModelError) as e:
        load_model(path)
    message = str(e.value)
    assert all(w in message for w in words), message
    return message


def test_truncated_weights(model_copy):
    raw = model_copy.read_bytes()
    model_copy.write_bytes(raw[:len(raw) // 2])
    check_error(model_copy, str(model_copy), "corrupt")


def test_empty_weights(model_copy):
    model_copy.write_bytes(b"")
    check_error(model_copy, "corrupt")


def test_missing_card(model_copy):
    model_copy.with_suffix(".json").unlink()
    check_error(model_copy, "small.json", "not found")


@pytest.mark.parametrize("text,words", [
    ('{"architecture": {"width": 8', ["not valid JSON"]),
    ("\xff\xfe garbage", ["not valid JSON"]),
    ("[1, 2, 3]", ["not a JSON object"]),
    ("null", ["not a JSON object"]),
    ("42", ["not a JSON object"]),
    ('{"bins": {}}', ["lacks", "architecture"]),
])
def test_garbled_card(model_copy, text, words):
    model_copy.with_suffix(".json").write_bytes(text.encode("latin-1"))
    check_error(model_copy, "small.json", *words)


def edit_card(path, change):
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    change(card)
    card_path.write_text(json.dumps(card))


@pytest.mark.parametrize("change,words", [
    (lambda c: c["bins"]["cells"].__setitem__(-1, 999), ["inconsistent"]),
    (lambda c: c["bins"]["cells"].__setitem__(0, -3), ["inconsistent"]),
    (lambda c: c["bins"].__setitem__("cells", c["bins"]["cells"][:1] * len(c["bins"]["cells"])), ["inconsistent"]),
    (lambda c: c["bins"].__setitem__("prior", [0.0] * len(c["bins"]["prior"])), ["inconsistent"]),
    (lambda c: c["bins"].__setitem__("grid", 10), ["inconsistent", "grid"]),
    (lambda c: c["bins"].pop("cells"), ["inconsistent"]),
    (lambda c: c.__setitem__("bins", "none"), ["inconsistent"]),
    (lambda c: c.__setitem__("architecture", 8), ["inconsistent"]),
    (lambda c: c["architecture"].__setitem__("activation", "tanh"), ["inconsistent"]),
    (lambda c: c["architecture"].__setitem__("depth", 5), ["inconsistent"]),
    (lambda c: c["architecture"].__setitem__("width", 16), ["does not match"]),
    (lambda c: c["architecture"].__setitem__("n_classes", 3), ["does not match"]),
    (lambda c: c["bins"]["centres"][0].__setitem__(0, 99.0), ["inconsistent", "centres"]),
])
def test_inconsistent_card(model_copy, change, words):
    edit_card(model_copy, change)
    check_error(model_copy, *words)


def test_classes_and_head_disagree(model_copy):
    def drop_a_class(card):
        card["bins"]["cells"], card["bins"]["prior"] = card["bins"]["cells"][:-1], card["bins"]["prior"][:-1]
        card["bins"].pop("centres")
    edit_card(model_copy, drop_a_class)
    check_error(model_copy, "classes")


class Exploit:
    """Unpickling this writes a file: proof that the weights were unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_is_refused_and_never_run(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    with open(model_copy, "wb") as f:
        pickle.dump({"model": Exploit(str(marker))}, f)
    check_error(model_copy, "corrupt")
    assert not marker.exists()
    torch.save({"down.0.0.0.weight": torch.zeros(3)}, model_copy)  # torch's own (zip + pickle) format
    check_error(model_copy, "corrupt")


def test_weights_from_another_model(model_copy, tmp_path):
    from safetensors.torch import save_file
    other = UNet(UNetConfig(n_classes=5, width=8, activation="relu"))
    save_file({k: v.half() for k, v in other.state_dict().items() if v.is_floating_point()}, str(model_copy))
    check_error(model_copy, "does not match")


def test_list_models_skips_broken_ones(exported, tmp_path):
    _, weights = exported
    for ext in ("safetensors", "json"):
        shutil.copy(weights / f"small.{ext}", tmp_path / f"good.{ext}")
    (tmp_path / "bad.safetensors").write_bytes(b"x")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "orphan.safetensors").write_bytes(b"x")
    assert [c["id"] for c in list_models(tmp_path)] == ["small"]  # the card's own id
    assert list_models(tmp_path)[0]["path"] == str(tmp_path / "good.safetensors")


def test_an_exported_card_records_its_weights_files_sha256(model_copy):
    card = json.loads(model_copy.with_suffix(".json").read_text())
    assert card[WEIGHTS_SHA256] == sha256_of(model_copy)


def test_the_shipped_cards_record_their_weights_files_sha256():
    """Added to the cards of issue 35 by hand, from the committed weights: the weights are unchanged."""
    cards = list_models(REPO / "weights")
    assert [c["id"] for c in cards] == ["balanced", "natural", "vivid"]
    for card in cards:
        assert card[WEIGHTS_SHA256] == sha256_of(card["path"])
        read_model(card["path"])  # and so they load


def test_a_card_that_names_no_known_temperature_or_network_is_named(model_copy):
    card = json.loads(model_copy.with_suffix(".json").read_text())
    for change, words in [({"default_temperature": "warm"}, 'default_temperature is "warm", not a temperature in 0..1'),
                          ({"architecture": [1]}, "'architecture' must be an object of settings, not [1]"),
                          ({"bins": None}, "'bins' must be an object of settings, not null")]:
        model_copy.with_suffix(".json").write_text(json.dumps({**card, **change}))
        check_error(model_copy, f"model card {model_copy.with_suffix('.json')}: {words}")
