"""The window's side of issue 35, driven as a user would: "Skip photos already done" resumes a batch,
results kept beside the photos are not colorized again, a card's default temperature is read as the
command line reads it, and an output folder that cannot be written stops a batch before its first photo."""
import json
import shutil

import pytest

import colorizer.output
import colorizer.pipeline as pipeline
from colorizer.weights import ModelError, card_temperature as cli_card_temperature
from app.model_controls import FALLBACK_T, card_temperature
from appwindow import WAIT, colorize, copy_photos, drop
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


@pytest.mark.parametrize("where, reason", [("a.jpg", "not a folder (a file has that name)"),
                                           ("a.jpg/out", "not a folder (part of its path is a file)"),
                                           ("full", "no space left on its device")])
def test_an_output_folder_that_cannot_be_written_stops_the_batch_with_one_message(
        qtbot, tmp_path, make_window, tiny_model, photo_dir, monkeypatch, where, reason):
    weights, _ = tiny_model
    photos = copy_photos(photo_dir, tmp_path / "in", ["scene04.jpg", "scene05.jpg", "scene06.jpg"])
    (tmp_path / "a.jpg").write_bytes(b"a file, not a folder")
    window = make_window(weights)
    assert colorize(qtbot, window, photos[:1]).done == 1  # into the test's output folder: the list has a photo
    predicted, finished = [], []
    real_predict = pipeline.Colorizer.predict
    monkeypatch.setattr(pipeline.Colorizer, "predict", lambda *a, **k: predicted.append(a) or real_predict(*a, **k))
    window.worker.item_finished.connect(finished.append)
    if where == "full":  # less free space than the check asks for, whatever the disk has
        monkeypatch.setattr(colorizer.output, "MIN_FREE_BYTES", 1 << 62)
    folder = tmp_path / where
    window.set_output_dir(folder)
    message = f"output folder {folder}: {reason}"

    for start in (lambda: drop(window.drop_zone, [tmp_path / "in"]), window.apply_button.click):  # dropped, re-saved
        with qtbot.waitSignal(window.batch_done, timeout=WAIT) as blocker:
            start()
        summary = blocker.args[0]
        assert summary.folder_error.startswith(message), summary
        assert (summary.done, summary.failed, summary.found) == (0, 0, 0)
        assert window.progress_label.text() == f"Stopped: {summary.folder_error}. Choose another output folder."
        assert predicted == [] and finished == []  # no photo ran, none was listed as failed
        assert window.results.count() == 1

    if where != "full":
        assert (tmp_path / "a.jpg").read_bytes() == b"a file, not a folder"
    else:
        assert not folder.exists()  # the check leaves the disk as it was
        monkeypatch.setattr(colorizer.output, "MIN_FREE_BYTES", 1 << 20)  # room again: the same folder is checked anew
        assert colorize(qtbot, window, [tmp_path / "in"]).done == 3
