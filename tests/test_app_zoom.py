"""Zoom and pan in the before/after view, on the real window with a shipped model (weights/): at
100 % the pixels on screen are the full-resolution photo's, decoded for the visible region; the wheel
and pinch zoom toward the cursor; a drag pans, except near the divider, which keeps working."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QNativeGestureEvent, QPointingDevice, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from appwindow import WAIT, colorize
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)
from colorizer.pipeline import Colorizer
from synthetic import landscape

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
pytestmark = pytest.mark.skipif(not (WEIGHTS / "natural.safetensors").exists(), reason="needs the shipped models")
PREVIEW = 300  # a coarse preview, so that the full-resolution detail differs from it clearly


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 1200 x 900 landscape with fine texture (so that an enlarged preview cannot pass for it)."""
    rgb = landscape(900, 1200, seed=5).astype(np.int16)
    rgb += np.random.default_rng(5).integers(-25, 26, size=rgb.shape[:2])[..., None]
    path = tmp_path_factory.mktemp("zoom") / "valley.png"
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def window(qtbot, make_window, photo):
    w = make_window(WEIGHTS, preview_side=PREVIEW)
    w.model_combo.setCurrentIndex(w.model_combo.findData("natural"))
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    assert colorize(qtbot, w, [photo]).done == 1
    qtbot.waitUntil(lambda: w.shown is not None and w.compare.after_image() is not None, timeout=WAIT)
    return w


def screen(view) -> np.ndarray:
    """What the view paints, as uint8 RGB."""
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())[:, :3 * w].reshape(h, w, 3)


def inner(view):
    """Widget rows/columns of the visible photo clear of the labels and the divider's handle (at the
    left edge, with the divider at 0, or the right edge at 1)."""
    v = view.visible_rect()
    return int(v.left()) + 40, int(v.top()) + 50, int(v.right()) - 40, int(v.bottom()) - 4


def compare_with(view, full: np.ndarray):
    """The view's pixels over inner() and the same pixels of the full-resolution image `full`."""
    x0, y0, x1, y1 = inner(view)
    r = view.photo_rect()
    ox, oy = int(r.left()), int(r.top())
    assert r.left() == ox and r.top() == oy  # whole pixels at 100 %
    return screen(view)[y0:y1, x0:x1].astype(int), full[y0 - oy:y1 - oy, x0 - ox:x1 - ox].astype(int)


def test_at_100_percent_the_view_shows_the_full_resolution_pixels(qtbot, window, photo):
    view = window.compare
    assert view.is_fit() and view.zoom() < 1
    pred = Colorizer.load(WEIGHTS / "natural.safetensors", device=window.worker.device).predict(photo)
    t = window.temperature()

    full_resolution = lambda d: d.region[1] is None  # noqa: E731  (not the one asked for at Fit)
    with qtbot.waitSignal(window.detail_shown, timeout=WAIT, check_params_cb=full_resolution) as shown:
        window.actual_size_action.trigger()  # Ctrl+1
    assert view.zoom() == pytest.approx(1.0)
    box, max_side = shown.args[0].region
    assert max_side is None and box == view.visible_box()
    assert (box[2] - box[0], box[3] - box[1]) == (min(1200, view.width()), min(900, view.height()))

    view.set_split(0.0)  # all "after"
    shown_px, full_px = compare_with(view, pred.decode(t))
    assert np.abs(shown_px - full_px).max() <= 1
    # The preview enlarged would not do: it differs clearly from the full-resolution pixels.
    preview = pred.decode(t, max_side=PREVIEW)
    enlarged = np.asarray(Image.fromarray(preview).resize((1200, 900), Image.Resampling.BILINEAR))
    _, enlarged_px = compare_with(view, enlarged)
    assert np.abs(enlarged_px - full_px).mean() > 4 * max(np.abs(shown_px - full_px).mean(), 0.25)

    view.set_split(1.0)  # all "before": the photo's own gray, at full resolution too
    shown_px, full_px = compare_with(view, np.repeat(pred.gray()[..., None], 3, axis=2))
    assert np.abs(shown_px - full_px).max() <= 1

    # The temperature slider re-decodes only the colour of the region shown, no network pass.
    passes = window.worker.network_passes()
    view.set_split(0.0)
    with qtbot.waitSignal(window.detail_shown, timeout=WAIT,
                          check_params_cb=lambda d: d.temperature == pytest.approx(0.9)) as shown:
        window.temperature_slider.setValue(90)
    assert shown.args[0].gray is None
    shown_px, full_px = compare_with(view, pred.decode(0.9))
    assert np.abs(shown_px - full_px).max() <= 1
    assert window.worker.network_passes() == passes

    # Back to Fit (Ctrl+0): the preview of the whole photo, which waited while the detail covered the
    # view, is brought to the new temperature, decoded at the size shown (not the worker's 300 px).
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT, check_params_cb=lambda s: s.temperature == 0.9):
        window.fit_action.trigger()
    assert view.is_fit() and view.detail() is None and view.detail_request() is None
    shown_width = view.photo_rect().width()
    assert shown_width <= view.after_image().width() < shown_width + 64


