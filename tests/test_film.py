"""The film-like gray (colorizer.film): its lightness formula against scikit-image, what its draws do,
the training crops that use it, the seeded evaluation input, and validation on several folders."""
import csv

import numpy as np
import torch
from PIL import Image
from skimage.color import rgb2lab

from colorizer.training.data import RandomCrops, ab_statistics, load_photos
from colorizer.evaluation.evaluate import evaluate, gray_rgb, photo_seed
from colorizer.images import load_rgb
from colorizer.evaluation.metrics import psnr_capped
from colorizer.color import luminance_to_l, srgb_to_linear
from colorizer.film import film_lightness
from colorizer.training.config import TrainConfig
from colorizer.training.train import train
from synthetic import landscape

EYE = np.array([0.2126729, 0.7151522, 0.0721750], np.float32)  # sRGB's luminance weights (rgb2xyz's Y row)


def test_lightness_of_the_eyes_weights_is_scikit_images_l():
    rgb = np.random.default_rng(0).integers(0, 256, (40, 50, 3)).astype(np.uint8)
    y = (srgb_to_linear(rgb / 255.0) @ EYE).astype(np.float32)
    np.testing.assert_allclose(luminance_to_l(y), rgb2lab(rgb)[..., 0], atol=0.01)


def test_film_sees_blue_brighter_and_is_repeatable_by_seed():
    blue = np.zeros((32, 32, 3), np.uint8)
    blue[..., 2] = 255  # L* 32: the eye finds pure blue dark, every film of the range much less so
    draws = [film_lightness(blue, np.random.default_rng(k)).mean() for k in range(30)]
    assert np.mean(draws) > rgb2lab(blue)[0, 0, 0] + 10
    rgb = landscape(64, 80, seed=3)
    a, b = film_lightness(rgb, np.random.default_rng(7)), film_lightness(rgb, np.random.default_rng(7))
    assert a.shape == rgb.shape[:2] and a.dtype == np.float32 and np.array_equal(a, b)
    assert 0 <= a.min() and a.max() <= 100
    assert not np.array_equal(a, film_lightness(rgb, np.random.default_rng(8)))


def test_film_crops_change_the_input_only_and_at_the_share_asked(photo_dir):
    photos = load_photos(photo_dir, 128)
    bins = ab_statistics(photos)
    plain = RandomCrops(photos, bins, 32, 48, 96, seed=5)
    film = RandomCrops(photos, bins, 32, 48, 96, seed=5, film=0.5)
    changed = 0
    for i in range(40):
        (L0, ab0, t0), (L1, ab1, t1) = plain[i], film[i]
        assert torch.equal(ab0, ab1) and torch.equal(t0, t1)  # the targets stay the truth's
        assert L1.shape == L0.shape and L1.dtype == L0.dtype
        changed += not torch.equal(L0, L1)
    assert 10 <= changed <= 30
    always = RandomCrops(photos, bins, 32, 48, 96, seed=5, film=1.0)
    assert all(not torch.equal(plain[i][0], always[i][0]) for i in range(10))


def test_evaluate_with_the_film_gray_is_seeded_and_keeps_its_lightness(tmp_path, tiny_model):
    model = str(tiny_model[0] / f"{tiny_model[1]}.safetensors")
    for i in range(2):
        Image.fromarray(landscape(48, 64, seed=40 + i)).save(tmp_path / f"p{i}.png")
    lstar = evaluate([tmp_path], [model], [0.5], size=64)
    film = evaluate([tmp_path], [model], [0.5], size=64, gray="film")
    again = evaluate([tmp_path], [model], [0.5], size=64, gray="film")
    psnr = [s.psnr for s in film.baseline.scores]
    assert psnr == [s.psnr for s in again.baseline.scores]
    assert psnr != [s.psnr for s in lstar.baseline.scores]  # the gray baseline is the film gray itself
    # the gray baseline is the film gray of the photo, drawn from the seed of its name
    path = sorted(tmp_path.glob("*.png"))[0]
    rgb = load_rgb(path)
    L = film_lightness(rgb, np.random.default_rng(photo_seed(path)))
    assert film.baseline.scores[0].psnr == psnr_capped(gray_rgb(L), rgb)


def test_each_validation_folder_is_logged_apart(photo_dir, tmp_path):
    folders = []
    for name in ("val-a", "val-b"):
        d = tmp_path / name
        d.mkdir()
        Image.fromarray(landscape(48, 64, seed=len(folders) + 60)).save(d / "v.png")
        folders.append(str(d))
    run = tmp_path / "run"
    train(TrainConfig(data=str(photo_dir), run=str(run), steps=2, encoder="design", width=8, activation="relu",
                      crop=32, batch=2, min_side=48, max_side=96, photo_side=128, warmup=1, workers=0,
                      val=folders, val_each=True, val_every=2, val_side=64, film=0.5))
    with open(run / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    last = rows[-1]
    assert last["val_psnr"] and last["val-b.psnr"] and last["val-b.auc_rebal"]
    assert "val-a.psnr" not in last  # the first folder's figures are the val_* columns
    assert last["val_psnr"] != last["val-b.psnr"]
    assert (run / "best.pt").exists()


def test_a_sepia_scan_is_colorized_from_its_lightness_alone(lite_model_path):
    from colorizer import Colorizer
    from colorizer.color import lab_to_rgb, rgb_to_lab
    L = rgb_to_lab(landscape(64, 96, seed=9))[..., 0]
    sepia = lab_to_rgb(np.stack([L, np.full_like(L, 4.0), np.full_like(L, 18.0)], axis=2))  # a warm-toned print
    gray = lab_to_rgb(np.stack([L, np.zeros_like(L), np.zeros_like(L)], axis=2))
    model = Colorizer.load(lite_model_path)
    a, b = model.predict(sepia), model.predict(gray)
    assert np.abs(a.L - rgb_to_lab(sepia)[..., 0]).max() < 0.05  # the output keeps the scan's lightness
    assert np.abs(a.L - b.L).max() < 1.0  # its tint is not an input: only 8-bit rounding differs
    assert np.abs(a.ab(0.5) - b.ab(0.5)).mean() < 1.0
    assert np.abs(rgb_to_lab(model.colorize(sepia, 0.5))[..., 1:] - a.ab(0.5)).mean() < 3.0


def test_a_card_names_the_broad_data_sets_with_their_terms():
    from colorizer.training.provenance import training_sources
    stages = [{"sources": {"photos/scenes": {"bsds500": 500}},
               "checkpoint": "a"},
              {"sources": {"photos/broad": {"tf-flower-photos": 2669, "imagenet-sample": 795, "people-web": 800}},
               "checkpoint": "b"}]
    named = training_sources(stages)
    assert named["photos_per_source"] == {"tf-flower-photos": 2669, "people-web": 800, "imagenet-sample": 795,
                                          "bsds500": 500}
    assert set(named["research_use_only"]) == {"bsds500", "imagenet-sample", "people-web"}
    assert "CC-BY 2.0" in named["licensed_datasets"]["tf-flower-photos"]
