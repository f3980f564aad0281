"""Colour hints end to end: HINTS.json, the network's input, the outputs' records, `colorize --hints`,
`evaluate --hints`, and the palette's suggestions. The hint-taking model has random weights
(conftest's lite_model_path), so these check the plumbing and the messages, not the colours."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer import Colorizer, Hint, HintError, load_hints, save_hints
from colorizer.bins import ABBins
from colorizer.cli import main
from colorizer.color import lab_to_rgb
from colorizer.evaluation.evaluate import photo_seed
from colorizer.hints import MAX_HINTS, hint_map, hints_from_truth
from colorizer.output import HINTS_TEXT, IMAGE_DESCRIPTION, OutputOptions, exif_bytes, read_hints, save_outputs
from colorizer.pipeline import Prediction
from synthetic import landscape

REPO = Path(__file__).resolve().parent.parent
HEX = "#%02x%02x%02x"


@pytest.fixture(scope="module")
def lite(lite_model_path):
    return Colorizer.load(lite_model_path, "cpu")


@pytest.fixture(scope="module")
def tiny_path(tiny_model):
    weights, name = tiny_model
    return str(weights / f"{name}.safetensors")


@pytest.fixture
def photo(tmp_path):
    """A 80 x 64 (w x h) PNG photo."""
    path = tmp_path / "in" / "field.png"
    path.parent.mkdir()
    Image.fromarray(landscape(64, 80, seed=3)).save(path)
    return path


def write(path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# --- HINTS.json ------------------------------------------------------------------------------------------

def test_hints_file_round_trip(tmp_path):
    hints = [Hint(412, 220, "#5a8f3c"), Hint(0.5, 7.25, "#FFAA00"), Hint(3, 4, "#000000")]
    path = save_hints(tmp_path / "h.json", hints)
    data = json.loads(path.read_text())
    assert data == {"hints": [{"x": 412, "y": 220, "color": "#5a8f3c"}, {"x": 0.5, "y": 7.25, "color": "#ffaa00"},
                              {"x": 3, "y": 4, "color": "#000000"}]}
    back = load_hints(path, size=(300, 500))
    assert [(h.x, h.y, h.color.lower()) for h in back] == [(h.x, h.y, h.color.lower()) for h in hints]
    assert back[1].rgb == (255, 170, 0)


BAD_FILES = {
    "not JSON": ("{hints: [}", "not JSON"),
    "a list": ([{"x": 1, "y": 2, "color": "#112233"}], 'expected an object {"hints"'),
    "no colour": ({"hints": [{"x": 1, "y": 2}]}, "hint 1 is not an object with x, y and color"),
    "named colour": ({"hints": [{"x": 1, "y": 2, "color": "#112233"}, {"x": 1, "y": 2, "color": "green"}]},
                     "hint 2: colour 'green' is not #rrggbb"),
    "short colour": ({"hints": [{"x": 1, "y": 2, "color": "#12345"}]}, "is not #rrggbb"),
    "text for x": ({"hints": [{"x": "4", "y": 2, "color": "#112233"}]}, "hint 1: x '4' is not a number"),
    "thousands": ({"hints": [{"x": 1, "y": 1, "color": "#112233"}] * 3000}, f"3000 hints; at most {MAX_HINTS}"),
    "outside": ({"hints": [{"x": 5, "y": 5, "color": "#112233"}, {"x": 80, "y": 5, "color": "#112233"}]},
                "hint 2 at (80, 5) lies outside the 80x64 photo"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_each_bad_file_is_named_with_its_reason(case, tmp_path):
    data, reason = BAD_FILES[case]
    path = write(tmp_path / "bad hints.json", data)
    with pytest.raises(HintError) as e:
        load_hints(path, size=(64, 80))
    assert str(e.value).startswith(f"{path}: ")
    assert reason in str(e.value)


ODD_FILES = {  # text that json itself chokes on in other ways than a syntax error (issue 35)
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "x of 401 digits": ('{"hints": [{"x": 1' + "0" * 400 + ', "y": 2, "color": "#112233"}]}',
                        "hint 1: x 1000"),
    "x of 4,301 digits": ('{"hints": [{"x": 1' + "0" * 4300 + ', "y": 2, "color": "#112233"}]}',
                          "a number in it has too many digits"),
}


@pytest.mark.parametrize("case", ODD_FILES)
def test_odd_json_is_named_as_a_bad_hint_file(case, tmp_path):
    text, reason = ODD_FILES[case]
    path = write(tmp_path / "odd hints.json", text)
    with pytest.raises(HintError) as e:
        load_hints(path, size=(64, 80))
    assert str(e.value).startswith(f"{path}: ") and reason in str(e.value)
    assert len(str(e.value)) < 200  # the number is cut short, not printed in its 401 digits


def test_a_file_with_a_byte_order_mark_is_read(tmp_path):
    """Windows Notepad starts UTF-8 files with a byte-order mark."""
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"hints": [{"x": 3, "y": 4, "color": "#112233"}]}).encode())
    assert load_hints(path, size=(64, 80)) == [Hint(3, 4, "#112233")]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(HintError, match="nope.json: no such file"):
        load_hints(tmp_path / "nope.json")


def test_the_last_pixel_is_inside_and_the_next_is_not(tmp_path):
    path = write(tmp_path / "h.json", {"hints": [{"x": 79.5, "y": 63, "color": "#112233"}]})
    assert len(load_hints(path, size=(64, 80))) == 1
    with pytest.raises(HintError, match="outside the 80x63 photo"):
        load_hints(path, size=(63, 80))


# --- the network's input -----------------------------------------------------------------------------------

def test_a_hint_outside_the_photo_is_refused(lite):
    rgb = landscape(64, 80, seed=1)
    with pytest.raises(HintError, match=r"hint 1 at \(80, 10\) lies outside the 80x64 photo"):
        lite.predict(rgb, [Hint(80, 10, "#ff0000")])
    with pytest.raises(HintError, match="outside"):
        lite.predict(rgb, [Hint(10, -1, "#ff0000")])


def test_no_hints_is_exactly_the_automatic_result(lite):
    import torch
    from colorizer.color import normalize_l
    from colorizer.upsample import resize
    rgb = landscape(64, 80, seed=1)
    auto = lite.predict(rgb)
    for none in (None, []):
        again = lite.predict(rgb, none)
        np.testing.assert_array_equal(again.logits, auto.logits)
        assert "hints" not in again.meta
    # and that is the network run without any hint input (not with a map of zeros of our making)
    small = resize(auto.L, (64, 96))  # 80 x 64 -> longer side rounded up to 96, both sides multiples of 32
    with torch.inference_mode():
        direct = lite.model(torch.from_numpy(normalize_l(small).astype(np.float32))[None, None])[0].numpy()
    np.testing.assert_allclose(auto.logits, direct, atol=1e-5)


def test_hints_change_the_logits_and_are_recorded(lite):
    rgb = landscape(64, 80, seed=1)
    auto = lite.predict(rgb)
    hinted = lite.predict(rgb, [Hint(10, 50, "#ff2000"), Hint(70, 5, "#00c040")])
    assert hinted.logits.shape == auto.logits.shape
    assert np.abs(hinted.logits - auto.logits).max() > 1e-3
    assert hinted.meta["hints"] == [{"x": 10, "y": 50, "color": "#ff2000"}, {"x": 70, "y": 5, "color": "#00c040"}]
    other = lite.predict(rgb, [Hint(10, 50, "#0020ff"), Hint(70, 5, "#00c040")])  # another colour, same place
    assert np.abs(other.logits - hinted.logits).max() > 1e-4


def test_a_model_trained_without_hints_refuses_them(tiny_path):
    tiny = Colorizer.load(tiny_path, "cpu")
    assert not tiny.takes_hints
    rgb = landscape(48, 64, seed=2)
    np.testing.assert_array_equal(tiny.predict(rgb, []).logits, tiny.predict(rgb).logits)
    with pytest.raises(HintError, match="trained without colour hints"):
        tiny.predict(rgb, [Hint(1, 1, "#ff0000")])


# --- the outputs' records ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hinted(lite, tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "meadow.jpg"
    exif = Image.Exif()
    exif[0x0110] = "Test camera"
    Image.fromarray(landscape(64, 80, seed=4)).save(path, exif=exif.tobytes())
    return lite.predict(str(path), [Hint(10, 50, "#ff2000"), Hint(70.5, 5, "#00c040")])


HINTS = {"hints": [{"x": 10, "y": 50, "color": "#ff2000"}, {"x": 70.5, "y": 5, "color": "#00c040"}]}


@pytest.mark.parametrize("strip", [False, True])
def test_png_records_the_hints_beside_model_and_temperature(hinted, strip, tmp_path):
    out = save_outputs(hinted, 0.42, tmp_path, options=OutputOptions("png", keep_metadata=not strip))
    with Image.open(out["color"]) as im:
        assert im.text["colorizer:model"] == "lite" and im.text["colorizer:temperature"] == "0.42"
        assert json.loads(im.text[HINTS_TEXT]) == HINTS
        assert im.text["Description"] == "colorized, model lite, temperature 0.42, 2 colour hints"
        description = im.getexif()[IMAGE_DESCRIPTION]
        assert ("Test camera" in str(im.getexif().get(0x0110))) != strip
    assert description.startswith("colorized, model lite, temperature 0.42, 2 colour hints {")
    assert read_hints(out["color"]) == HINTS["hints"]
    with Image.open(out["gray"]) as im:  # the gray copy depends on no hint
        assert HINTS_TEXT not in im.text and "hint" not in im.getexif()[IMAGE_DESCRIPTION]


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_jpeg_and_webp_record_the_hints_in_the_exif_description(hinted, fmt, tmp_path):
    out = save_outputs(hinted, 0.5, tmp_path, options=OutputOptions(fmt))
    with Image.open(out["color"]) as im:
        exif = im.getexif()
        description = exif[IMAGE_DESCRIPTION]
        assert exif[0x0110] == "Test camera"  # the source's EXIF is still there
    assert description.startswith("colorized, model lite, temperature 0.5, 2 colour hints ")
    assert json.loads(description[description.index("{"):]) == HINTS
    assert read_hints(out["color"]) == HINTS["hints"]


def test_without_hints_nothing_about_hints_is_written(lite, tmp_path):
    pred = lite.predict(landscape(64, 80, seed=4))
    for fmt in ("png", "jpeg"):
        out = save_outputs(pred, 0.5, tmp_path, stem="auto", options=OutputOptions(fmt))
        with Image.open(out["color"]) as im:
            assert "hint" not in im.getexif()[IMAGE_DESCRIPTION]
            assert HINTS_TEXT not in getattr(im, "text", {})
        assert read_hints(out["color"]) == []


def test_hints_too_long_for_a_jpeg_exif_block_leave_the_description_short():
    record = json.dumps({"hints": [{"x": 1234.5678, "y": 2345.6789, "color": "#abcdef"}] * 2000})
    exif = Image.Exif()
    exif.load(exif_bytes(None, None, "colorized, 2000 colour hints", record))
    assert exif[IMAGE_DESCRIPTION] == "colorized, 2000 colour hints"
    exif.load(exif_bytes(None, None, "colorized, 1 colour hint", record[:60] + "]}"))
    assert exif[IMAGE_DESCRIPTION].endswith("]}")


# --- colorize --hints ------------------------------------------------------------------------------------------

def run_cli(*args, capsys):
    """main() in this process -> (exit status, what it said on stderr, its exit message included)."""
    with pytest.raises(SystemExit) as e:
        main(["colorize", *map(str, args)])
    code = e.value.code
    status = 0 if code is None else code if isinstance(code, int) else 1
    return status, capsys.readouterr().err + (code if isinstance(code, str) else "")


def written(out) -> list:
    return sorted(p.name for p in Path(out).iterdir()) if Path(out).exists() else []


@pytest.mark.parametrize("case", ["not JSON", "named colour", "thousands", "outside"])
def test_cli_refuses_a_bad_hints_file_and_writes_nothing(case, lite_model_path, photo, tmp_path, capsys):
    hints = write(tmp_path / "hints.json", BAD_FILES[case][0])
    out = tmp_path / "out"
    status, err = run_cli(photo, "--model", lite_model_path, "--hints", hints, "--out", out, "--device", "cpu",
                          capsys=capsys)
    assert status == 1
    assert f"colorizer: {hints}: " in err and BAD_FILES[case][1] in err
    assert written(out) == []


def test_cli_refuses_hints_for_a_model_trained_without_them(tiny_path, photo, tmp_path, capsys):
    hints = save_hints(tmp_path / "hints.json", [Hint(3, 4, "#336699")])
    out = tmp_path / "out"
    status, err = run_cli(photo, "--model", tiny_path, "--hints", hints, "--out", out, "--device", "cpu",
                          capsys=capsys)
    assert status == 1
    assert f"{hints}: model 'Tiny test model' was trained without colour hints" in err
    assert written(out) == []


@pytest.mark.parametrize("paths", ["two photos", "a folder"])
def test_cli_hints_go_with_exactly_one_photo(paths, lite_model_path, photo, tmp_path, capsys):
    hints = save_hints(tmp_path / "hints.json", [Hint(3, 4, "#336699")])
    given = [photo, photo] if paths == "two photos" else [photo.parent]
    status, err = run_cli(*given, "--model", lite_model_path, "--hints", hints, "--out", tmp_path / "out",
                          capsys=capsys)
    assert status == 1
    assert "--hints goes with exactly one photo" in err and paths.split()[-1].rstrip("s") in err
    assert written(tmp_path / "out") == []


def test_cli_exit_code_and_stderr_in_a_real_process(photo, tmp_path):
    hints = write(tmp_path / "hints.json", "not json at all")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "colorizer", "colorize", str(photo), "--model", "lite",
                           "--hints", str(hints), "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"colorizer: {hints}: not JSON (")
    assert "Traceback" not in done.stderr
    assert written(out) == []


def test_cli_colorizes_with_hints_in_the_photo_as_shown(lite_model_path, tmp_path, capsys):
    """Hints are in the pixels as shown, after EXIF orientation: a photo stored 60 wide and 40 tall with
    Orientation 6 is shown 40 wide and 60 tall."""
    src = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(landscape(40, 60, seed=6)).save(src, exif=exif.tobytes())
    out = tmp_path / "out"
    beyond = write(tmp_path / "wide.json", {"hints": [{"x": 50, "y": 10, "color": "#336699"}]})  # inside as stored
    status, err = run_cli(src, "--model", lite_model_path, "--hints", beyond, "--out", out, "--device", "cpu",
                          capsys=capsys)
    assert status == 1 and "lies outside the 40x60 photo" in err and written(out) == []

    tall = write(tmp_path / "tall.json", {"hints": [{"x": 10, "y": 50, "color": "#336699"}]})  # outside as stored
    status, err = run_cli(src, "--model", lite_model_path, "--hints", tall, "--out", out, "--device", "cpu",
                          capsys=capsys)
    assert status == 0, err
    assert "1 colour hint(s) from" in err
    assert written(out) == ["turned_color.png", "turned_gray.png"]
    with Image.open(out / "turned_color.png") as im:
        assert im.size == (40, 60)
        assert json.loads(im.text[HINTS_TEXT]) == {"hints": [{"x": 10, "y": 50, "color": "#336699"}]}


# --- evaluate --hints --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("val")
    for i in range(2):
        Image.fromarray(landscape(48 + 16 * i, 64, seed=10 + i)).save(d / f"val{i}.png")
    return d


def test_evaluate_hints_gives_figures_for_each_n(lite_model_path, two_photos, tmp_path, capsys):
    js = tmp_path / "eval.json"
    lite_model_path = str(lite_model_path)
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(two_photos), "--model", lite_model_path, "--temperature", "0.5", "--hints", "0", "2",
              "--hints", "5", "--json", str(js), "--device", "cpu"])
    assert e.value.code == 0
    table = capsys.readouterr().out
    assert "hint ab err" in table and "lite, 5 hints" in table
    data = json.loads(js.read_text())
    assert data["image_count"] == 2 and data["settings"]["hints"] == [0, 2, 5]
    runs = {m["hints"]: m for m in data["models"]}
    assert sorted(runs) == [0, 2, 5] and [m["label"] for m in data["models"]] == ["lite, 0 hints", "lite, 2 hints",
                                                                                 "lite, 5 hints"]
    assert "hint_ab_error_median" not in runs[0]["results"][0]
    for n in (2, 5):
        assert runs[n]["results"][0]["hint_ab_error_median"] >= 0
    # the figures of N = 0 are those of a run without --hints; those of N = 5 differ (other network input)
    with pytest.raises(SystemExit):
        main(["evaluate", str(two_photos), "--model", lite_model_path, "--temperature", "0.5", "--json",
              str(tmp_path / "plain.json"), "--device", "cpu"])
    plain = json.loads((tmp_path / "plain.json").read_text())["models"][0]
    assert plain["label"] == "lite" and plain["hints"] is None
    assert plain["results"] == runs[0]["results"]
    assert runs[5]["results"][0]["ab_error"] != plain["results"][0]["ab_error"]

    # each photo's hint figure: the median over its hints (drawn from its name's seed) of the ab distance
    # between the model's colour at the hint's point and the hint's colour
    lite = Colorizer.load(lite_model_path, "cpu")
    for row in data["per_image"]:
        rgb = np.asarray(Image.open(row["path"]).convert("RGB"))
        hints = hints_from_truth(rgb, 5, photo_seed(row["path"]), lite.size)
        ab = lite.predict(rgb, hints).ab(0.5)
        expected = np.median([np.hypot(*(ab[h.y, h.x] - h.ab)) for h in hints])
        assert row["models"]["lite, 5 hints"]["0.5"]["hint_ab_error_median"] == pytest.approx(expected, rel=1e-5)
        assert "hint_ab_error_median" not in row["models"]["lite, 0 hints"]["0.5"]


def test_evaluate_hints_are_the_same_on_a_rerun(lite_model_path, two_photos):
    from colorizer.evaluation.evaluate import evaluate
    lite = Colorizer.load(lite_model_path, "cpu")
    first, second = (evaluate([two_photos], [lite], [0.5], hints=[3]).to_dict()["models"][0]["results"]
                     for _ in range(2))
    assert first == second
    a, b = (hints_from_truth(landscape(48, 64, seed=10), 3, photo_seed(p)) for p in ("x/val0.png", "y/val0.png"))
    assert a == b  # the seed is the file's name, wherever it lies
    assert hints_from_truth(landscape(48, 64, seed=10), 3, photo_seed("val1.png")) != a


def test_evaluate_hints_refuses_a_model_trained_without_them(tiny_path, two_photos, capsys):
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(two_photos), "--model", tiny_path, "--hints", "0", "3", "--device", "cpu"])
    assert "model 'Tiny test model' was trained without colour hints" in str(e.value.code)
    with pytest.raises(SystemExit) as e:  # N = 0 alone asks nothing of it
        main(["evaluate", str(two_photos), "--model", tiny_path, "--hints", "0", "--device", "cpu"])
    assert e.value.code == 0


@pytest.mark.parametrize("bad", ["-1", "2.5", str(MAX_HINTS + 1)])
def test_evaluate_hints_takes_whole_numbers(bad, two_photos, capsys):
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(two_photos), "--model", "x", "--hints", bad])
    assert e.value.code == 2 and "--hints" in capsys.readouterr().err


# --- suggestions for the palette ----------------------------------------------------------------------------

def test_suggestions_are_distinct_valid_colours_most_likely_first(lite):
    rgb = landscape(64, 80, seed=1)
    pred = lite.predict(rgb)
    for x, y in [(0, 0), (40, 30), (79, 63), (12.7, 50.2)]:
        colours = pred.suggestions(x, y, k=5)
        assert len(colours) == 5 and len(set(colours)) == 5
        assert all(isinstance(c, str) and len(c) == 7 and Hint(0, 0, c) for c in colours)
        # the first is the most likely class at the network pixel under the point (the logits are at about
        # half the photo's size), the pixel where a hint at that point lands, at the photo's lightness there
        mask = hint_map([Hint(x, y, "#000000")], pred.L.shape, pred.logits.shape[1:], patch=1)[2]
        (r,), (c,) = np.nonzero(mask)
        top = pred.logits[:, r, c].argmax()
        L = pred.L[int(y), int(x)]
        assert _close(colours[0], lab_to_rgb(np.array([[[L, *pred.centres[top]]]]))[0, 0])
    assert len(pred.suggestions(40, 30, k=2)) == 2
    with pytest.raises(ValueError, match="outside the 80x64 photo"):
        pred.suggestions(80, 3)


def _close(colour: str, rgb) -> bool:
    """The fast float32 conversion gives scikit-image's colour to within one level."""
    return max(abs(int(colour[i:i + 2], 16) - int(v)) for i, v in zip((1, 3, 5), rgb)) <= 1