def send_mouse(view, kind, pos, buttons=Qt.MouseButton.LeftButton):
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else buttons
    event = QMouseEvent(kind, QPointF(pos), view.mapToGlobal(QPointF(pos)), button, held,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)


def test_wheel_and_pinch_zoom_toward_the_cursor(window):
    view = window.compare
    cursor = QPointF(view.width() * 0.3, view.height() * 0.6)
    under = view.to_photo(cursor)
    zoom = view.zoom()
    wheel = QWheelEvent(cursor, view.mapToGlobal(cursor), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, wheel)
    assert view.zoom() == pytest.approx(zoom * 1.25 ** 2)
    after = view.to_photo(cursor)
    assert abs(after.x() - under.x()) < 1.5 and abs(after.y() - under.y()) < 1.5  # the same photo point

    zoom = view.zoom()
    pinch = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(), 2,
                                cursor, cursor, view.mapToGlobal(cursor), 0.5, QPointF(0, 0))
    QApplication.sendEvent(view, pinch)
    assert view.zoom() == pytest.approx(zoom * 1.5)
    after = view.to_photo(cursor)
    assert abs(after.x() - under.x()) < 1.5 and abs(after.y() - under.y()) < 1.5

    wheel_out = QWheelEvent(cursor, view.mapToGlobal(cursor), QPoint(0, 0), QPoint(0, -120 * 20),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
    QApplication.sendEvent(view, wheel_out)
    assert view.is_fit()  # never smaller than the whole photo


def test_drag_pans_when_zoomed_and_moves_the_divider_near_it(window):
    view = window.compare
    view.setFocus()
    # At Fit a press anywhere moves the divider, as before.
    v = view.visible_rect()
    send_mouse(view, QEvent.Type.MouseButtonPress, QPointF(v.left() + v.width() * 0.25, v.center().y()))
    send_mouse(view, QEvent.Type.MouseButtonRelease, QPointF(v.left() + v.width() * 0.25, v.center().y()))
    assert view.split() == pytest.approx(0.25, abs=0.01)

    view.set_zoom(2.0)
    assert view.can_pan()
    view.set_split(0.5)
    box = view.visible_box()
    start = QPointF(view.width() * 0.25, view.height() / 2)  # far from the divider
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    send_mouse(view, QEvent.Type.MouseMove, start + QPointF(100, 40))
    send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPointF(100, 40))
    moved = view.visible_box()
    assert view.split() == 0.5
    assert moved[0] == pytest.approx(box[0] - 50, abs=1) and moved[1] == pytest.approx(box[1] - 20, abs=1)

    x = view.divider_x()  # grab the divider itself and drag it: it moves, the photo does not
    send_mouse(view, QEvent.Type.MouseButtonPress, QPointF(x + 5, view.height() / 3))
    send_mouse(view, QEvent.Type.MouseMove, QPointF(x + 5 + view.visible_rect().width() * 0.2, view.height() / 3))
    send_mouse(view, QEvent.Type.MouseButtonRelease, QPointF(x + 5 + view.visible_rect().width() * 0.2, 0))
    assert view.split() == pytest.approx(0.7, abs=0.02)
    assert view.visible_box() == moved

    # Keys: the divider with ←/→ at any zoom, panning with Shift+arrows, zoom with + and -.
    QTest.keyClick(view, Qt.Key.Key_Left)
    assert view.split() == pytest.approx(0.65, abs=0.02)
    QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.visible_box()[0] > moved[0]
    zoom = view.zoom()
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(zoom / 1.25)
    QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(zoom)
    v = view.visible_rect()
    assert v.left() <= view.divider_x() <= v.right()  # the divider stays on screen at every zoom


def test_another_photo_starts_at_fit(qtbot, window, photo, tmp_path):
    second = tmp_path / "second.png"
    Image.fromarray(landscape(600, 800, seed=9)).save(second)
    window.actual_size_action.trigger()
    assert not window.compare.is_fit()
    with qtbot.waitSignal(window.batch_done, timeout=WAIT):
        window.add_paths([second])
    window.results.setCurrentRow(1)
    assert window.compare.is_fit()
    assert window.zoom_label.text().startswith("Fit")
