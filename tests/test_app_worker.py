"""The window's worker, at its edges: an error nobody expected still answers the request it broke, and
closing the window neither waits for the worker nor lets it go on with the batch.

As in test_app.py, a real (tiny) model runs in the real window's worker thread, and waiting is on the
window's own signals or state, never on a clock.
"""
import logging
import threading

import pytest

import app.worker
import colorizer.pipeline as pipeline
from app.jobs import Colorize, DetailRequest, ModelsRequest, Options, PreviewRequest, SuggestRequest
from app.predictions import Predictions
from app.window import MainWindow
from app.worker_thread import wait_for_ended
from appwindow import WAIT, AppWindow, colorize, copy_photos, drop
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)


class Surprise(Exception):
    """An error of a type the worker does not expect (a bug somewhere below it)."""


def surprise(*args, **kwargs):
    raise Surprise("out of the blue")


# ---- every request gets an answer ---------------------------------------------------------------------
def test_a_preview_that_fails_unexpectedly_says_why_instead_of_loading(qtbot, make_window, tiny_model, photo_dir,
                                                                       monkeypatch):
    weights, _ = tiny_model
    window = make_window(weights)
    window.recent.limit = 1  # the first photo's preview is gone from memory: selecting it asks the worker
    colorize(qtbot, window, [photo_dir / "scene00.jpg", photo_dir / "scene01.jpg", photo_dir / "scene02.jpg"])
    first = window.results.key_of(window.results.item(0))
    window.results.select_key(window.results.key_of(window.results.item(2)))
    monkeypatch.setattr(Predictions, "shown", surprise)

    window.results.select_key(first)
    assert window.compare.message().startswith("Loading")
    qtbot.waitUntil(lambda: not window.compare.message().startswith("Loading"), timeout=WAIT)

    assert window.compare.message().startswith("Cannot show this photo")
    assert "Surprise: out of the blue" in window.compare.message()
    assert "Preview failed" in window.statusBar().currentMessage()


def test_a_photo_that_fails_unexpectedly_is_counted_and_listed_as_failed(qtbot, tmp_path, make_window, tiny_model,
                                                                          photo_dir, monkeypatch):
    weights, _ = tiny_model
    photos = copy_photos(photo_dir, tmp_path / "in", ["scene03.jpg", "scene04.jpg", "scene05.jpg"])
    real_save, saves = app.worker.save_outputs, []

    def save_fails_for_the_second(*args, **kwargs):
        saves.append(args)
        if len(saves) == 2:  # the photos are colorized in the order dropped
            raise Surprise("out of the blue")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(app.worker, "save_outputs", save_fails_for_the_second)
    window = make_window(weights)

    summary = colorize(qtbot, window, photos)

    assert (summary.done, summary.failed) == (2, 1)
    assert window.batch.progress_label.text() == "2 photos colorized, 1 failed (see the list)."
    failed = [r for r in window.entries.values() if not r.ok]
    assert [r.source for r in failed] == [str(photos[1])]
    assert "Surprise: out of the blue" in failed[0].error
    assert window.results.count() == 3


ANSWERS = {  # request -> the worker's signal that answers it
    "preview": "preview_ready",
    "detail": "detail_ready",
    "models": "model_preview_ready",
    "suggestions": "suggestions_ready",
    "photo": "item_finished",
}


@pytest.mark.parametrize("kind", list(ANSWERS))
def test_every_kind_of_request_is_answered_when_the_network_fails_unexpectedly(qtbot, tmp_path, make_window,
                                                                               tiny_model, photo_dir, monkeypatch,
                                                                               caplog, kind):
    weights, _ = tiny_model
    window = make_window(weights)
    worker, card, source = window.worker, window.current_model(), str(photo_dir / "scene06.jpg")
    monkeypatch.setattr(pipeline.Colorizer, "predict", surprise)
    ask = {
        "preview": lambda: worker.request_preview(PreviewRequest(1, source, card, 0.4)),
        "detail": lambda: worker.request_detail(DetailRequest(1, source, card, 0.4, (0, 0, 32, 32))),
        "models": lambda: worker.request_models(ModelsRequest(1, source, [(card, 0.4)], 64)),
        "suggestions": lambda: worker.request_suggestions(SuggestRequest(1, source, card, 0.4, 5, 5)),
        "photo": lambda: worker.submit(Colorize(1, source, Options(card, 0.4, str(tmp_path / "out")))),
    }[kind]

    with caplog.at_level(logging.ERROR, logger="app.worker"):
        with qtbot.waitSignal(getattr(worker, ANSWERS[kind]), timeout=WAIT) as answer:
            ask()

    assert "unexpected Surprise: out of the blue" in answer.args[0].error
    assert any(r.exc_info and r.exc_info[0] is Surprise for r in caplog.records)  # the log has the traceback


# ---- closing ------------------------------------------------------------------------------------------
def test_closing_during_a_long_photo_returns_at_once_and_cancels_the_batch(qtbot, tmp_path, make_window, tiny_model,
                                                                         photo_dir, monkeypatch):
    weights, _ = tiny_model
    window = make_window(weights)
    window.show()
    started, release, returned = threading.Event(), threading.Event(), threading.Event()
    calls = []
    real_predict = pipeline.Colorizer.predict

    def predict_first_waits(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:  # hold the first photo until the window has closed
            started.set()
            release.wait(WAIT / 1000)
            returned.set()
        return real_predict(self, *args, **kwargs)

    monkeypatch.setattr(pipeline.Colorizer, "predict", predict_first_waits)
    try:
        assert drop(window.drop_zone, [photo_dir])
        qtbot.waitUntil(started.is_set, timeout=WAIT)
        window.close()
        assert not returned.is_set()  # close did not wait for the photo being colorized
        assert not window.isVisible()
    finally:
        release.set()

    assert wait_for_ended(WAIT)
    assert window._worker_thread.thread.isFinished()
    assert len(calls) == 1  # none of the other photos was started
    # The photo being colorized was finished, as Cancel does: no half-written file.
    assert [p.name for p in (tmp_path / "out").glob("*_color.png")] == ["scene00_color.png"]


# ---- the test helper ----------------------------------------------------------------------------------
def test_the_test_windows_names_are_the_panels_own_parts(make_window, tiny_model):
    """AppWindow's short names each reach a part of a panel; the window itself keeps none of them."""
    window = make_window(tiny_model[0])
    names = [n for n, v in vars(AppWindow).items() if isinstance(v, property)]
    assert len(names) == 24
    for name in names:
        assert getattr(window, name) is not None, name
        assert not hasattr(MainWindow, name) and name not in vars(window), name
    assert window.model_combo is window.choice.combo and window.compare is window.view.compare
