"""The window, driven as a user would: drops, the model dropdown, the temperature slider, Cancel.

Every test runs a real (tiny) model in the window's worker thread. Waiting is done on the window's own
signals or state (qtbot.waitSignal / waitUntil with timeouts), never by sleeping. Settings live in a
per-test INI file, so the real user's settings are never read or written.
"""
import json
import shutil
import threading

import pytest
from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

import colorizer.pipeline as pipeline
from app.settings import Settings
from appwindow import WAIT, AppWindow, colorize, copy_photos, drop, pixels
from appwindow import isolated_settings, make_window, two_models  # noqa: F401  (fixtures)
from colorizer.nets.unet import UNet


# ---- the tests ----------------------------------------------------------------------------------------
def test_drop_of_files_and_folders_writes_full_size_copies(qtbot, tmp_path, make_window, tiny_model, photo_dir):
    weights, _ = tiny_model
    single = copy_photos(photo_dir, tmp_path / "in", ["scene00.jpg"])[0]
    folder = tmp_path / "trip"
    nested = copy_photos(photo_dir, folder, ["scene01.jpg"]) + copy_photos(photo_dir, folder / "day2",
                                                                            ["scene02.jpg", "scene04.jpg"])
    window = make_window(weights)
    assert window.view_stack.currentWidget() is window.hint  # the drop hint, before anything is dropped

    summary = colorize(qtbot, window, [single, folder])

    assert (summary.done, summary.failed) == (4, 0)
    out = tmp_path / "out"
    for src in [single] + nested:
        w, h = Image.open(src).size
        with Image.open(out / f"{src.stem}_gray.png") as gray, Image.open(out / f"{src.stem}_color.png") as color:
            assert gray.size == (w, h) and color.size == (w, h)
            assert gray.mode == "L" and color.mode == "RGB"
    assert window.results.count() == 4
    # The first photo is shown large at once, before and after.
    assert window.view_stack.currentWidget() is window.compare
    assert window.results.current_key() is not None
    assert not window.compare.before_image().isNull() and not window.compare.after_image().isNull()

    # The same photo again: new names, the earlier files untouched.
    first = (out / "scene00_color.png").read_bytes()
    colorize(qtbot, window, [single])
    assert (out / "scene00_gray-1.png").exists() and (out / "scene00_color-1.png").exists()
    assert (out / "scene00_color.png").read_bytes() == first


def test_an_output_folder_inside_a_dropped_folder_is_not_colorized_again(qtbot, tmp_path, make_window,
                                                                         tiny_model, photo_dir):
    weights, _ = tiny_model
    album = tmp_path / "album"
    copy_photos(photo_dir, album, ["scene03.jpg"])
    window = make_window(weights)
    window.set_output_dir(album / "colorized")
    assert colorize(qtbot, window, [album]).done == 1
    assert colorize(qtbot, window, [album]).done == 1  # the photo again, not last run's two copies
    assert sorted(p.name for p in (album / "colorized").iterdir()) == [
        "scene03_color-1.png", "scene03_color.png", "scene03_gray-1.png", "scene03_gray.png"]


def test_slider_redecodes_the_shown_image_without_a_network_pass(qtbot, tmp_path, make_window, tiny_model, photo_dir,
                                                                 monkeypatch):
    weights, _ = tiny_model
    window = make_window(weights)
    colorize(qtbot, window, [photo_dir / "scene03.jpg"])
    passes = window.worker.network_passes()
    assert passes == 1
    before = pixels(window.compare.after_image())

    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.temperature_slider.setValue(95)
    assert window.temperature_label.text() == "0.95"
    assert window.shown.temperature == pytest.approx(0.95)
    assert pixels(window.compare.after_image()) != before  # greyer at a high temperature
    assert window.worker.network_passes() == passes

    # Rapid moves are coalesced: while the worker decodes one position, only the newest one waits.
    decoded, entered, release = [], threading.Event(), threading.Event()
    real_decode = pipeline.Prediction.decode

    def slow_decode(self, temperature, max_side=None, box=None):
        decoded.append(round(temperature, 2))
        if len(decoded) == 1:
            entered.set()
            release.wait(WAIT / 1000)
        return real_decode(self, temperature, max_side, box)

    monkeypatch.setattr(pipeline.Prediction, "decode", slow_decode)
    try:
        window.temperature_slider.setValue(50)
        qtbot.waitUntil(entered.is_set, timeout=WAIT)
        for value in range(51, 61):
            window.temperature_slider.setValue(value)
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.shown.temperature == pytest.approx(0.60), timeout=WAIT)
    assert decoded == [0.5, 0.6]
    assert window.worker.network_passes() == passes


