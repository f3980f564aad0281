"""A card's architecture type has one reader (colorizer.weights.architecture_type), so that every way of
loading a model reads a card alike; and a model written whole by save_model does not keep the
shared-weights entry of the card it came from."""
import json
import shutil

import numpy as np
import pytest

from colorizer import Colorizer, ModelError
from colorizer.shared import SHARED_KEY
from colorizer.training.card import save_model
from colorizer.weights import LITE_UNET, UNET, architecture_type, load_model, load_onnx_model, read_card, read_model


def copy_model(weights_path, folder, name):
    """A copy of a model's two files in folder, as NAME; -> the new .safetensors path."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".safetensors", ".json"):
        shutil.copy(weights_path.with_suffix(suffix), (folder / name).with_suffix(suffix))
    return (folder / name).with_suffix(".safetensors")


def without_type(path):
    card = json.loads(path.with_suffix(".json").read_text())
    del card["architecture"]["type"]
    path.with_suffix(".json").write_text(json.dumps(card))


def test_a_design_card_without_a_type_is_the_design_u_net_for_every_reader(tiny_model, tmp_path):
    weights, name = tiny_model
    typed = weights / f"{name}.safetensors"
    path = copy_model(typed, tmp_path, "old")
    without_type(path)  # as the design U-Net's first cards were written

    assert architecture_type(read_card(path)) == UNET
    assert read_model(path).architecture == read_model(typed).architecture
    net, _, _ = load_onnx_model(path)  # indexed the type: KeyError
    assert type(net).__name__ == "OnnxUNet"
    model, _, _ = load_model(path)  # likewise
    assert type(model).__name__ == "UNet"
    gray = np.full((40, 56), 120, np.uint8)
    assert np.array_equal(Colorizer.load(path, "onnx").colorize(gray, 0.4),
                          Colorizer.load(typed, "onnx").colorize(gray, 0.4))


def test_a_lite_card_without_a_type_is_a_model_error_that_says_how_it_was_read(lite_model_path, tmp_path):
    path = copy_model(lite_model_path, tmp_path, "untyped")
    without_type(path)

    for load in (load_onnx_model, load_model, lambda p: Colorizer.load(p, "onnx")):
        with pytest.raises(ModelError) as e:
            load(path)
        assert str(path.with_suffix(".json")) in str(e.value)
        assert f"a card without a type is read as {UNET}" in str(e.value)


def test_an_unknown_type_is_named_with_the_card(tiny_model, tmp_path):
    weights, name = tiny_model
    path = copy_model(weights / f"{name}.safetensors", tmp_path, "odd")
    card = json.loads(path.with_suffix(".json").read_text())
    card["architecture"]["type"] = "unet5"
    path.with_suffix(".json").write_text(json.dumps(card))
    for load in (load_onnx_model, load_model):
        with pytest.raises(ModelError, match=f'model card {path.with_suffix(".json")}: architecture type "unet5" '
                                             f"is not a network this version knows \\({UNET}, {LITE_UNET}\\)"):
            load(path)


def test_save_model_drops_the_shared_weights_entry_of_the_card_it_is_given(lite_model_path, tmp_path):
    model, bins, card = load_model(lite_model_path)
    card = {**card, SHARED_KEY: {"file": "encoder.safetensors", "sha256": "0" * 64}}  # as a shipped model's card

    saved = save_model(model, bins, card, tmp_path, "whole")

    written = read_card(saved)
    assert SHARED_KEY not in written  # every tensor is in whole.safetensors
    assert written["name"] == card["name"]
    net, _, _ = load_onnx_model(saved)  # no "encoder.safetensors, which is missing"
    assert set(read_model(saved).state) == set(read_model(lite_model_path).state)
