import json

import numpy as np
import pytest
from PIL import Image

from colorizer import Colorizer
from colorizer.cli import main
from colorizer.color import rgb_to_lab
from colorizer.evaluation.evaluate import evaluate
from colorizer.evaluation.previews import Previews, write_figures
from colorizer.images import find_images, load_rgb
from colorizer.evaluation.metrics import (AUC_THRESHOLDS, HUE_KEYS, ab_error, auc, auc_from_histogram,
                                          cell_rebalancing_weights, colourfulness, error_histogram, hue_counts,
                                          hue_rates, psnr, psnr_capped, rebalancing_pixel_weights)

FIGURE_KEYS = {"psnr", "ab_error", "auc", "auc_rebalanced", "colourfulness", "colourfulness_ratio", *HUE_KEYS}


def random_ab(shape, seed=0):
    return np.random.default_rng(seed).uniform(-60, 60, shape + (2,)).astype(np.float32)


# --- metrics on known inputs -----------------------------------------------------------------------------

def test_perfect_prediction_scores_auc_100_and_error_0():
    ab = random_ab((20, 30))
    e = ab_error(ab, ab)
    assert e.max() == 0
    assert auc(e) == pytest.approx(100.0)
    hist, total = error_histogram(ab, ab)
    assert total == 0
    assert auc_from_histogram(hist) == pytest.approx(100.0)
    assert auc_from_histogram(hist, cell_rebalancing_weights(hist.sum(1))) == pytest.approx(100.0)


def test_constant_offset_gives_its_length_as_error():
    # integer ab values, so that truth + (3, 4) - truth is exactly (3, 4): every error is 5
    truth = np.random.default_rng(0).integers(-60, 60, (16, 16, 2)).astype(np.float32)
    pred = truth + np.array([3.0, 4.0], np.float32)
    e = ab_error(pred, truth)
    np.testing.assert_array_equal(e, 5.0)
    # the CDF is 0 below 5 and 1 from 5 on: 146 of the 151 thresholds 0..150
    expected = 100.0 * 146 / 151
    assert auc(e) == pytest.approx(expected)
    hist, total = error_histogram(pred, truth)
    assert total / e.size == pytest.approx(5.0)
    assert auc_from_histogram(hist) == pytest.approx(expected)
    assert auc_from_histogram(hist, cell_rebalancing_weights(hist.sum(1))) == pytest.approx(expected)


def test_histogram_auc_matches_pixel_auc():
    """The histogram route gives exactly what `auc` gives on the pixels, plain and rebalanced."""
    truth, pred = random_ab((40, 50), 1), random_ab((40, 50), 2)
    hist, total = error_histogram(pred, truth, rows_per_band=7)  # bands must not change anything
    e = ab_error(pred, truth)
    assert total == pytest.approx(e.sum())
    assert hist.sum() == e.size
    assert auc_from_histogram(hist) == pytest.approx(auc(e), abs=1e-9)
    w = cell_rebalancing_weights(hist.sum(1))
    assert auc_from_histogram(hist, w) == pytest.approx(auc(e, rebalancing_pixel_weights(truth)), abs=1e-9)
    assert len(AUC_THRESHOLDS) == 151


