"""Training data at scale: the decoded-photo cache, several folders with sampling weights, the class prior
of the crops as drawn, the fast soft encoding, and bf16 autocast."""
import os
import time

import numpy as np
import pytest
import torch
from PIL import Image

from colorizer.bins import ABBins, count_cells
from colorizer.color import rgb_to_lab
from colorizer.training.data import RandomCrops, ab_statistics, mixed_cell_counts, photo_chroma, sampling_weights
from colorizer.training.loss import SoftEncoder, rebalanced_cross_entropy, soft_targets
from colorizer.training.photo_cache import decode, load_photo_set
from colorizer.training.config import TrainConfig
from colorizer.training.precision import autocast_dtype
from colorizer.training.train import train
import colorizer.training.precision as precision_module
from synthetic import landscape


@pytest.fixture()
def two_folders(tmp_path):
    """A folder of colourful landscapes and a folder of near-gray ones (different sizes)."""
    colour, grey = tmp_path / "colour", tmp_path / "grey"
    colour.mkdir(), grey.mkdir()
    for i in range(3):
        Image.fromarray(landscape(80, 112, seed=i)).save(colour / f"c{i}.png")
    for i in range(6):
        g = landscape(64, 64, seed=10 + i).mean(2, keepdims=True)
        tint = np.clip(g + [4, 0, -4], 0, 255).astype(np.uint8)
        Image.fromarray(tint).save(grey / f"g{i}.jpg", quality=95)
    Image.fromarray(landscape(600, 300, seed=99)).save(colour / "large.png")  # downsized by the cache
    return colour, grey


def test_cache_holds_the_photos_as_decoded_and_is_rebuilt_when_a_folder_changes(two_folders, tmp_path):
    colour, grey = two_folders
    cache = tmp_path / "cache"
    first = load_photo_set([colour, grey], 128, cache=str(cache))
    assert len(first) == 10 and list(first.folder_sizes()) == [4, 6]
    assert isinstance(first.pixels, np.memmap)  # read back from the file, not the build in memory
    files = sorted(colour.iterdir()) + sorted(grey.iterdir())
    for i, path in enumerate(files):
        assert np.array_equal(first[i], decode(path, 128))
        assert np.array_equal(first.cell_counts[i], count_cells(rgb_to_lab(decode(path, 128))[..., 1:]))
    assert max(first[files.index(colour / "large.png")].shape[:2]) == 128
    entries = sorted(p.name for p in cache.iterdir())
    assert not any(name.endswith(".tmp") for name in entries)

    again = load_photo_set([colour, grey], 128, cache=str(cache))
    assert sorted(p.name for p in cache.iterdir()) == entries  # opened, nothing new written
    assert all(np.array_equal(a, b) for a, b in zip(first, again))

    time.sleep(0.01)
    Image.fromarray(landscape(64, 64, seed=50)).save(grey / "g0.jpg")  # same name, new content
    changed = load_photo_set([colour, grey], 128, cache=str(cache))
    assert np.array_equal(changed[4], decode(grey / "g0.jpg", 128)) and not np.array_equal(changed[4], first[4])
    assert len(list(cache.glob("*.json"))) == 2