def test_switching_model_recolours_and_apply_to_all_saves_new_files(qtbot, tmp_path, make_window, two_models,
                                                                    photo_dir):
    window = make_window(two_models)
    assert [window.model_combo.itemText(i) for i in range(window.model_combo.count())] == \
        ["Tiny test model", "Tiny warm"]
    assert window.model_combo.itemData(1, Qt.ItemDataRole.ToolTipRole) == "a second model for tests"
    window.model_combo.setCurrentIndex(0)
    photos = copy_photos(photo_dir, tmp_path / "in", ["scene05.jpg", "scene06.jpg"])
    colorize(qtbot, window, photos)
    shown_key = window.shown.key
    tiny_image = pixels(window.compare.after_image())

    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.model_combo.setCurrentIndex(1)
    assert window.shown == type(window.shown)(shown_key, "warm", 0.5)  # T jumps to that card's default
    assert window.temperature_label.text() == "0.50"
    assert pixels(window.compare.after_image()) != tiny_image
    passes = {c.card["id"]: c.network_passes for c in window.worker.models.values()}
    assert passes == {"tiny": 2, "warm": 1}  # one pass for the photo shown, none for the other

    # "Apply to all": new colour files for the whole list with this model and T; earlier ones kept.
    out = tmp_path / "out"
    earlier = {p.name: p.read_bytes() for p in out.iterdir()}
    with qtbot.waitSignal(window.batch_done, timeout=WAIT) as blocker:
        window.apply_button.click()
    assert blocker.args[0].done == 2
    for photo in photos:
        with Image.open(out / f"{photo.stem}_color-1.png") as im:
            assert im.size == Image.open(photo).size
            assert im.text["colorizer:model"] == "warm" and im.text["colorizer:temperature"] == "0.5"
        assert not (out / f"{photo.stem}_gray-1.png").exists()  # the grayscale copy is already there
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in earlier} == earlier

    # Back to the first model: its output is still cached, so no network pass.
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.model_combo.setCurrentIndex(0)
    assert pixels(window.compare.after_image()) == tiny_image
    assert window.worker.models[str(two_models / "tiny.safetensors")].network_passes == 2


def test_going_back_to_an_older_photo_shows_it_again(qtbot, tmp_path, make_window, tiny_model, photo_dir):
    """The window keeps only a few previews in memory; an older photo's comes back from the worker."""
    weights, _ = tiny_model
    window = make_window(weights)
    window.recent.limit = 1
    colorize(qtbot, window, [photo_dir / "scene00.jpg", photo_dir / "scene01.jpg", photo_dir / "scene02.jpg"])
    first = window.results.key_of(window.results.item(0))
    window.results.select_key(window.results.key_of(window.results.item(2)))
    passes = window.worker.network_passes()

    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.results.select_key(first)
        assert window.compare.message().startswith("Loading")
    assert window.shown.key == first
    size = Image.open(photo_dir / "scene00.jpg").size
    assert window.compare.before_image().size().toTuple() == size
    assert window.compare.after_image().size().toTuple() == size
    assert window.worker.network_passes() == passes  # its network output was still cached


def test_broken_files_are_listed_with_their_reason_while_the_others_finish(qtbot, tmp_path, make_window, tiny_model,
                                                                          photo_dir):
    weights, _ = tiny_model
    folder = tmp_path / "mixed"
    good = copy_photos(photo_dir, folder, ["scene07.jpg", "scene08.jpg"])
    (folder / "broken.jpg").write_bytes(b"this is not a JPEG at all" * 10)
    (folder / "empty.png").write_bytes(b"")
    window = make_window(weights)

    summary = colorize(qtbot, window, [folder])

    assert (summary.done, summary.failed) == (2, 2)
    assert QApplication.activeModalWidget() is None  # no dialog per file
    errors = {r.source.rsplit("/", 1)[-1]: r.error for r in window.entries.values() if not r.ok}
    assert set(errors) == {"broken.jpg", "empty.png"}
    assert "not an image" in errors["broken.jpg"] and "empty" in errors["empty.png"]
    rows = [window.results.item(i).text() for i in range(window.results.count())]
    assert any("broken.jpg" in r and "not an image" in r for r in rows)
    for photo in good:
        assert (tmp_path / "out" / f"{photo.stem}_color.png").exists()
    # Selecting the broken one says why instead of showing a picture.
    key = next(k for k, r in window.entries.items() if not r.ok and r.source.endswith("broken.jpg"))
    window.results.select_key(key)
    assert "not an image" in window.compare.message()


