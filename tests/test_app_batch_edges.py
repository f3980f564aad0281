"""The window's side of issue 35, driven as a user would: "Skip photos already done" resumes a batch,
results kept beside the photos are not colorized again, and a card's default temperature is read as
the command line reads it."""
import json
import shutil

import pytest

from colorizer.weights import ModelError, card_temperature as cli_card_temperature
from app.model_controls import FALLBACK_T, card_temperature
from appwindow import colorize, copy_photos
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)


def names(folder) -> list:
    return sorted(p.name for p in folder.iterdir())


def test_skip_photos_already_done_goes_on_where_a_batch_stopped(qtbot, tmp_path, make_window, tiny_model, photo_dir):
    weights, _ = tiny_model
    trip = tmp_path / "trip"
    copy_photos(photo_dir, trip, ["scene00.jpg", "scene01.jpg", "scene02.jpg"])
    window = make_window(weights)
    out = tmp_path / "out"
    assert colorize(qtbot, window, [trip]).done == 3
    for n in ("scene02_gray.png", "scene02_color.png", "scene01_color.png"):  # stopped before the third, and
        (out / n).unlink()                                                    # the second's pair is not whole

    window.batch.skip_check.setChecked(True)
    summary = colorize(qtbot, window, [trip])

    assert (summary.done, summary.skipped, summary.failed) == (2, 1, 0)
    assert "2 photos colorized, 1 skipped (saved already)." in window.progress_label.text()
    assert names(out) == ["scene00_color.png", "scene00_gray.png", "scene01_color-1.png", "scene01_gray-1.png",
                          "scene01_gray.png", "scene02_color.png", "scene02_gray.png"]
    window.batch.skip_check.setChecked(False)  # unticked: every photo again, as before
    assert colorize(qtbot, window, [trip]).done == 3


def test_results_kept_beside_the_photos_are_not_colorized_again(qtbot, tmp_path, make_window, tiny_model, photo_dir):
    weights, _ = tiny_model
    album = tmp_path / "album"
    copy_photos(photo_dir, album, ["scene03.jpg"])
    window = make_window(weights)
    window.set_output_dir(album)
    assert colorize(qtbot, window, [album]).done == 1
    assert colorize(qtbot, window, [album]).done == 1  # the photo again, not last run's two copies
    assert names(album) == ["scene03.jpg", "scene03_color-1.png", "scene03_color.png", "scene03_gray-1.png",
                            "scene03_gray.png"]


def test_a_card_without_a_usable_default_temperature_is_refused_by_the_window_as_by_the_cli(
        qtbot, tmp_path, make_window, tiny_model, photo_dir):
    weights, name = tiny_model
    folder = tmp_path / "weights"
    folder.mkdir()
    for ext in (".safetensors", ".json"):
        shutil.copy(weights / f"{name}{ext}", folder / f"{name}{ext}")
    card = json.loads((folder / f"{name}.json").read_text())
    (folder / f"{name}.json").write_text(json.dumps({**card, "default_temperature": "hot"}))
    window = make_window(folder)
    window.show()
    model_card = window.choice.current_model()

    assert window.temperature() == FALLBACK_T == card_temperature(model_card)  # where the slider stands meanwhile
    with pytest.raises(ModelError) as e:  # the one reader, which the command line uses
        cli_card_temperature(model_card)
    assert str(e.value) == f"model card {folder / name}.json: default_temperature is \"hot\", not a temperature in 0..1"
    summary = colorize(qtbot, window, [photo_dir / "scene00.jpg"])
    assert summary.model_error and summary.done == 0
    assert window.banner.isVisible() and str(e.value) in window.banner.text()
