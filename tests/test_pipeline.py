"""Colorizing at full resolution, decoding again, devices, and writing results without overwriting."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import colorizer.output as output
from colorizer import Colorizer, colorize_paths, save_outputs
from colorizer.color import l_to_gray, rgb_to_lab
from colorizer.decode import annealed_mean
from colorizer.output import OutputFolderError
from colorizer.pipeline import network_side, network_size
from colorizer.temperature import TemperatureError
from synthetic import landscape


@pytest.fixture(scope="module")
def col(tiny_model):
    weights, name = tiny_model
    return Colorizer.load(weights / f"{name}.safetensors", device="cpu")


@pytest.mark.parametrize("h,w", [(96, 128), (37, 53), (1, 1), (1, 300), (300, 1), (16, 16), (17, 250)])
def test_network_size_multiples_of_16_longer_side_256(h, w):
    nh, nw = network_size(h, w)
    assert nh % 16 == 0 and nw % 16 == 0 and nh >= 16 and nw >= 16
    assert max(nh, nw) == 256
    assert network_size(h, w, 128)[0] <= 128 and max(network_size(h, w, 128)) == 128


def test_the_network_never_sees_a_photo_larger_than_it_is(col):
    assert network_side(150, 150) == 160 and network_side(250, 180) == 256 and network_side(3000, 4000) == 256
    assert network_side(3000, 4000, 320) == 320 and network_side(20, 9) == 32
    small = col.predict(landscape(150, 120, seed=1))
    assert small.logits.shape[1:] == network_size(150, 120, 160) == (160, 128)
    large = col.predict(landscape(600, 800, seed=1))
    assert max(large.logits.shape[1:]) == col.size == 256


@pytest.mark.parametrize("h,w", [(37, 53), (1, 1), (1, 40), (40, 1), (16, 16), (250, 17)])
def test_output_has_the_input_size(col, h, w):
    rgb = landscape(max(h, 2), max(w, 2), seed=h * w)[:h, :w]
    pred = col.predict(rgb)
    nh, nw = network_size(h, w, network_side(h, w, col.size))
    assert pred.logits.shape == (col.bins.Q, nh, nw)
    out = pred.decode(0.38)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    assert pred.gray().shape == (h, w)


def test_full_resolution_keeps_the_photos_own_lightness(col):
    """The network sees 256 px; the output must still carry the photo's detail: its own L at full size."""
    rgb = landscape(900, 1300, seed=7)
    rgb[::2] = rgb[::2] // 2  # one-pixel stripes, far finer than the network's 256 px can see
    pred = col.predict(rgb)
    out = pred.decode(0.38)
    assert out.shape == rgb.shape
    L_in, L_out = rgb_to_lab(rgb)[..., 0], rgb_to_lab(out)[..., 0]
    err = np.abs(L_out - L_in)
    assert np.median(err) < 0.5 and np.percentile(err, 99) < 3  # sRGB rounding and gamut clipping only
    assert np.abs(np.diff(L_out[:, 600], axis=0)).mean() > 10  # the stripes are there
    assert np.array_equal(pred.gray(), l_to_gray(pred.L))


def test_ab_is_the_network_resolution_result_resized(col):
    """Decoding is numpy (torch-free); upscaled to the photo's size, it is what torch's decode and bilinear
    interpolation give (with bilinear upsampling; the guided default is tested in test_upsample.py)."""
    pred = col.predict(landscape(300, 420, seed=3))
    pred.upsampling = "bilinear"
    assert isinstance(pred.logits, np.ndarray) and pred.logits.dtype == np.float32
    small = annealed_mean(torch.from_numpy(pred.logits)[None], torch.from_numpy(pred.centres), 0.5)
    expected = F.interpolate(small, size=(300, 420), mode="bilinear", align_corners=False)[0].permute(1, 2, 0)
    assert np.allclose(pred.ab(0.5), expected.numpy(), atol=1e-3)
    assert pred.ab(0.5, (5, 7)).shape == (5, 7, 2)