def test_runs_started_together_decode_the_photos_once(two_folders, tmp_path):
    """A second run that starts while the first builds the entry waits for it and opens it (two writers
    once cut each other's file short: "cannot reshape array of size 0")."""
    import subprocess
    import sys
    from colorizer.images import find_images
    from colorizer.training.photo_cache import building_lock, fingerprint
    colour, grey = two_folders
    cache = tmp_path / "cache"
    entry = cache / fingerprint([(str(r), find_images([r])) for r in (colour, grey)], 128)
    load = ("import sys; from colorizer.training.photo_cache import load_photo_set; "
            "p = load_photo_set(sys.argv[1:3], 128, cache=sys.argv[3]); print(len(p), int(p.pixels.sum()))")
    with building_lock(entry):  # as if another run were decoding
        proc = subprocess.Popen([sys.executable, "-c", load, str(colour), str(grey), str(cache)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None, proc.communicate()  # waiting for the lock
        built = load_photo_set([colour, grey], 128, cache="")
        from colorizer.training.photo_cache import save
        save(built, entry)
        saved = entry.with_name(entry.name + ".u8").stat().st_ino
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert entry.with_name(entry.name + ".u8").stat().st_ino == saved  # opened the entry, did not build it again
    assert out.split() == ["10", str(int(built.pixels.sum()))]


def test_an_unreadable_photo_is_skipped_with_its_name(two_folders, tmp_path, capsys):
    colour, grey = two_folders
    (grey / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    photos = load_photo_set([colour, grey], 128, cache="")
    assert len(photos) == 10
    assert "broken.jpg" in capsys.readouterr().err


def test_folder_shares_and_chroma_bias_set_how_often_photos_are_drawn(two_folders):
    colour, grey = two_folders
    photos = load_photo_set([colour, grey], 128, cache="")
    assert sampling_weights(photos) is None  # uniform: the draw of earlier runs
    w = sampling_weights(photos, [3, 1])
    assert w[photos.folder == 0].sum() == pytest.approx(0.75) and np.ptp(w[photos.folder == 1]) == 0
    bins = ab_statistics(photos)
    crops = RandomCrops(photos, bins, 32, 48, 96, seed=3, weights=w)
    # which folder a crop came from: the grey folder's crops have almost no chroma
    grey_share = np.mean([float(crops[i][1].abs().mean()) < 3 for i in range(400)])
    assert grey_share == pytest.approx(0.25, abs=0.07)

    chroma = photo_chroma(photos)
    assert chroma[photos.folder == 0].min() > 3 * chroma[photos.folder == 1].max()
    biased = sampling_weights(photos, chroma_bias=2.0)
    assert biased[photos.folder == 0].sum() == pytest.approx(0.4)  # folders keep their share of photos
    c = photos.folder == 0
    assert np.argmax(biased[c]) == np.argmax(chroma[c]) and np.ptp(biased[c]) > 0


def test_the_prior_follows_the_crops_as_drawn(two_folders):
    colour, grey = two_folders
    photos = load_photo_set([colour, grey], 128, cache="")
    assert np.array_equal(mixed_cell_counts(photos), photos.cell_counts.sum(0))
    only_grey = np.where(photos.folder == 1, 1.0, 0.0) / 6
    grey_counts = mixed_cell_counts(photos, only_grey)
    share = photos.cell_counts[photos.folder == 1] / photos.cell_counts[photos.folder == 1].sum(1, keepdims=True)
    assert np.allclose(grey_counts / grey_counts.sum(), share.mean(0))
    # an init model's classes with this prior: cells map to classes as encode() maps pixels
    bins = ab_statistics(photos)
    regrey = bins.with_counts(grey_counts)
    assert np.array_equal(regrey.cells, bins.cells)
    expected = np.bincount(bins.lookup, weights=grey_counts, minlength=bins.Q)
    floored = np.maximum(expected, expected.sum() * 1e-9)
    assert np.allclose(regrey.prior, floored / floored.sum())
    assert np.isfinite(regrey.weights(0.0)).all()  # classes the grey photos never reach


def test_soft_encoder_matches_the_dense_reference():
    bins = ABBins.from_counts(count_cells(rgb_to_lab(np.concatenate([landscape(64, 64, seed=s) for s in range(8)])
                                                     .astype(np.uint8))[..., 1:]) + 1)  # every cell occupied
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 48, 48, 3), dtype=np.uint8)  # every hue sRGB has, the gamut's edges too
    ab = torch.from_numpy(np.stack([rgb_to_lab(x)[..., 1:] for x in rgb]).transpose(0, 3, 1, 2).copy())
    dense = soft_targets(ab, torch.from_numpy(bins.centres))
    idx, g = SoftEncoder(bins.centres)(ab)
    assert idx.shape == g.shape == (2, 5, 48, 48)
    sparse = torch.zeros_like(dense).scatter_(1, idx, g)
    assert torch.allclose(g.sum(1), torch.ones(1)) and float((dense - sparse).abs().mean()) < 1e-3
    assert torch.equal(dense.argmax(1), sparse.argmax(1))
    logits = torch.randn(2, bins.Q, 48, 48)
    target = torch.from_numpy(bins.encode(ab.permute(0, 2, 3, 1).numpy()))
    w = torch.from_numpy(bins.weights(0.5))
    exact = rebalanced_cross_entropy(logits, target, w, dense)
    assert rebalanced_cross_entropy(logits, target, w, (idx, g)).item() == pytest.approx(exact.item(), rel=1e-4)


def test_auto_precision_takes_bf16_only_where_it_is_native(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision_module, "native_bf16", lambda device: True)
    assert autocast_dtype("auto", cpu) is torch.bfloat16 and autocast_dtype("fp32", cpu) is None
    monkeypatch.setattr(precision_module, "native_bf16", lambda device: False)
    assert autocast_dtype("auto", cpu) is None and autocast_dtype("bf16", cpu) is torch.bfloat16
    with pytest.raises(SystemExit, match="precision"):
        autocast_dtype("fp16", cpu)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_on_two_folders_learns_in_either_precision(two_folders, tmp_path, precision):
    colour, grey = two_folders
    run = tmp_path / "run"
    cfg = TrainConfig(data=[str(colour), str(grey)], folder_weights=[1, 1], run=str(run), steps=30, encoder="design",
                      width=8, activation="relu", crop=32, batch=4, min_side=48, max_side=96, photo_side=128, warmup=2,
                      lr=5e-3, lam=0.5, soft=True, workers=0, seed=5, precision=precision)
    train(cfg)
    import csv
    import json
    with open(run / "metrics.csv", newline="") as f:
        losses = [float(r["loss"]) for r in csv.DictReader(f)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    info = json.loads((run / "config.json").read_text())
    assert info["autocast"] == ("bfloat16" if precision == "bf16" else "fp32")
    assert info["photos_per_folder"] == {str(colour): 4, str(grey): 6}
    ckpt = torch.load(run / "ckpt.pt", weights_only=True)
    assert all(v.dtype != torch.bfloat16 for v in ckpt["model"].values())  # weights stay fp32
    assert os.path.exists(run / "best.pt")


def test_the_model_card_names_every_source_with_its_photos(tmp_path):
    from colorizer.training.export import export_run
    from colorizer.weights import read_card
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for i in range(3):
        Image.fromarray(landscape(64, 64, seed=i)).save(a / f"bsds500__{i}.png")
    for i in range(2):
        Image.fromarray(landscape(64, 64, seed=5 + i)).save(b / f"somepackage__{i}.png")
    Image.fromarray(landscape(64, 64, seed=9)).save(b / "plain.png")
    first = TrainConfig(data=[str(a)], run=str(tmp_path / "r1"), steps=3, encoder="design", width=8, activation="relu",
                        crop=32, batch=2, min_side=48, max_side=64, photo_side=64, warmup=1, lam=1.0, workers=0)
    train(first)
    export_run(tmp_path / "r1", "first", tmp_path / "w", temperature=1)
    second = TrainConfig(**{**first.__dict__, "data": [str(a), str(b)], "run": str(tmp_path / "r2"), "steps": 2,
                            "init": str(tmp_path / "w" / "first.safetensors")})
    train(second)
    export_run(tmp_path / "r2", "second", tmp_path / "w", temperature=1)
    card = read_card(tmp_path / "w" / "second.safetensors")["training"]
    assert card["photos_per_source"] == {"bsds500": 3, "somepackage": 2, "b": 1}
    assert list(card["research_use_only"]) == ["bsds500"]
    assert card["total_crops"] == 3 * 2 + 2 * 2
