"""The real window for tests: fixtures that make MainWindows with their own settings, log and output
folder (and stop their worker threads), and helpers that drive them as a user would. Imported by the
tests/test_app*.py files."""
import gc
import shutil
from operator import attrgetter

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from app.window import MainWindow
from app.worker_thread import wait_for_ended
from colorizer.training.card import save_model
from colorizer.weights import load_model

WAIT = 30_000  # ms; generous for a loaded CI machine, never reached when things work


def _part(path: str):
    """A read-only attribute for a widget, action or state one of the window's panels owns."""
    return property(attrgetter(path))


class AppWindow(MainWindow):
    """The real window, with the panels' widgets and actions the tests drive under one short name each
    (the window itself reaches them through its panels)."""

    model_combo, temperature_slider = _part("choice.combo"), _part("choice.slider")
    temperature_label, default_t_button = _part("choice.value_label"), _part("choice.reset_button")
    view_stack, hint = _part("view.stack"), _part("view.hint")
    compare, models_view = _part("view.compare"), _part("view.models_view")
    zoom_label, compare_models_button = _part("view.zoom_label"), _part("view.compare_models_button")
    fit_action, actual_size_action = _part("view.fit_action"), _part("view.actual_size_action")
    compare_models_action = _part("view.compare_models_action")
    output_edit, open_output_button = _part("output_row.edit"), _part("output_row.open_button")
    format_combo, quality_spin = _part("output_row.format_combo"), _part("output_row.quality_spin")
    metadata_check = _part("output_row.metadata_check")
    apply_button, cancel_button = _part("batch.apply_button"), _part("batch.cancel_button")
    progress_label = _part("batch.progress_label")
    hint_mode_action = _part("hints_panel.mode_action")
    entries, recent = _part("photos.entries"), _part("photos.recent")


# ---- fixtures and helpers ----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Even code that opens the default settings gets a file in this test's folder."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("LANDSCAPE_COLORIZER_SETTINGS", str(path))
    return path


@pytest.fixture(scope="session")
def two_models(tiny_model, tmp_path_factory):
    """A weights folder with the tiny model and a second export of it ("warm", pushed towards red and
    with another default temperature), so that switching model visibly changes the picture."""
    weights, name = tiny_model
    out = tmp_path_factory.mktemp("two_models")
    model, bins, card = load_model(weights / f"{name}.safetensors")
    card = {k: v for k, v in card.items() if k not in ("id", "path")}  # each export takes its file name as id
    save_model(model, bins, card, out, "tiny")
    reddest = int(bins.centres[:, 0].argmax())  # the class with the largest a (red-green axis)
    model.head.bias.data[reddest] += 8.0
    save_model(model, bins, {**card, "name": "Tiny warm", "description": "a second model for tests",
                             "default_temperature": 0.5}, out, "warm")
    return out


@pytest.fixture
def make_window(qtbot, tmp_path):
    """AppWindow(weights) with this test's settings file, log and output folder. The windows are kept
    referenced until the test ends and then shut down, and their worker threads have ended when it returns.
    The device is "auto", as the app's: ONNX Runtime where torch sees no CUDA GPU, the path users run; a
    test of torch itself passes device="cpu". To compare with the library, load the model on the window's
    own device (window.worker.device)."""
    windows = []

    def make(weights, device="auto", **kwargs) -> AppWindow:
        window = AppWindow(Settings.at(tmp_path / "settings.ini"), weights_dir=weights, device=device,
                           log_path=tmp_path / "app.log", **kwargs)
        window.set_output_dir(tmp_path / "out")
        qtbot.addWidget(window)
        windows.append(window)
        return window

    # As the app does (app.gcguard): no cycle collection while worker threads run, or it may happen in
    # a worker and destroy Qt GUI objects there; collect here, in the GUI thread, once they are stopped.
    gc.disable()
    try:
        yield make
    finally:
        for window in windows:
            window.shutdown()
        windows.clear()
        assert wait_for_ended(WAIT)  # closing does not wait for them
        gc.enable()
        gc.collect()


def drop(widget, paths) -> bool:
    """Drag the paths onto the widget and drop them, as the file manager does; True if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    how = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(QPointF(20, 20), *how)  # Qt >= 6.12 (the QPoint form is deprecated there)
    except TypeError:
        enter = QDragEnterEvent(QPoint(20, 20), *how)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def colorize(qtbot, window, paths):
    """Drop paths and wait for the batch; returns its BatchSummary."""
    with qtbot.waitSignal(window.batch_done, timeout=WAIT) as blocker:
        assert drop(window.drop_zone, paths)
    return blocker.args[0]


def copy_photos(photo_dir, dest, names):
    dest.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(photo_dir / n, dest / n)
    return [dest / n for n in names]


def pixels(qimage) -> bytes:
    return bytes(qimage.constBits())
