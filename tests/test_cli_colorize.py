"""`colorizer colorize`: files and folders, full-size outputs, broken files, exit codes, no overwriting."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer.cli import main
from synthetic import landscape

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def model(tiny_model):
    weights, name = tiny_model
    return str(weights / f"{name}.safetensors")


@pytest.fixture
def inputs(tmp_path):
    """A folder with good photos (one in a subfolder, odd sizes) and broken ones."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    Image.fromarray(landscape(37, 53, seed=1)).save(d / "odd.png")
    Image.fromarray(landscape(60, 40, seed=2)).save(d / "sub" / "tall.jpg", quality=90)
    Image.new("RGB", (1, 1), (90, 90, 90)).save(d / "dot.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 60 wide and 40 tall; shown rotated: 40 wide, 60 tall
    Image.fromarray(landscape(40, 60, seed=6)).save(d / "turned.jpg", exif=exif.tobytes())
    (d / "zero.jpg").write_bytes(b"")
    good = (d / "sub" / "tall.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(good[:len(good) // 2])
    (d / "letter.jpg").write_text("Dear user, this is not a photo.\n")
    return d


def run_cli(*args):
    """main() in this process: -> (exit code, stderr)."""
    with pytest.raises(SystemExit) as e:
        main(["colorize", *map(str, args)])
    code = e.value.code
    return (0 if code is None else code if isinstance(code, int) else 1), code


def outputs(out) -> list:
    return sorted(p.name for p in Path(out).iterdir())


def test_command_line_run(model, inputs, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "colorizer", "colorize", str(inputs), "--model", model,
                           "--temperature", "0.5", "--out", str(out), "--device", "cpu"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for name, reason in [("zero.jpg", "empty"), ("truncated.jpg", "truncated"), ("letter.jpg", "not an image")]:
        assert any(str(inputs / name) in e and reason in e for e in errors), (name, errors)
    assert "3 of 7 image(s) failed" in done.stderr
    assert outputs(out) == ["dot_color.png", "dot_gray.png", "odd_color.png", "odd_gray.png",
                            "tall_color.png", "tall_gray.png", "turned_color.png", "turned_gray.png"]
    for stem, size in [("odd", (53, 37)), ("tall", (40, 60)), ("dot", (1, 1)), ("turned", (40, 60))]:
        with Image.open(out / f"{stem}_color.png") as im:
            assert im.size == size and im.mode == "RGB"
            assert im.text["colorizer:temperature"] == "0.5" and im.text["colorizer:model"] == "tiny"
        with Image.open(out / f"{stem}_gray.png") as im:
            assert im.size == size and im.mode == "L"


def test_second_run_never_overwrites(model, tmp_path, capsys):
    src = tmp_path / "scene.jpg"
    Image.fromarray(landscape(48, 64, seed=3)).save(src, quality=92)
    out = tmp_path / "out"
    assert run_cli(src, "--model", model, "--out", out)[0] == 0
    first = {n: (out / n).read_bytes() for n in outputs(out)}
    assert run_cli(src, "--model", model, "--out", out, "--temperature", "0.1")[0] == 0
    assert run_cli(src, "--model", model, "--out", out, "--temperature", "0")[0] == 0
    assert outputs(out) == ["scene_color-1.png", "scene_color-2.png", "scene_color.png",
                            "scene_gray-1.png", "scene_gray-2.png", "scene_gray.png"]
    assert all((out / n).read_bytes() == b for n, b in first.items())
    temps = []
    for n in ["scene_color.png", "scene_color-1.png", "scene_color-2.png"]:
        with Image.open(out / n) as im:
            temps.append(im.text["colorizer:temperature"])
    assert temps == ["0.38", "0.1", "0"]  # the model card's default first
    assert "scene_color-2.png" in capsys.readouterr().err


def test_a_file_and_a_folder_together(model, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    code, _ = run_cli(inputs / "sub", inputs / "odd.png", "--model", model, "--out", out)
    assert code == 0
    assert outputs(out) == ["odd_color.png", "odd_gray.png", "tall_color.png", "tall_gray.png"]


def test_decompression_bomb_is_reported_and_the_rest_carry_on(model, tmp_path, monkeypatch, capsys):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(landscape(80, 100, seed=4)).save(d / "big.png")
    Image.fromarray(landscape(20, 30, seed=5)).save(d / "small.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # 8000 pixels: over twice the limit; 600 is fine
    code, _ = run_cli(d, "--model", model, "--out", tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: {d / 'big.png'}" in err and "decompression-bomb" in err
    assert outputs(tmp_path / "out") == ["small_color.png", "small_gray.png"]


def test_missing_file_named_on_the_command_line(model, tmp_path, capsys):
    code, _ = run_cli(tmp_path / "nothere.jpg", "--model", model, "--out", tmp_path / "out")
    assert code == 1 and f"{tmp_path / 'nothere.jpg'}: file not found" in capsys.readouterr().err


def test_empty_folder_is_an_error(model, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _ = run_cli(tmp_path / "empty", "--model", model, "--out", tmp_path / "out")
    assert code == 1 and "no images found" in capsys.readouterr().err


@pytest.mark.parametrize("damage,words", [
    (lambda p: p.write_bytes(p.read_bytes()[:100]), "corrupt"),
    (lambda p: p.with_suffix(".json").unlink(), "not found"),
    (lambda p: p.with_suffix(".json").write_text("{{{"), "not valid JSON"),
])
def test_bad_model_is_a_clear_message(tiny_model, tmp_path, damage, words):
    weights, name = tiny_model
    for ext in ("safetensors", "json"):
        (tmp_path / f"m.{ext}").write_bytes((weights / f"{name}.{ext}").read_bytes())
    damage(tmp_path / "m.safetensors")
    Image.fromarray(landscape(20, 20)).save(tmp_path / "a.png")
    code, message = run_cli(tmp_path / "a.png", "--model", tmp_path / "m.safetensors", "--out", tmp_path / "out")
    assert code == 1 and message.startswith("colorizer: ") and words in message
    assert not (tmp_path / "out").exists()


def test_unknown_model_name(tmp_path):
    code, message = run_cli(tmp_path, "--model", "no-such-model", "--out", tmp_path / "out")
    assert code == 1 and "no model named 'no-such-model'" in message


def test_cuda_asked_for_without_cuda(model, tmp_path, monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, message = run_cli(tmp_path, "--model", model, "--out", tmp_path / "out", "--device", "cuda")
    assert code == 1 and "CUDA" in message


def test_size_option_sets_the_network_input(model, tmp_path, monkeypatch):
    import colorizer.pipeline as pipeline
    seen = []
    real = pipeline.network_size
    monkeypatch.setattr(pipeline, "network_size",
                        lambda h, w, side=256, multiple=16: seen.append(side) or real(h, w, side, multiple))
    Image.fromarray(landscape(300, 400)).save(tmp_path / "a.png")  # larger than 128: not capped
    assert run_cli(tmp_path / "a.png", "--model", model, "--out", tmp_path / "out", "--size", "128")[0] == 0
    assert seen == [128]
    with Image.open(tmp_path / "out" / "a_color.png") as im:
        assert im.size == (400, 300) and np.asarray(im).std() > 0


@pytest.mark.parametrize("size, words", [("0", "outside 16..2048"), ("-256", "outside 16..2048"),
                                         ("100000", "outside 16..2048"), ("big", "not a whole number")])
def test_size_out_of_range_is_refused_before_any_work(tmp_path, capsys, size, words):
    Image.fromarray(landscape(30, 40)).save(tmp_path / "a.png")
    code, _ = run_cli(tmp_path / "a.png", "--model", "natural", "--out", tmp_path / "out", "--size", size)
    assert code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt, ext", [("jpeg", "jpg"), ("webp", "webp")])
def test_format_quality_and_metadata_options(model, tmp_path, fmt, ext):
    src = tmp_path / "cam.jpg"
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "Konica"  # turned; the camera's make
    Image.fromarray(landscape(40, 60, seed=7)).save(src, exif=exif.tobytes(), dpi=(300, 300))
    out = tmp_path / "out"
    assert run_cli(src, "--model", model, "--out", out, "--format", fmt, "--quality", "70")[0] == 0
    assert run_cli(src, "--model", model, "--out", out, "--format", fmt, "--strip-metadata")[0] == 0
    assert run_cli(src, "--model", model, "--out", out, "--format", fmt, "--quality", "95")[0] == 0
    assert outputs(out) == [f"cam_color-1.{ext}", f"cam_color-2.{ext}", f"cam_color.{ext}",
                            f"cam_gray-1.{ext}", f"cam_gray-2.{ext}", f"cam_gray.{ext}"]
    sizes = {}
    for name in ("cam_color", "cam_color-1", "cam_color-2"):
        with Image.open(out / f"{name}.{ext}") as im:
            assert im.format == fmt.upper() and im.size == (40, 60)
            exif = im.getexif()
            assert "model tiny" in exif[0x010E]
            sizes[name] = (out / f"{name}.{ext}").stat().st_size
            if name == "cam_color-1":
                assert 0x010F not in exif and 0x0112 not in exif
            else:
                assert exif[0x010F] == "Konica" and exif[0x0112] == 1
    assert sizes["cam_color"] < sizes["cam_color-2"]  # quality 70 against 95


@pytest.mark.parametrize("args, words", [(["--format", "gif"], "invalid choice"),
                                         (["--quality", "0"], "outside 1..100"),
                                         (["--quality", "high"], "not a whole number")])
def test_bad_format_or_quality_is_refused_before_any_work(tmp_path, capsys, args, words):
    Image.fromarray(landscape(30, 40)).save(tmp_path / "a.png")
    code, _ = run_cli(tmp_path / "a.png", "--model", "natural", "--out", tmp_path / "out", *args)
    assert code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unusable_colour_profile_is_a_warning_line(model, tmp_path, capsys):
    Image.fromarray(landscape(30, 40)).save(tmp_path / "odd.png", icc_profile=b"not a profile")
    code, _ = run_cli(tmp_path / "odd.png", "--model", model, "--out", tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 0 and f"warning: {tmp_path / 'odd.png'}: its embedded ICC profile cannot be read" in err
    assert outputs(tmp_path / "out") == ["odd_color.png", "odd_gray.png"]