def test_decoding_again_needs_no_network_pass(col):
    img = landscape(60, 90, seed=8)
    pred = col.predict(img)
    passes = col.network_passes
    pred.decode(1.0)
    b, c = pred.decode(0.1), pred.decode(0)
    assert col.network_passes == passes
    assert not np.array_equal(pred.ab(1.0), pred.ab(0.1))
    assert np.array_equal(b, col.colorize(img, 0.1)) and np.array_equal(c, col.colorize(img, 0))
    assert col.network_passes == passes + 2
    preview = pred.decode(0.38, max_side=30)
    assert preview.shape == (20, 30, 3)


def test_colour_input_is_colorized_from_its_lightness_only(col):
    rgb = landscape(64, 96, seed=9)
    gray = l_to_gray(rgb_to_lab(rgb)[..., 0])
    from_colour, from_gray = col.colorize(rgb, 0.38), col.colorize(gray, 0.38)
    # the same L up to the gray copy's 8-bit rounding: the same result within a level or two
    assert np.abs(from_colour.astype(int) - from_gray.astype(int)).mean() < 1.0


def test_loaded_model_is_on_the_device_in_eval_mode(col):
    assert col.device == torch.device("cpu") and not col.model.training
    assert all(p.device.type == "cpu" for p in col.model.parameters())


# --- writing results ----------------------------------------------------------------------------------

def test_save_outputs_full_size_metadata_and_no_overwrite(col, tmp_path):
    src = tmp_path / "in" / "valley.jpg"
    src.parent.mkdir()
    Image.fromarray(landscape(45, 67, seed=11)).save(src, quality=95)
    pred = col.predict(src)
    first = save_outputs(pred, 0.42, tmp_path / "out")
    assert first["gray"].name == "valley_gray.png" and first["color"].name == "valley_color.png"
    with Image.open(first["color"]) as im:
        assert im.size == (67, 45) and im.mode == "RGB"
        assert im.text["colorizer:model"] == "tiny" and im.text["colorizer:temperature"] == "0.42"
        assert im.text["colorizer:source"] == str(src)
    with Image.open(first["gray"]) as im:
        assert im.size == (67, 45) and im.mode == "L"
        assert "colorizer:model" not in im.text and "colorizer:temperature" not in im.text
        assert im.text["colorizer:source"] == str(src)
        assert np.array_equal(np.asarray(im), pred.gray())
    before = {p: p.read_bytes() for p in (first["gray"], first["color"])}
    second = save_outputs(pred, 0.2, tmp_path / "out")
    third = save_outputs(pred, 0.2, tmp_path / "out")
    assert second["color"].name == "valley_color-1.png" and second["gray"].name == "valley_gray-1.png"
    assert third["color"].name == "valley_color-2.png"
    assert all(p.read_bytes() == b for p, b in before.items())


def test_an_existing_colour_file_alone_moves_both_names(col, tmp_path):
    (tmp_path / "x_color.png").write_bytes(b"someone else's file")
    out = save_outputs(col.predict(landscape(20, 20)), 0.38, tmp_path, stem="x")
    assert out["color"].name == "x_color-1.png" and out["gray"].name == "x_gray-1.png"
    assert not (tmp_path / "x_gray.png").exists()
    assert (tmp_path / "x_color.png").read_bytes() == b"someone else's file"


def test_name_taken_between_check_and_write_leaves_no_orphan(col, tmp_path, monkeypatch):
    """Another writer creates x_color.png after the free-name check: ours go to -1, no stray gray file."""
    real = output.free_output_paths
    calls = []

    def racing(out_dir, stem, ext="png"):
        paths = real(out_dir, stem, ext)
        if not calls:
            paths[1].write_bytes(b"the other writer's")
        calls.append(paths)
        return paths

    monkeypatch.setattr(output, "free_output_paths", racing)
    out = save_outputs(col.predict(landscape(20, 20)), 0.38, tmp_path, stem="x")
    assert len(calls) == 2 and out["color"].name == "x_color-1.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_color-1.png", "x_color.png", "x_gray-1.png"]
    assert (tmp_path / "x_color.png").read_bytes() == b"the other writer's"