def test_suggestions_are_the_modes_first_then_the_next_classes():
    """A distribution of two cones over the ab grid, a high peak with a strong shoulder beside it and a
    lower peak far away: the two peaks come first, the shoulder (more likely than the second peak, but no
    mode) after them."""
    bins = ABBins.from_counts(np.ones(225))
    cls = lambda a, b: int(bins.encode(np.array([a, b], np.float32)))  # noqa: E731
    peak, shoulder, second = cls(-40, 40), cls(-40 + 17, 40), cls(40, -40)
    assert abs(bins.centres[peak] - bins.centres[shoulder]).max() == pytest.approx(17)
    steps = lambda i: np.linalg.norm(bins.centres - bins.centres[i], axis=1) / 17  # noqa: E731
    cones = np.maximum(5 - steps(peak), 3 - steps(second))
    cones[shoulder] = 4.5
    logits = np.full((bins.Q, 2, 2), -10.0, np.float32)  # flat, but for the bottom-right network pixel
    logits[:, 1, 1] = cones
    pred = Prediction(L=np.full((4, 4), 60.0, np.float32), logits=logits, centres=bins.centres)
    expected = [HEX % tuple(lab_to_rgb(np.array([[[60.0, *bins.centres[i]]]]))[0, 0]) for i in (peak, second, shoulder)]
    got = pred.suggestions(3, 2, k=3)  # photo pixel (3, 2) lies in network pixel (1, 1)
    assert all(_close(g, [int(e[i:i + 2], 16) for i in (1, 3, 5)]) for g, e in zip(got, expected))
    assert pred.suggestions(1, 1, k=3) != got  # (1, 1) lies in network pixel (0, 0): a flat distribution


def test_color_at_is_the_pixel_shown_at_that_temperature(lite):
    pred = lite.predict(landscape(64, 80, seed=1), [Hint(40, 30, "#ff0000")])
    for t in (0.0, 0.38, 1.0):
        shown = pred.decode(t)
        for x, y in [(0, 0), (40, 30), (79, 63), (13.6, 7.2)]:
            assert pred.color_at(x, y, t) == HEX % tuple(shown[int(y), int(x)])
    assert pred.color_at(5, 5, 0.0) != pred.color_at(5, 5, 1.0) or pred.color_at(60, 60, 0.0) != \
        pred.color_at(60, 60, 1.0)
    with pytest.raises(ValueError):
        pred.color_at(-1, 0, 0.5)
