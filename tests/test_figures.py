import numpy as np
import pytest
from PIL import Image

from colorizer.bins import GRID, N_CELLS, ABBins, rebalance_weights
from colorizer.cli import main
from colorizer.evaluation.figures import class_palette, model_bins, on_grid, panel_of, read_metrics, smooth, x_values

METRICS = """step,elapsed_s,lr,loss,crops_per_s,val_loss,val_psnr,val_ab_err,val_auc,val_auc_rebal
1,1.0,0.001,4.5,10,,,,,
2,2.0,0.002,4.1,10,3.9,20.1,15.0,85.0,60.0
3,3.0,0.002,3.8,10,,,,,
3,3.5,0.002,3.7,10,,,,,
4,4.0,0.002,3.5,10,3.2,21.0,13.0,87.0,63.0
5,5.0,0.0
"""


def assert_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < 1_000_000
    with Image.open(path) as im:
        im.verify()


def test_model_figures_are_written(tiny_model, tmp_path, capsys):
    weights, name = tiny_model
    main(["figures", "--model", str(weights / f"{name}.safetensors"), "--out", str(tmp_path)])
    names = ["palette.png", "prior.png", "rebalancing_weights.png"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == names
    out = capsys.readouterr().out
    for n in names:
        assert_png(tmp_path / n)
        assert f"wrote {tmp_path / n}" in out


def test_palette_fills_exactly_the_occupied_cells():
    counts = np.zeros(N_CELLS, np.int64)
    centre = (GRID // 2) * GRID + GRID // 2  # the cell around a = b = 0
    counts[[centre, 3, 200]] = [100, 5, 1]
    bins = ABBins.from_counts(counts)
    rgba = class_palette(bins)
    assert rgba.shape == (GRID, GRID, 4)
    assert set(np.flatnonzero(rgba[..., 3].ravel())) == {3, centre, 200}
    neutral = rgba[GRID // 2, GRID // 2, :3]  # a mid gray at L = 50
    assert np.ptp(neutral) < 0.02 and 0.4 < neutral[0] < 0.55


def test_weights_on_grid_are_normalised(tiny_model):
    weights, name = tiny_model
    bins, _ = model_bins(weights / f"{name}.safetensors")
    for lam in (0.0, 0.5, 1.0):
        w = rebalance_weights(bins.prior, lam)
        assert (bins.prior * w).sum() == pytest.approx(1.0, rel=1e-5)
        grid = on_grid(bins, w)
        assert np.isnan(grid).sum() == GRID * GRID - bins.Q


def test_training_curves_from_runs(tmp_path, capsys):
    run = tmp_path / "run_a"
    run.mkdir()
    (run / "metrics.csv").write_text(METRICS)
    m = read_metrics(run)
    # the repeated step 3 (a resumed run) keeps its later row; the torn last line is read as far as it goes
    np.testing.assert_array_equal(m["loss"][0], [1, 2, 3, 4])
    assert m["loss"][1][2] == pytest.approx(3.7)
    np.testing.assert_array_equal(m["val_auc"][0], [2, 4])
    out = tmp_path / "figs"
    main(["figures", "--runs", str(run), str(tmp_path / "no_such_run"), "--out", str(out)])
    assert "no_such_run" in capsys.readouterr().err
    assert_png(out / "training_curves.png")


def test_curves_against_crops_and_minutes(tmp_path, capsys):
    run = tmp_path / "run_b"
    run.mkdir()
    (run / "metrics.csv").write_text(METRICS)
    (run / "config.json").write_text('{"batch": 16, "processes": 2}')
    m = read_metrics(run)
    steps = np.array([2, 4])
    np.testing.assert_allclose(x_values(run, m, "crops")(steps), [0.064, 0.128])  # thousands of crops
    # a run restarted from a candidate goes on from the crops its recipe had seen
    np.testing.assert_allclose(x_values(run, m, "crops", crops_before=81552)(steps), [81.616, 81.68])
    np.testing.assert_allclose(x_values(run, m, "minutes")(steps), [2.0 / 60, 4.0 / 60])
    no_config = tmp_path / "run_c"  # a run folder without config.json is skipped, with a message
    no_config.mkdir()
    (no_config / "metrics.csv").write_text(METRICS)
    out = tmp_path / "figs"
    main(["figures", "--runs", str(run), str(no_config), "--out", str(out), "--x", "crops", "--name", "by_crops.png"])
    assert "run_c" in capsys.readouterr().err
    assert_png(out / "by_crops.png")
    assert not (out / "training_curves.png").exists()


def test_figures_needs_model_or_runs(tmp_path):
    with pytest.raises(SystemExit):
        main(["figures", "--out", str(tmp_path)])


def test_smooth_is_a_trailing_mean():
    np.testing.assert_allclose(smooth(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(smooth(np.array([2.0, 4.0]), 1), [2.0, 4.0])


def test_curves_of_val_folders_logged_apart(tmp_path):
    assert panel_of("val_psnr") == ("val_psnr", None)
    assert panel_of("val-broad.auc_rebal") == ("val_auc_rebal", "val-broad")
    run = tmp_path / "run_d"
    run.mkdir()
    (run / "metrics.csv").write_text("step,loss,val_psnr,val-broad.psnr,val-scenes.psnr\n"
                                     "1,3.0,,,\n2,2.5,22.1,20.9,25.8\n3,2.4,,,\n4,2.3,22.4,21.3,26.0\n")
    m = read_metrics(run)
    np.testing.assert_array_equal(m["val-broad.psnr"][1], [20.9, 21.3])
    main(["figures", "--runs", str(run), "--out", str(tmp_path / "figs")])
    assert_png(tmp_path / "figs" / "training_curves.png")