def test_cancel_stops_the_batch_after_the_current_photo(qtbot, tmp_path, make_window, tiny_model, photo_dir,
                                                        monkeypatch):
    weights, _ = tiny_model
    window = make_window(weights)
    started, release = threading.Event(), threading.Event()
    calls = []
    real_predict = pipeline.Colorizer.predict

    def predict_second_waits(self, image):
        calls.append(image)
        if len(calls) == 2:  # hold the second photo until the test has pressed Cancel
            started.set()
            release.wait(WAIT / 1000)
        return real_predict(self, image)

    monkeypatch.setattr(pipeline.Colorizer, "predict", predict_second_waits)
    try:
        with qtbot.waitSignal(window.batch_done, timeout=WAIT) as blocker:
            drop(window.drop_zone, [photo_dir])
            qtbot.waitUntil(started.is_set, timeout=WAIT)
            assert window.cancel_button.isEnabled()
            window.cancel_button.click()
            assert not window.cancel_button.isEnabled()
            release.set()
    finally:
        release.set()
    summary = blocker.args[0]
    n = len(list(photo_dir.glob("*.jpg")))
    assert (summary.done, summary.cancelled) == (2, n - 2)  # the photo being colorized was finished
    assert len(calls) == 2
    assert len(list((tmp_path / "out").glob("*_color.png"))) == 2
    assert window.progress_label.text().startswith("Cancelled")
    # The window goes on working after a Cancel.
    assert colorize(qtbot, window, [photo_dir / "scene09.jpg"]).done == 1


def test_cancel_while_folders_are_still_searched(qtbot, tmp_path, make_window, tiny_model, photo_dir,
                                                  monkeypatch):
    """Cancel before any photo has started: what the search finds is dropped, and the batch still ends."""
    import app.worker
    weights, _ = tiny_model
    window = make_window(weights)
    searching, release = threading.Event(), threading.Event()
    real_find = app.worker.find_images

    def slow_find(paths, **kwargs):
        searching.set()
        release.wait(WAIT / 1000)
        return real_find(paths, **kwargs)

    monkeypatch.setattr(app.worker, "find_images", slow_find)
    try:
        with qtbot.waitSignal(window.batch_done, timeout=WAIT) as blocker:
            assert drop(window.drop_zone, [photo_dir])
            qtbot.waitUntil(searching.is_set, timeout=WAIT)
            assert drop(window.drop_zone, [photo_dir / "scene00.jpg"])  # queued behind the search
            window.cancel_button.click()
            release.set()
    finally:
        release.set()
    summary = blocker.args[0]
    assert summary.done == 0 and summary.cancelled == len(list(photo_dir.glob("*.jpg")))
    assert window.progress_label.text().startswith("Cancelled") and not window.is_busy()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_settings_survive_a_new_window(qtbot, tmp_path, make_window, two_models, isolated_settings):
    window = make_window(two_models)
    assert window.settings.store.fileName() == str(tmp_path / "settings.ini")
    window.model_combo.setCurrentIndex(1)
    window.temperature_slider.setValue(61)
    window.set_output_dir(tmp_path / "elsewhere")
    # Smaller than the default size, but not below the layout's minimum nor beyond the (offscreen) screen.
    size = QSize(window.minimumSizeHint().width() + 6, 560)
    assert size.width() < window.screen().availableGeometry().width()
    window.resize(size)
    window.show()
    qtbot.waitExposed(window)
    assert window.size() == size
    window.close()

    again = AppWindow(Settings.at(tmp_path / "settings.ini"), weights_dir=two_models, device="auto")
    qtbot.addWidget(again)
    assert again.current_model()["id"] == "warm"
    assert again.temperature() == pytest.approx(0.61)
    assert again.output_dir == tmp_path / "elsewhere"
    assert again.size() == size
    # The other model keeps its own temperature.
    again.model_combo.setCurrentIndex(0)
    assert again.temperature() == pytest.approx(0.38)


