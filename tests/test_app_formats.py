"""The output format beside the output folder (PNG, JPEG, WebP) and "Keep photo metadata": what the
window writes with them, and that both are remembered."""
import numpy as np
from PIL import Image

from appwindow import WAIT, colorize
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)
from synthetic import landscape

MAKE = 0x010F  # EXIF tag of the camera maker


def photo_with_exif(path):
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    Image.fromarray(landscape(120, 160, seed=3)).save(path, quality=92, exif=exif.tobytes(), dpi=(240, 240))
    return path


def test_format_and_metadata_choice_reach_the_files_and_are_remembered(qtbot, tmp_path, make_window, tiny_model):
    weights, _ = tiny_model
    source = photo_with_exif(tmp_path / "hill.jpg")
    window = make_window(weights)
    assert window.format_combo.currentData() == "png" and window.metadata_check.isChecked()  # the defaults
    assert window.quality_spin.value() == 92 and not window.quality_spin.isEnabled()  # PNG has no quality
    out = tmp_path / "out"

    window.format_combo.setCurrentIndex(window.format_combo.findData("jpeg"))
    assert window.quality_spin.isEnabled()
    assert colorize(qtbot, window, [source]).done == 1
    for name in ("hill_color.jpg", "hill_gray.jpg"):
        with Image.open(out / name) as im:
            assert im.format == "JPEG" and im.size == (160, 120)
            assert im.getexif().get(MAKE) == "TestCam"
    assert not list(out.glob("*.png"))

    window.metadata_check.setChecked(False)
    with qtbot.waitSignal(window.batch_done, timeout=WAIT):
        window.apply_button.click()
    with Image.open(out / "hill_color-1.jpg") as im:
        assert im.format == "JPEG" and MAKE not in im.getexif()
    assert not (out / "hill_gray-1.jpg").exists()  # the gray JPEG is there already and does not change

    window.format_combo.setCurrentIndex(window.format_combo.findData("webp"))
    with qtbot.waitSignal(window.batch_done, timeout=WAIT):
        window.apply_button.click()
    for name in ("hill_color.webp", "hill_gray.webp"):  # a new format gets its own gray copy too
        with Image.open(out / name) as im:
            assert im.format == "WEBP" and im.size == (160, 120)
    with Image.open(out / "hill_color.webp") as im, Image.open(out / "hill_color-1.jpg") as jpeg:
        # the same model and T: the same picture, up to the two formats' compression
        assert np.abs(np.asarray(im.convert("RGB"), float) - np.asarray(jpeg, float)).mean() < 6

    window.shutdown()
    again = make_window(weights)
    assert again.format_combo.currentData() == "webp"
    assert not again.metadata_check.isChecked()
    assert again.options().output.format == "webp" and not again.options().output.keep_metadata
    assert again.options().output.quality == 92


def test_quality_reaches_the_file_and_is_remembered(qtbot, tmp_path, make_window, tiny_model):
    """A lower JPEG quality gives a smaller file of the same picture; the choice outlives the window."""
    weights, _ = tiny_model
    source = tmp_path / "hill.png"
    Image.fromarray(landscape(240, 320, seed=5)).save(source)
    window = make_window(weights)
    window.format_combo.setCurrentIndex(window.format_combo.findData("jpeg"))
    assert colorize(qtbot, window, [source]).done == 1
    window.quality_spin.setValue(30)
    with qtbot.waitSignal(window.batch_done, timeout=WAIT):
        window.apply_button.click()  # the colour copy again, as hill_color-1.jpg
    out = tmp_path / "out"
    high, low = out / "hill_color.jpg", out / "hill_color-1.jpg"
    assert low.stat().st_size < 0.7 * high.stat().st_size
    with Image.open(high) as a, Image.open(low) as b:
        assert np.abs(np.asarray(a, float) - np.asarray(b, float)).mean() < 6
    window.shutdown()
    again = make_window(weights)
    assert again.quality_spin.value() == 30 and again.options().output.quality == 30
