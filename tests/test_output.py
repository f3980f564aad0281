"""colorizer.output: formats, metadata (EXIF kept and turned upright, or stripped), sRGB tags, the
never-overwrite rule per format, and outputs that survive a killed writer."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageCms, JpegImagePlugin

import colorizer.output as output
from colorizer import Colorizer
from colorizer.output import OutputOptions, remove_stale_partials, save_outputs
from synthetic import landscape

REPO = Path(__file__).resolve().parent.parent
FORMATS = ["png", "jpeg", "webp"]
EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}
MAKE, MODEL, ORIENTATION, DESCRIPTION, SOFTWARE = 0x010F, 0x0110, 0x0112, 0x010E, 0x0131
EXIF_IFD, GPS_IFD, DATE_TAKEN, LENS = 0x8769, 0x8825, 0x9003, 0xA434


@pytest.fixture(scope="module")
def col(tiny_model):
    weights, name = tiny_model
    return Colorizer.load(weights / f"{name}.safetensors", device="onnx")


class FakePrediction:
    """What save_outputs reads of a Prediction, without a model (for the writer's own logic)."""

    def __init__(self, h=20, w=30, source="", fail_decode=False):
        self.source, self.meta, self.h, self.w, self.fail = source, {"model": "fake"}, h, w, fail_decode

    def gray(self):
        return np.tile(np.linspace(0, 255, self.w).astype(np.uint8), (self.h, 1))

    def decode(self, temperature):
        if self.fail:
            raise MemoryError("no memory for the colour copy")
        return landscape(self.h, self.w, seed=1)


def camera_jpeg(path, rotated=True):
    """A camera-like JPEG: stored 60 wide and 40 tall with Orientation 6 (shown 40 wide, 60 tall),
    make, model, date taken, lens, GPS, 300 dpi."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6 if rotated else 1
    exif[MAKE], exif[MODEL] = "Konica", "Hexar 9"
    sub = exif.get_ifd(EXIF_IFD)
    sub[DATE_TAKEN], sub[LENS] = "2019:08:14 18:30:05", "Hexanon 35mm"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (46.0, 33.0, 30.0), "E", (7.0, 59.0, 10.0)
    Image.fromarray(landscape(40, 60, seed=4)).save(path, quality=95, exif=exif.tobytes(), dpi=(300, 300))
    return path


def dpi_of(im) -> tuple:
    dpi = im.info.get("dpi")
    if dpi is None:  # WebP: from the EXIF block
        exif = im.getexif()
        dpi = (exif.get(0x011A), exif.get(0x011B)) if exif.get(0x011A) else None
    return tuple(round(float(v)) for v in dpi) if dpi else None


def profile_space(im) -> str:
    data = im.info.get("icc_profile")
    if not data:
        return None
    import io
    return ImageCms.ImageCmsProfile(io.BytesIO(data)).profile.xcolor_space.strip()


# ---- formats and names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_never_overwrites(fmt, tmp_path):
    options = OutputOptions(fmt)
    first = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x", options=options)
    assert first["gray"].name == f"x_gray.{EXT[fmt]}" and first["color"].name == f"x_color.{EXT[fmt]}"
    before = {p: p.read_bytes() for p in first.values()}
    second = save_outputs(FakePrediction(), 0.2, tmp_path, stem="x", options=options)
    (tmp_path / f"x_color-2.{EXT[fmt]}").write_bytes(b"someone else's")  # a colour name alone moves both
    third = save_outputs(FakePrediction(), 0.2, tmp_path, stem="x", options=options)
    assert [second["gray"].name, second["color"].name] == [f"x_gray-1.{EXT[fmt]}", f"x_color-1.{EXT[fmt]}"]
    assert [third["gray"].name, third["color"].name] == [f"x_gray-3.{EXT[fmt]}", f"x_color-3.{EXT[fmt]}"]
    assert all(p.read_bytes() == b for p, b in before.items())
    assert (tmp_path / f"x_color-2.{EXT[fmt]}").read_bytes() == b"someone else's"
    assert not (tmp_path / f"x_gray-2.{EXT[fmt]}").exists()
    for paths in (first, second, third):
        with Image.open(paths["color"]) as im:
            assert im.format == fmt.upper() and im.size == (30, 20)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_copy_is_on_disk_before_it_gets_its_name(fmt, tmp_path, monkeypatch):
    """fsync of the whole temporary file, then the link: a power cut never leaves a named copy short."""
    events = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def link(src, dst, **kw):
        events.append(("link", os.path.getsize(src)))
        real_link(src, dst, **kw)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    paths = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x", options=OutputOptions(fmt))
    sizes = sorted(p.stat().st_size for p in paths.values())
    assert sorted(size for kind, size in events if kind == "fsync") == sizes
    for size in sizes:  # each file's fsync comes before its link, at its full size
        kinds = [kind for kind, s in events if s == size]
        assert kinds[:2] == ["fsync", "link"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_taken_after_the_check_is_not_overwritten(fmt, tmp_path, monkeypatch):
    """Another writer creates our gray name between the free-name check and the link."""
    real, calls = output.free_output_paths, []

    def racing(out_dir, stem, ext):
        paths = real(out_dir, stem, ext)
        if not calls:
            paths[0].write_bytes(b"the other writer's")
        calls.append(paths)
        return paths

    monkeypatch.setattr(output, "free_output_paths", racing)
    out = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x", options=OutputOptions(fmt))
    assert len(calls) == 2 and out["gray"].name == f"x_gray-1.{EXT[fmt]}"
    assert (tmp_path / f"x_gray.{EXT[fmt]}").read_bytes() == b"the other writer's"
    assert sorted(os.listdir(tmp_path)) == sorted([f"x_gray.{EXT[fmt]}", f"x_gray-1.{EXT[fmt]}",
                                                   f"x_color-1.{EXT[fmt]}"])


def test_the_writer_is_still_importable_from_pipeline():
    from colorizer.pipeline import free_output_paths, save_outputs as from_pipeline
    assert from_pipeline is output.save_outputs and free_output_paths is output.free_output_paths


def test_formats_do_not_take_each_others_names(tmp_path):
    png = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x")
    jpg = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x", options=OutputOptions("jpeg"))
    assert png["color"].name == "x_color.png" and jpg["color"].name == "x_color.jpg"


def test_jpeg_keeps_full_chroma_at_the_asked_quality(tmp_path):
    out = save_outputs(FakePrediction(64, 64), 0.4, tmp_path, stem="x", options=OutputOptions("jpeg", 80))
    reference = tmp_path / "reference.jpg"
    Image.fromarray(landscape(64, 64, seed=1)).save(reference, quality=80)
    with Image.open(out["color"]) as im, Image.open(reference) as ref:
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4, not 4:2:0
        assert im.quantization == ref.quantization  # the tables Pillow uses for quality 80
    default = save_outputs(FakePrediction(64, 64), 0.4, tmp_path, stem="y", options=OutputOptions("jpeg"))
    Image.fromarray(landscape(64, 64, seed=1)).save(reference, quality=92)
    with Image.open(default["color"]) as im, Image.open(reference) as ref:
        assert im.quantization == ref.quantization


def test_webp_at_100_is_lossless_and_below_is_not(tmp_path):
    exact = save_outputs(FakePrediction(), 0.4, tmp_path, stem="a", options=OutputOptions("webp", 100))
    lossy = save_outputs(FakePrediction(), 0.4, tmp_path, stem="b", options=OutputOptions("webp", 92))
    truth = landscape(20, 30, seed=1)
    with Image.open(exact["color"]) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), truth)
    with Image.open(lossy["color"]) as im:
        assert not np.array_equal(np.asarray(im.convert("RGB")), truth)
    with Image.open(exact["gray"]) as im:
        assert np.array_equal(np.asarray(im.convert("L")), FakePrediction().gray())


@pytest.mark.parametrize("bad", [dict(format="tiff"), dict(quality=0), dict(quality=101)])
def test_bad_options_are_refused(bad):
    with pytest.raises(ValueError):
        OutputOptions(**bad)


# ---- metadata ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_source_exif_is_kept_upright_with_model_and_temperature(col, fmt, tmp_path):
    src = camera_jpeg(tmp_path / "hexar.jpg")
    out = save_outputs(col.predict(src), 0.42, tmp_path / "out", options=OutputOptions(fmt))
    for kind in ("gray", "color"):
        with Image.open(out[kind]) as im:
            assert im.size == (40, 60)  # the pixels are turned already ...
            exif = im.getexif()
            assert exif[ORIENTATION] == 1  # ... so no viewer may turn them again
            assert (exif[MAKE], exif[MODEL]) == ("Konica", "Hexar 9")
            assert exif.get_ifd(EXIF_IFD)[DATE_TAKEN] == "2019:08:14 18:30:05"
            assert exif.get_ifd(EXIF_IFD)[LENS] == "Hexanon 35mm"
            gps = exif.get_ifd(GPS_IFD)
            assert gps[1] == "N" and tuple(map(float, gps[2])) == (46.0, 33.0, 30.0)
            assert dpi_of(im) == (300, 300)
            assert exif[SOFTWARE] == "Landscape Colorizer"
            if kind == "color":
                assert exif[DESCRIPTION] == "colorized, model tiny, temperature 0.42"
                assert profile_space(im) == "RGB"
            else:
                assert "grayscale" in exif[DESCRIPTION]
                assert profile_space(im) == ("RGB" if fmt == "webp" else "GRAY")
            if fmt == "png" and kind == "color":
                assert im.text["colorizer:model"] == "tiny" and im.text["colorizer:temperature"] == "0.42"
                assert im.text["colorizer:source"] == str(src)


@pytest.mark.parametrize("fmt", FORMATS)
def test_strip_metadata_leaves_the_source_out(col, fmt, tmp_path):
    src = camera_jpeg(tmp_path / "hexar.jpg")
    out = save_outputs(col.predict(src), 0.42, tmp_path / "out",
                       options=OutputOptions(fmt, keep_metadata=False))
    for kind in ("gray", "color"):
        with Image.open(out[kind]) as im:
            assert im.size == (40, 60)
            exif = im.getexif()
            assert MAKE not in exif and MODEL not in exif and ORIENTATION not in exif
            assert GPS_IFD not in exif and EXIF_IFD not in exif
            assert dpi_of(im) in (None, (72, 72))  # JFIF's default density when none is given
            assert profile_space(im) is not None  # the sRGB tag is not the source's metadata
            assert str(src) not in str(im.info)
            if kind == "color":  # what made it stays recorded
                assert exif[DESCRIPTION] == "colorized, model tiny, temperature 0.42"


def test_outputs_are_tagged_srgb(tmp_path):
    import io
    out = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x", options=OutputOptions("jpeg"))
    with Image.open(out["color"]) as im:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        # the tag converts to sRGB as the identity: the pixels are sRGB
        rgb = np.asarray(im)
        same = ImageCms.profileToProfile(im, profile, ImageCms.createProfile("sRGB"))
        assert np.abs(np.asarray(same).astype(int) - rgb).max() <= 1


def test_a_png_source_without_exif_gives_its_dpi(col, tmp_path):
    src = tmp_path / "scan.png"
    Image.fromarray(landscape(30, 40)).save(src, dpi=(600, 600))
    out = save_outputs(col.predict(src), 0.3, tmp_path / "out", options=OutputOptions("webp"))
    with Image.open(out["color"]) as im:
        assert dpi_of(im) == (600, 600) and ORIENTATION not in im.getexif()


def test_a_tiff_source_gives_its_tags_not_its_layout(col, tmp_path):
    src = tmp_path / "scan.tif"
    exif = Image.Exif()
    exif[MAKE] = "Nikon"
    Image.fromarray(landscape(30, 40)).save(src, exif=exif.tobytes(), dpi=(1200, 1200))
    out = save_outputs(col.predict(src), 0.3, tmp_path / "out", options=OutputOptions("jpeg"))
    with Image.open(out["color"]) as im:
        exif = im.getexif()
        assert exif[MAKE] == "Nikon" and dpi_of(im) == (1200, 1200)
        assert not {256, 257, 258, 273, 279} & set(exif)  # the TIFF's width, height, strips


# ---- crash safety --------------------------------------------------------------------------------------

WRITER = """
import sys
import numpy as np
from colorizer.pipeline import Prediction
from colorizer.output import save_outputs
rng = np.random.default_rng(0)
h, w = 2400, 3200
pred = Prediction(L=rng.uniform(0, 100, (h, w)).astype(np.float32),
                  logits=rng.normal(0, 1, (4, 8, 8)).astype(np.float32),
                  centres=np.array([[-40, 40], [40, -40], [20, 60], [-60, -20]], np.float32))
save_outputs(pred, 0.4, sys.argv[1], stem="photo")
print("finished", flush=True)
"""


def size(path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # placed and removed meanwhile
        return 0


def test_a_killed_writer_leaves_no_result_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and writer.poll() is None:
            if any(p.name.endswith(".partial") and size(p) > 0 for p in out.iterdir()):
                break
            time.sleep(0.002)
        assert writer.poll() is None, "the writer finished before it could be killed"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    left = sorted(p.name for p in out.iterdir())
    assert left and all(n.startswith(".photo_") and n.endswith(".partial") for n in left), left
    assert not any(n.startswith("photo_") for n in left)

    written = save_outputs(FakePrediction(), 0.4, out, stem="photo")
    assert written["gray"].name == "photo_gray.png" and written["color"].name == "photo_color.png"
    assert sorted(p.name for p in out.iterdir()) == ["photo_color.png", "photo_gray.png"]


def test_stale_partials_only_ours_and_only_stale(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    name = output.partial_path(tmp_path, "a_gray.png").name
    mine = tmp_path / name  # this process: alive, so kept
    of_dead = tmp_path / name.replace(f"-{os.getpid()}-", f"-{dead.pid}-")
    elsewhere = tmp_path / f".a_color.png.otherhost-{os.getpid()}-0a1b2c3d.partial"  # can't ask its owner
    old_elsewhere = tmp_path / ".b_color.png.otherhost-123-0a1b2c3e.partial"
    not_ours = [tmp_path / ".hidden.partial", tmp_path / "photo.jpg.partial", tmp_path / ".notes"]
    for p in [mine, of_dead, elsewhere, old_elsewhere, *not_ours]:
        p.write_bytes(b"x")
    hour_ago = time.time() - 3600
    os.utime(old_elsewhere, (hour_ago, hour_ago))
    for p in not_ours:
        os.utime(p, (hour_ago, hour_ago))
    removed = remove_stale_partials(tmp_path)
    assert sorted(removed) == sorted([of_dead, old_elsewhere])
    assert all(p.exists() for p in [mine, elsewhere, *not_ours])


def test_failed_decoding_leaves_nothing(tmp_path):
    with pytest.raises(MemoryError):
        save_outputs(FakePrediction(fail_decode=True), 0.4, tmp_path, stem="x")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    real = output._encode

    def full_disk(path, image, options, *rest):
        if image.mode == "RGB":
            with open(path, "ab") as f:
                f.write(b"half")
            raise OSError(28, "No space left on device")
        return real(path, image, options, *rest)

    monkeypatch.setattr(output, "_encode", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_outputs(FakePrediction(), 0.4, tmp_path, stem="x")
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_the_rule_still_holds(tmp_path, monkeypatch):
    """FAT and exFAT (USB sticks, SD cards) have no hard links: the name is reserved, then replaced."""
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "x_gray.png").write_bytes(b"someone else's")
    out = save_outputs(FakePrediction(), 0.4, tmp_path, stem="x")
    assert out["gray"].name == "x_gray-1.png" and out["color"].name == "x_color-1.png"
    assert (tmp_path / "x_gray.png").read_bytes() == b"someone else's"
    with Image.open(out["color"]) as im:
        assert im.size == (30, 20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_color-1.png", "x_gray-1.png", "x_gray.png"]


@pytest.mark.parametrize("writers", ["done", "still writing"])
def test_ctrl_c_while_the_copies_are_written_leaves_no_file(writers, tmp_path, monkeypatch):
    """Ctrl-C lands while save_outputs waits for its two writers (issue 35: a .partial was left one time
    in three): their files are removed, also those of a writer that finishes only afterwards."""
    from concurrent.futures import Future
    real_result, real_encode = Future.result, output._encode
    waits = []

    def interrupted(self, timeout=None):
        waits.append(self)
        if len(waits) > 1:  # one Ctrl-C, in the first wait
            return real_result(self, timeout)
        if writers == "done":
            real_result(self, timeout)
        raise KeyboardInterrupt

    def slow_encode(*args):
        if writers == "still writing":
            time.sleep(0.3)  # still encoding when the interrupt comes (not a timing assertion)
        real_encode(*args)

    monkeypatch.setattr(Future, "result", interrupted)
    monkeypatch.setattr(output, "_encode", slow_encode)
    with pytest.raises(KeyboardInterrupt):
        save_outputs(FakePrediction(), 0.4, tmp_path, stem="x")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_between_the_two_names_leaves_no_gray_copy_alone(tmp_path, monkeypatch):
    real = output._place

    def interrupted_at_colour(tmp, final):
        if "_color" in final.name:
            raise KeyboardInterrupt
        real(tmp, final)

    monkeypatch.setattr(output, "_place", interrupted_at_colour)
    (tmp_path / "x_gray.png").write_bytes(b"someone else's")
    with pytest.raises(KeyboardInterrupt):
        save_outputs(FakePrediction(), 0.4, tmp_path, stem="x")
    assert [p.name for p in tmp_path.iterdir()] == ["x_gray.png"]  # only the file that was there before
    assert (tmp_path / "x_gray.png").read_bytes() == b"someone else's"


def test_a_source_name_that_is_not_utf8_is_recorded_with_its_bytes_escaped(col, tmp_path):
    """Names from older systems and cameras (issue 35): PNG text cannot hold the byte, so it is written as \\xe9."""
    src = tmp_path / os.fsdecode(b"caf\xe9.jpg")
    try:
        Image.fromarray(landscape(20, 30, seed=2)).save(src)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system takes only UTF-8 names")
    paths = save_outputs(col.predict(src), 0.4, tmp_path / "out")
    assert os.fsencode(paths["color"].name) == b"caf\xe9_color.png"
    with Image.open(paths["color"]) as im:
        assert im.text["colorizer:source"] == str(tmp_path / "caf\\xe9.jpg")


def test_an_output_folder_that_cannot_be_written_is_named_with_the_reason(tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("not a folder")
    with pytest.raises(output.OutputFolderError, match=r"output folder .*a file: not a folder \(a file has that"):
        output.check_output_dir(tmp_path / "a file")
    with pytest.raises(output.OutputFolderError, match=r"a file/out: not a folder \(part of its path is a file\)"):
        output.check_output_dir(tmp_path / "a file" / "out")
    monkeypatch.setattr(output.shutil, "disk_usage", lambda path: SimpleNamespace(total=10**9, used=10**9, free=1000))
    with pytest.raises(output.OutputFolderError, match=r"new/out: no space left on its device \(1,000 bytes free\)"):
        output.check_output_dir(tmp_path / "new" / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]  # the folders made to try it are gone again


@pytest.mark.parametrize("t", [1.5, -0.1, float("nan")])
def test_a_temperature_outside_the_range_is_refused_before_the_folder_is_made(t, tmp_path):
    from colorizer.temperature import TemperatureError
    out = tmp_path / "new" / "out"
    with pytest.raises(TemperatureError, match="temperature"):
        save_outputs(FakePrediction(), t, out)
    assert not out.parent.exists()