def test_failed_write_leaves_nothing_behind(col, tmp_path, monkeypatch):
    def disk_full(self, fp, *a, **kw):
        fp.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")

    pred = col.predict(landscape(20, 20))
    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_outputs(pred, 0.38, tmp_path, stem="x")
    assert list(tmp_path.iterdir()) == []


def test_colorize_paths_reports_bad_files_and_carries_on(col, tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    Image.fromarray(landscape(30, 40, seed=1)).save(d / "a.png")
    (d / "b.jpg").write_bytes(b"")
    Image.fromarray(landscape(33, 21, seed=2)).save(d / "sub" / "c.jpg")
    results = list(colorize_paths(col, [d], tmp_path / "out", temperature=0.3, keep_predictions=True))
    by_name = {Path(r.source).name: r for r in results}
    assert sorted(by_name) == ["a.png", "b.jpg", "c.jpg"]
    assert "empty" in by_name["b.jpg"].error and by_name["b.jpg"].outputs is None
    assert by_name["a.png"].error is None and by_name["a.png"].prediction is not None
    with Image.open(by_name["c.jpg"].outputs["color"]) as im:
        assert im.size == (21, 33) and im.text["colorizer:temperature"] == "0.3"


def test_output_folder_inside_input_folder_is_not_read_again(col, tmp_path):
    Image.fromarray(landscape(30, 40, seed=1)).save(tmp_path / "a.png")
    list(colorize_paths(col, [tmp_path], tmp_path / "out"))
    again = list(colorize_paths(col, [tmp_path], tmp_path / "out"))
    assert [r.source for r in again] == [str(tmp_path / "a.png")]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a_color-1.png", "a_color.png", "a_gray-1.png", "a_gray.png"]


def test_should_stop_ends_the_batch(col, tmp_path):
    for i in range(3):
        Image.fromarray(landscape(20, 20, seed=i)).save(tmp_path / f"{i}.png")
    done = []
    for r in colorize_paths(col, [tmp_path], tmp_path / "out", should_stop=lambda: len(done) >= 1):
        done.append(r)
    assert len(done) == 1


@pytest.mark.parametrize("t", [float("nan"), -1, -float("inf"), float("inf"), 1e9, 1.0001, "0.5", True])
def test_the_python_api_takes_the_range_the_command_line_takes(col, tmp_path, t):
    """0..1, as the command line and a card (issue 35: NaN crashed, -1 gave T = 0, inf the greyish mean)."""
    pred = col.predict(landscape(20, 30, seed=1))
    with pytest.raises(TemperatureError, match=r"temperature .* (is outside 0\.\.1|is not a number)"):
        pred.decode(t)
    with pytest.raises(TemperatureError):
        col.colorize(landscape(20, 30, seed=1), t)
    Image.fromarray(landscape(20, 30, seed=1)).save(tmp_path / "a.png")
    with pytest.raises(TemperatureError):
        list(colorize_paths(col, [tmp_path / "a.png"], tmp_path / "out", t))
    assert not (tmp_path / "out").exists()
    assert pred.decode(0).shape == pred.decode(1).shape == (20, 30, 3)  # the ends are in


def test_an_output_folder_that_cannot_be_written_stops_the_batch_before_the_first_photo(col, tmp_path):
    Image.fromarray(landscape(20, 30, seed=1)).save(tmp_path / "a.png")
    passes = col.network_passes
    with pytest.raises(OutputFolderError, match=r"a\.png: not a folder"):
        list(colorize_paths(col, [tmp_path], tmp_path / "a.png"))
    assert col.network_passes == passes
