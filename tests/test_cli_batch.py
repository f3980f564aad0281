"""`colorizer colorize` batches that used to break (issue 35): odd file names, the output folder as the
input, temperatures out of range, bad cards, folders that cannot be written, Ctrl-C, resuming, and
the messages of a few easy mistakes. Each checks the exit status, the message and the files left."""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from colorizer.cli import main
from colorizer.shared import sha256_of
from colorizer.weights import WEIGHTS_SHA256
from synthetic import landscape

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def model(tiny_model, tmp_path):
    """A copy of the tiny model, whose card a test may change."""
    weights, name = tiny_model
    d = tmp_path / "model"
    d.mkdir()
    for ext in ("safetensors", "json"):
        shutil.copy(weights / f"{name}.{ext}", d / f"tiny.{ext}")
    return d / "tiny.safetensors"


def photos(folder, names, h=36, w=48) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / n for n in names]
    for i, p in enumerate(paths):
        Image.fromarray(landscape(h, w, seed=i)).save(p)
    return paths


def run(capsys, *args) -> tuple:
    """main() in this process -> (its exit status, argparse's 2 included; what it wrote to stderr, with
    the message it exits with)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["colorize", *map(str, args)])
    code, err = e.value.code, capsys.readouterr().err
    if isinstance(code, str):  # sys.exit(message): Python prints it, exit status 1
        return 1, err + code + "\n"
    return code or 0, err


def names(folder) -> list:
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []


def assert_complete_pairs(folder):
    """Only whole results: every gray copy has its colour copy and the other way round, no .partial."""
    left = names(folder)
    assert not [n for n in left if n.endswith(".partial")], left
    results = [n for n in left if "_gray" in n or "_color" in n]
    assert sorted(n.replace("_gray", "_color") for n in results if "_gray" in n) == \
        sorted(n for n in results if "_color" in n), left


def run_subprocess(*args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "colorizer", "colorize", *map(str, args)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, **kwargs)


# ---- 1. a file name that is not UTF-8 ------------------------------------------------------------------
def test_a_name_that_is_not_utf8_is_colorized_and_the_batch_goes_on(model, tmp_path, capsys):
    src = tmp_path / "in"
    photos(src, ["a.jpg"])
    try:
        photos(src, [os.fsdecode(b"caf\xe9.jpg")])
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system takes only UTF-8 names")
    photos(src, ["z.jpg"])
    status, err = run(capsys, src, "--model", model, "--out", tmp_path / "out")
    assert status == 0, err
    assert [os.fsencode(n) for n in names(tmp_path / "out")] == [
        b"a_color.png", b"a_gray.png", b"caf\xe9_color.png", b"caf\xe9_gray.png", b"z_color.png", b"z_gray.png"]
    assert "error" not in err


# ---- 2. the output folder is the input folder ----------------------------------------------------------
def test_results_kept_beside_the_photos_are_not_colorized_on_the_next_run(model, tmp_path, capsys):
    album = tmp_path / "album"
    photos(album, ["a.jpg", "b.png", "sky_color.jpg"])  # the last: a photo of the user's, named like a result
    status, err = run(capsys, album, "--model", model, "--out", album)
    assert status == 0, err
    status, err = run(capsys, album, "--model", model, "--out", album)
    assert status == 0, err
    assert "3 image(s)" in err  # the photos, not the 6 results of the first run
    assert names(album) == ["a.jpg", "a_color-1.png", "a_color.png", "a_gray-1.png", "a_gray.png",
                            "b.png", "b_color-1.png", "b_color.png", "b_gray-1.png", "b_gray.png",
                            "sky_color.jpg", "sky_color_color-1.png", "sky_color_color.png",
                            "sky_color_gray-1.png", "sky_color_gray.png"]


# ---- 3 and 5. temperatures -----------------------------------------------------------------------------
@pytest.mark.parametrize("t, words", [("nan", "temperature nan is outside 0..1"),
                                      ("-1", "temperature -1 is outside 0..1"),
                                      ("-inf", "temperature -inf is outside 0..1"),
                                      ("inf", "temperature inf is outside 0..1"),
                                      ("1e9", "temperature 1e+09 is outside 0..1"),
                                      ("1.01", "temperature 1.01 is outside 0..1"),
                                      ("hot", "temperature 'hot' is not a number")])
def test_a_temperature_outside_0_to_1_is_refused_before_any_work(model, tmp_path, capsys, t, words):
    photos(tmp_path / "in", ["a.jpg", "b.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out", f"--temperature={t}")
    assert status == 2, err
    assert f"argument --temperature: {words}" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("t", ["0", "1"])
def test_the_ends_of_the_range_are_taken_and_printed(model, tmp_path, capsys, t):
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out", "--temperature", t)
    assert status == 0, err
    assert f"T = {t}," in err
    with Image.open(tmp_path / "out" / "a_color.png") as im:
        assert im.text["colorizer:temperature"] == t


# ---- 4. a card's default_temperature -------------------------------------------------------------------
@pytest.mark.parametrize("value, shown", [("hot", '"hot"'), (None, "null"), ("nan", '"nan"'), (float("nan"), "NaN"),
                                          (-0.5, "-0.5"), (2, "2"), (True, "true")])
def test_a_card_whose_default_temperature_is_no_temperature_is_named(model, tmp_path, capsys, value, shown):
    card = json.loads(model.with_suffix(".json").read_text())
    model.with_suffix(".json").write_text(json.dumps({**card, "default_temperature": value}))
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 1, err
    assert f"colorizer: model card {model.with_suffix('.json')}: default_temperature is {shown}, not a temperature " \
           "in 0..1" in err
    assert "Traceback" not in err and names(tmp_path / "out") == []


def test_a_card_without_default_temperature_takes_0_38(model, tmp_path, capsys):
    card = json.loads(model.with_suffix(".json").read_text())
    del card["default_temperature"]
    model.with_suffix(".json").write_text(json.dumps(card))
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 0, err
    assert "T = 0.38," in err


# ---- 6. an output folder that cannot be written --------------------------------------------------------
@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write to: by its permissions, or, for root, whom they do not stop, by
    the immutable attribute. Skipped where neither holds."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    try:
        (folder / "probe").touch()
    except PermissionError:
        pass
    else:
        (folder / "probe").unlink()
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0 \
            if shutil.which("chattr") else False
        if not immutable:
            folder.chmod(0o755)
            pytest.skip("cannot make a folder that this user cannot write to")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_a_read_only_output_folder_fails_at_once_with_one_line(model, tmp_path, capsys, read_only_folder):
    photos(tmp_path / "in", [f"p{i:02d}.jpg" for i in range(5)])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", read_only_folder)
    assert status == 1, err
    err = err.strip()
    assert err == f"colorizer: output folder {read_only_folder}: read-only (permission denied)" or \
        err == f"colorizer: output folder {read_only_folder}: read-only (not permitted)"
    assert names(read_only_folder) == []


@pytest.mark.parametrize("where, reason", [("a.jpg", "not a folder (a file has that name)"),
                                           ("a.jpg/out", "not a folder (part of its path is a file)")])
def test_an_output_folder_that_is_a_file_fails_at_once_with_one_line(model, tmp_path, capsys, where, reason):
    photos(tmp_path / "in", [f"p{i:02d}.jpg" for i in range(5)])
    photos(tmp_path, ["a.jpg"])
    before = (tmp_path / "a.jpg").read_bytes()
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / where)
    assert status == 1, err
    assert err.strip() == f"colorizer: output folder {tmp_path / where}: {reason}"
    assert (tmp_path / "a.jpg").read_bytes() == before


# ---- 7. Ctrl-C -----------------------------------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_stops_at_once_with_one_line_and_status_130(model, tmp_path):
    photos(tmp_path / "in", [f"p{i:02d}.jpg" for i in range(20)], h=600, w=800)
    proc = run_subprocess(tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    lines = []
    try:
        for line in proc.stderr:  # the first photo written: the batch runs
            lines.append(line)
            if line.rstrip().endswith("_color.png"):
                break
        proc.send_signal(signal.SIGINT)
        lines += proc.stderr.readlines()
        status = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(lines)
    summary = [line for line in err.splitlines() if "interrupted after" in line]
    assert status == 130, err
    assert len(summary) == 1 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    written = len([n for n in names(tmp_path / "out") if n.endswith("_color.png")])
    finished = int(summary[0].split("interrupted after ")[1].split()[0])
    assert 1 <= written <= finished < 20, err
    assert f"interrupted after {finished} of 20 photos; written: {written} pair(s) in {tmp_path / 'out'}" in summary[0]
    assert_complete_pairs(tmp_path / "out")
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".")]  # no hidden .partial either


# ---- resuming: --skip-existing -------------------------------------------------------------------------
def test_skip_existing_goes_on_where_a_batch_stopped(model, tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    photos(src, ["a.jpg", "b.jpg", "c.jpg"])
    photos(src / "sub", ["a.jpg"])  # the same stem: its results are a_gray-1 and a_color-1
    status, err = run(capsys, src, "--model", model, "--out", out)
    assert status == 0, err
    first = {n: (out / n).read_bytes() for n in names(out)}
    for n in ("c_gray.png", "c_color.png", "b_color.png"):  # stopped before c, and b's pair is not whole
        (out / n).unlink()

    status, err = run(capsys, src, "--model", model, "--out", out, "--skip-existing")
    assert status == 0, err
    assert "2 image(s)" in err and "(2 skipped: their results are there already)" in err
    assert names(out) == ["a_color-1.png", "a_color.png", "a_gray-1.png", "a_gray.png", "b_color-1.png",
                          "b_gray-1.png", "b_gray.png", "c_color.png", "c_gray.png"]
    assert all((out / n).read_bytes() == b for n, b in first.items() if (out / n).exists())

    status, err = run(capsys, src, "--model", model, "--out", out, "--skip-existing")  # all done: nothing to do
    assert status == 0, err
    assert "0 image(s)" in err and len(names(out)) == 9
    status, err = run(capsys, src, "--model", model, "--out", out, "--skip-existing", "--format", "jpeg")
    assert status == 0, err
    assert len([n for n in names(out) if n.endswith(".jpg")]) == 8  # PNG pairs are no JPEG results


# ---- messages of easy mistakes -------------------------------------------------------------------------
def test_a_photo_or_a_folder_given_as_the_model_is_named_as_such(tmp_path, capsys):
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", tmp_path / "in", "--out", tmp_path / "out")
    assert status == 1, err
    assert f"colorizer: {tmp_path / 'in'} is a folder, not a model" in err
    status, err = run(capsys, tmp_path / "in", "--model", tmp_path / "in" / "a.jpg", "--out", tmp_path / "out")
    assert status == 1, err
    assert f"colorizer: {tmp_path / 'in' / 'a.jpg'} is not a model: a model is a NAME.safetensors file" \
        in err
    assert names(tmp_path / "out") == []


@pytest.mark.parametrize("architecture, words", [
    ("unet4", "'architecture' must be an object of settings, not \"unet4\""),
    ({"type": "resnet"}, "architecture type \"resnet\" is not a network this version knows (unet4, lite_unet)")])
def test_a_card_with_a_wrong_architecture_says_so(model, tmp_path, capsys, architecture, words):
    card = json.loads(model.with_suffix(".json").read_text())
    model.with_suffix(".json").write_text(json.dumps({**card, "architecture": architecture}))
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 1, err
    assert f"colorizer: model card {model.with_suffix('.json')}: {words}" in err


def test_a_photo_whose_name_starts_with_a_dash_gets_a_word_on_double_dash(model, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    photos(tmp_path, ["-photo.jpg"])
    status, err = run(capsys, "-photo.jpg", "--model", model, "--out", "out")
    assert status == 2, err
    assert "(-photo.jpg is a file, but a word that starts with '-' is read as an option: put -- before the file " \
           "names, after every option, or write ./-photo.jpg)" in err
    status, err = run(capsys, "--model", model, "--out", "out", "--", "-photo.jpg")  # as the message says
    assert status == 0, err
    assert names("out") == ["-photo_color.png", "-photo_gray.png"]


# ---- a model file swapped for another ------------------------------------------------------------------
def test_a_weights_file_swapped_for_another_models_is_refused_naming_both(model, tmp_path, capsys):
    from safetensors.numpy import load_file, save_file
    state = load_file(str(model))
    save_file({k: v * 2 if v.dtype.kind == "f" else v for k, v in state.items()}, str(model))  # same network
    photos(tmp_path / "in", ["a.jpg"])
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 1, err
    assert f"colorizer: weights file {model} does not match its card {model.with_suffix('.json')}: its SHA-256" \
        in err
    assert names(tmp_path / "out") == []

    card = json.loads(model.with_suffix(".json").read_text())
    del card[WEIGHTS_SHA256]  # a card from before the record: taken as it is
    model.with_suffix(".json").write_text(json.dumps(card))
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 0, err
    card[WEIGHTS_SHA256] = sha256_of(model)  # and the record of the file's own hash
    model.with_suffix(".json").write_text(json.dumps(card))
    status, err = run(capsys, tmp_path / "in", "--model", model, "--out", tmp_path / "out")
    assert status == 0, err