def test_torch_is_never_called_on_the_gui_thread(qtbot, tmp_path, make_window, two_models, photo_dir, monkeypatch):
    threads = []

    def record(cls, name):
        real = getattr(cls, name)

        def wrapper(*args, **kwargs):
            threads.append((name, threading.current_thread()))
            return real(*args, **kwargs)
        monkeypatch.setattr(cls, name, wrapper)

    record(UNet, "forward")
    record(pipeline.Colorizer, "predict")
    record(pipeline.Prediction, "decode")
    record(pipeline.Prediction, "ab")
    real_load = pipeline.Colorizer.load  # bound to the class already

    def load(*args, **kwargs):
        threads.append(("load", threading.current_thread()))
        return real_load(*args, **kwargs)
    monkeypatch.setattr(pipeline.Colorizer, "load", staticmethod(load))

    window = make_window(two_models, device="cpu")  # torch's network (UNet.forward), not ONNX Runtime's
    colorize(qtbot, window, [photo_dir / "scene10.jpg", photo_dir / "scene11.jpg"])
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.temperature_slider.setValue(80)
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT):
        window.model_combo.setCurrentIndex(1 - window.model_combo.currentIndex())
    with qtbot.waitSignal(window.batch_done, timeout=WAIT):
        window.apply_button.click()

    names = {name for name, _ in threads}
    # ab: whether decode() goes through it is the library's choice
    assert names >= {"load", "forward", "predict", "decode"}
    assert all(t is not threading.main_thread() for _, t in threads)


def test_no_models_gives_a_message_not_a_crash(qtbot, tmp_path, make_window, photo_dir):
    empty = tmp_path / "no_weights"
    empty.mkdir()
    window = make_window(empty)
    window.show()
    assert window.banner.isVisible() and "No models found" in window.banner.text()
    assert str(empty) in window.banner.text()
    assert not window.model_combo.isEnabled()
    assert not drop(window.drop_zone, [photo_dir / "scene00.jpg"])  # nothing to colorize with
    window.add_paths([photo_dir / "scene00.jpg"])
    assert not window.is_busy() and window.results.count() == 0


def test_a_corrupt_model_gives_a_message_and_the_others_still_work(qtbot, tmp_path, make_window, tiny_model, photo_dir):
    weights, name = tiny_model
    folder = tmp_path / "weights"
    folder.mkdir()
    for ext in (".safetensors", ".json"):
        shutil.copy(weights / f"{name}{ext}", folder / f"{name}{ext}")
    (folder / "broken.safetensors").write_bytes(b"\x00garbage" * 100)
    card = json.loads((weights / f"{name}.json").read_text())
    (folder / "broken.json").write_text(json.dumps({**card, "id": "broken", "name": "Broken model"}))
    window = make_window(folder)
    window.show()
    window.model_combo.setCurrentIndex(window.model_combo.findData("broken"))

    summary = colorize(qtbot, window, [photo_dir / "scene00.jpg", photo_dir / "scene01.jpg"])

    assert summary.model_error and summary.done == 0
    assert window.banner.isVisible() and "could not be loaded" in window.banner.text()
    assert window.results.count() == 0
    window.model_combo.setCurrentIndex(window.model_combo.findData(name))
    assert not window.banner.isVisible()
    assert colorize(qtbot, window, [photo_dir / "scene00.jpg"]).done == 1


def test_prediction_cache_counts_what_decoding_adds():
    """The budget holds what the predictions hold now, decoded ones included: a cache with room for two
    fresh predictions keeps one once both have been decoded and a third arrives."""
    import numpy as np
    from app.worker import PredictionCache
    rng = np.random.default_rng(0)
    centres = rng.uniform(-60, 60, (13, 2)).astype(np.float32)

    def prediction():
        return pipeline.Prediction(L=rng.uniform(0, 100, (96, 128)).astype(np.float32),
                                   logits=rng.standard_normal((13, 48, 64)).astype(np.float32), centres=centres)
    first, second, third = prediction(), prediction(), prediction()
    fresh = first.nbytes
    assert fresh == first.L.nbytes + first.logits.nbytes
    cache = PredictionCache(int(2.5 * fresh))
    cache.put("a", first)
    cache.put("b", second)
    assert cache.get("a") is first and cache.get("b") is second
    for pred in (first, second):
        pred.decode(0.5, max_side=64)
    assert first.nbytes > 1.25 * fresh and cache.nbytes == first.nbytes + second.nbytes
    cache.put("c", third)
    assert cache.nbytes <= cache.budget
    assert cache.get("c") is third and cache.get("a") is None and cache.get("b") is None