def test_banded_psnr_and_colourfulness_match_the_plain_formulas():
    rng = np.random.default_rng(3)
    a, b = (rng.integers(0, 256, (70, 40, 3), dtype=np.uint8) for _ in range(2))
    assert psnr_capped(a, b, rows_per_band=9) == pytest.approx(psnr(a, b), rel=1e-9)
    assert psnr_capped(a, a) == 100.0  # identical: capped, not inf
    r, g, bl = (a[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - bl
    expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert colourfulness(a, rows_per_band=11) == pytest.approx(expected, rel=1e-9)
    assert colourfulness(np.full((5, 5, 3), 128, np.uint8)) == 0.0


# --- the evaluate command ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def colorizer(tiny_model):
    weights, name = tiny_model
    return Colorizer.load(weights / f"{name}.safetensors", device="cpu")


def test_hue_agreement_counts_green_and_blue_pixels_of_the_truth():
    truth = np.zeros((100, 10, 2), np.float32)
    truth[:40] = [-20, 25]  # foliage: 40 % of the pixels
    truth[40:70] = [0, -30]  # sky: 30 %
    pred = np.zeros_like(truth)  # gray: neither hue
    pred[:10] = [-5, 20]  # green
    pred[10:20] = [10, 20]  # red-brown
    pred[40:70:3] = [0, -4]  # every third sky row blue, the others gray (olive-free, hueless)
    pred[41:70:3] = [0, 6]  # and yellow
    counts = hue_counts(pred, truth, rows_per_band=7)
    assert counts.tolist() == [1000, 400, 100, 100, 300, 100, 100]
    rates = hue_rates(counts)
    assert rates == pytest.approx({"green_as_green": 25, "green_as_red": 25, "blue_as_blue": 100 / 3,
                                   "blue_as_yellow": 100 / 3})
    # a photo in which green covers under 1 % does not count for green; one without blue gives nan
    sparse = hue_counts(np.full((200, 10, 2), -9, np.float32), np.pad(truth[:1, :1], ((0, 199), (0, 9), (0, 0))))
    assert sparse[1] == 1
    assert hue_rates(np.stack([counts, sparse]))["green_as_green"] == pytest.approx(25)
    assert np.isnan(hue_rates(sparse)["green_as_green"]) and np.isnan(hue_rates(sparse)["blue_as_blue"])
    assert hue_rates(hue_counts(np.zeros_like(truth), truth)) == {k: 0 for k in HUE_KEYS}  # the gray baseline


def test_gray_baseline_error_is_the_mean_ab_magnitude(photo_dir, colorizer):
    files = find_images([photo_dir])[:4]
    ev = evaluate(files, [colorizer], temperatures=[0.38])
    base = ev.summaries()["gray"][None]
    # ab = 0 predicted: the error of a pixel is |ab| of the truth; every photo counts equally
    expected = np.mean([np.hypot(*np.moveaxis(rgb_to_lab(load_rgb(f))[..., 1:], -1, 0)).mean() for f in files])
    assert base["ab_error"] == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(base["psnr"]) and 5 < base["psnr"] < 60
    assert base["colourfulness_ratio"] == pytest.approx(0.0, abs=1e-9)  # gray has no colour
    model = ev.summaries()[colorizer.card["id"]][0.38]
    assert set(model) == FIGURE_KEYS and all(np.isfinite(v) for v in model.values())
    assert 0 <= model["auc"] <= 100 and 0 <= model["auc_rebalanced"] <= 100


def test_network_runs_once_per_photo_whatever_the_temperatures(photo_dir, colorizer):
    files = find_images([photo_dir])[:3]
    before = colorizer.network_passes
    ev = evaluate(files, [colorizer], temperatures=[0.0, 0.2, 0.38, 1.0])
    assert colorizer.network_passes - before == 3
    s = ev.summaries()[colorizer.card["id"]]
    assert list(s) == [0.0, 0.2, 0.38, 1.0]
    assert s[0.0]["colourfulness"] != s[1.0]["colourfulness"]  # the decodes do differ


def test_cli_writes_json_and_figures_and_skips_a_broken_file(photo_dir, tiny_model, tmp_path, capsys):
    weights, name = tiny_model
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for f in find_images([photo_dir])[:3]:
        Image.open(f).save(photos / "sub" / (f.split("/")[-1].replace(".jpg", ".png")))
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out_json, fig_dir = tmp_path / "eval.json", photos / "figs"
    fig_dir.mkdir()  # inside the photo folder, with an earlier figure: that must not count as a photo
    Image.new("RGB", (40, 30), (200, 30, 30)).save(fig_dir / "grid.png")
    model = str(weights / f"{name}.safetensors")
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(photos), "--model", model, "--model", model, "--temperature", "0", "0.38",
              "--json", str(out_json), "--figures", str(fig_dir), "--device", "cpu"])
    assert exit_.value.code == 0
    captured = capsys.readouterr()
    assert "broken.jpg" in captured.err
    assert "gray (ab = 0)" in captured.out and "tiny#2" in captured.out

    d = json.loads(out_json.read_text())
    assert d["image_count"] == 3
    assert [s["path"] for s in d["skipped"]] == [str(photos / "broken.jpg")]
    assert set(d["baseline"]) == FIGURE_KEYS
    assert [m["label"] for m in d["models"]] == ["tiny", "tiny#2"]
    for m in d["models"]:
        assert m["default_temperature"] == 0.38
        assert [r["temperature"] for r in m["results"]] == [0.0, 0.38]
        assert all(set(r) == FIGURE_KEYS | {"temperature"} for r in m["results"])
    assert len(d["per_image"]) == 3
    row = d["per_image"][0]
    assert {"path", "height", "width", "truth_colourfulness", "baseline", "models"} <= set(row)
    assert set(row["models"]["tiny"]) == {"0", "0.38"} and set(row["models"]["tiny"]["0"]) == FIGURE_KEYS
    # the same model twice gives the same figures
    assert d["models"][0]["results"] == d["models"][1]["results"]

    pngs = sorted(p.name for p in fig_dir.glob("*.png"))
    assert pngs == ["grid.png", "sweep_tiny.png", "sweep_tiny_2.png"]
    for p in fig_dir.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size < 1_000_000
        with Image.open(p) as im:
            im.verify()


def test_all_files_broken_exits_nonzero(tiny_model, tmp_path, capsys):
    weights, name = tiny_model
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(tmp_path), "--model", str(weights / f"{name}.safetensors"), "--device", "cpu"])
    assert exit_.value.code == 1
    assert "empty.png" in capsys.readouterr().err


def test_previews_sweep_covers_mode_to_mean(photo_dir, colorizer, tmp_path):
    previews = Previews(n_images=2)
    evaluate(find_images([photo_dir])[:3], [colorizer], previews=previews)
    assert sorted(previews.rows) == [0, 1]
    sweep = previews.sweeps[colorizer.card["id"]]
    assert {0.0, 0.38, 1.0} <= set(sweep) and "truth" in sweep
    assert max(sweep[1.0].shape[:2]) <= previews.side
    paths = write_figures(previews, tmp_path)
    assert [p.name for p in paths] == ["grid.png", "sweep_tiny.png"]
