"""Hint mode without a mouse, driven with keys as a user would (app.hint_cursor): the arrow keys move a
crosshair and Enter places a hint under it; Tab reaches the markers, the arrow keys move the one reached,
Delete removes it; undo and redo cover these edits as they do the mouse's. And the palette's "shown now"
swatch follows the temperature and the model, as the colour shown at the point does.

With conftest's lite_model_path (random weights, takes hints), as test_app_hints' plumbing tests.
"""
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton

from app.jobs import Suggestions
from appwindow import WAIT
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)
from colorizer.hints import Hint
from colorizer.pipeline import Colorizer
from colorizer.training.card import save_model
from colorizer.weights import load_model
from test_app_hints import click_photo, hint_mode, open_photos, wait_shown, widget_pos
from test_app_hints import lite_weights, photos  # noqa: F401  (fixtures)

NONE = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def focus_view_with_tab(window):
    """The before/after view gets the focus as Tab gives it (the crosshair shows for the keyboard)."""
    window.activateWindow()
    window.compare.setFocus(Qt.FocusReason.TabFocusReason)
    assert window.compare.hasFocus()


def keys(qtbot, window, *presses):
    """Press keys on the focused view: each a key, or (key, modifiers)."""
    for press in presses:
        key, modifiers = press if isinstance(press, tuple) else (press, NONE)
        qtbot.keyClick(window.compare, key, modifiers)


def status(window) -> str:
    return window.statusBar().currentMessage()


def test_enter_places_a_hint_at_the_crosshair_which_the_arrow_keys_move(qtbot, make_window, lite_weights, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    view, key = window.compare, window.results.current_key()
    focus_view_with_tab(window)
    start = view.cursor.where(view)
    assert view.cursor.active and view.visible_rect().contains(view.from_photo(start.toPointF()))
    assert f"x {start.x()}, y {start.y()}" in status(window)  # said where it is, on reaching the view

    step, far = view.cursor.step(view), view.cursor.step(view, far=True)
    assert 1 <= step < far
    keys(qtbot, window, Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Down, (Qt.Key.Key_Left, SHIFT))
    x, y = start.x() + 2 * step - far, start.y() + step
    assert (view.cursor.where(view).x(), view.cursor.where(view).y()) == (x, y)
    assert f"x {x}, y {y}" in status(window)
    assert window.photos.hints(key) == ()  # moving the crosshair places nothing

    shown = view.shown_color(x, y)
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT, check_params_cb=lambda s: len(s.hints) == 1):
        keys(qtbot, window, Qt.Key.Key_Return)
    assert window.photos.hints(key) == (Hint(x, y, shown),)  # as a click there: its pixel, the colour shown
    assert window.hints_panel.selected == 0 and f"Hint 1 placed at x {x}, y {y}" in status(window)
    keys(qtbot, window, Qt.Key.Key_Right, Qt.Key.Key_Space)  # Space places too; the crosshair moved on
    assert window.photos.hints(key) == (Hint(x, y, shown), Hint(x + step, y, view.shown_color(x + step, y)))
    stack = window.photos.undo_stack(key)
    assert [stack.text(i) for i in range(stack.count())] == ["Place hint", "Place hint"]  # one step each

    keys(qtbot, window, (Qt.Key.Key_Z, CTRL))
    assert window.photos.hints(key) == (Hint(x, y, shown),)
    keys(qtbot, window, (Qt.Key.Key_Z, CTRL))
    assert window.photos.hints(key) == () and window.compare.markers.hints == []
    wait_shown(qtbot, window, [])
    keys(qtbot, window, (Qt.Key.Key_Z, CTRL | SHIFT))
    assert window.photos.hints(key) == (Hint(x, y, shown),)

    # Ctrl+arrows still move the divider; the plain arrows are the crosshair's.
    split = view.split()
    keys(qtbot, window, (Qt.Key.Key_Left, CTRL))
    assert view.split() < split


def test_the_crosshair_stays_on_the_photo_and_in_view_when_zoomed_in(qtbot, make_window, lite_weights, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    view = window.compare
    focus_view_with_tab(window)
    view.set_zoom(8.0)
    assert view.can_pan()
    for _ in range(40):
        keys(qtbot, window, (Qt.Key.Key_Right, SHIFT), (Qt.Key.Key_Down, SHIFT))
        p = view.cursor.where(view)
        left, top, right, bottom = view.visible_box()
        assert left <= p.x() < right and top <= p.y() < bottom  # the view pans after it
    assert (p.x(), p.y()) == (159, 119)  # kept on the photo's last pixel


def test_tab_reaches_the_markers_the_arrow_keys_move_them_and_delete_removes_them(qtbot, make_window, lite_weights,
                                                                                 photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    view, panel, key = window.compare, window.hints_panel, window.results.current_key()
    first, second = Hint(30, 30, "#336699"), Hint(130, 95, "#cc8844")
    window.photos.edit_hints(key, (first, second), "test")
    focus_view_with_tab(window)

    keys(qtbot, window, Qt.Key.Key_Tab)
    assert view.hasFocus() and view.cursor.held == 0 and panel.selected == 0 and view.markers.selected == 0
    assert "Hint 1, #336699, at x 30, y 30" in status(window)
    keys(qtbot, window, Qt.Key.Key_Tab)
    assert view.cursor.held == 1 and panel.selected == 1
    keys(qtbot, window, Qt.Key.Key_Backtab)
    assert view.cursor.held == 0 and panel.selected == 0

    # The arrow keys move the marker reached: every press an edit, all of them one undo step, as a drag.
    step = view.cursor.step(view)
    stack = window.photos.undo_stack(key)
    steps = stack.count()
    keys(qtbot, window, Qt.Key.Key_Left, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Left)
    moved = Hint(30 - 3 * step, 30 - step, "#336699")
    assert window.photos.hints(key) == (moved, second) and view.markers.hints[0][:2] == (moved.x, moved.y)
    wait_shown(qtbot, window, [moved, second])  # the new colours, as after a drag
    assert stack.count() == steps + 1 and stack.text(stack.count() - 1) == "Move hint"
    keys(qtbot, window, (Qt.Key.Key_Z, CTRL))
    assert window.photos.hints(key) == (first, second)
    assert view.cursor.held == 0  # still held: the arrow keys go on moving it
    keys(qtbot, window, (Qt.Key.Key_Z, CTRL | SHIFT))
    assert window.photos.hints(key) == (moved, second)

    # Escape lets go: the arrow keys move the crosshair again, from the marker.
    keys(qtbot, window, Qt.Key.Key_Escape, Qt.Key.Key_Right)
    assert view.cursor.held is None and window.photos.hints(key) == (moved, second)
    assert (view.cursor.where(view).x(), view.cursor.where(view).y()) == (moved.x + step, moved.y)
    assert panel.selected == 0  # the palette still edits it

    # Delete removes the marker reached; undo brings it back.
    keys(qtbot, window, Qt.Key.Key_Tab, Qt.Key.Key_Tab, Qt.Key.Key_Delete)
    assert window.photos.hints(key) == (moved,) and view.cursor.held is None
    assert "Hint 2 removed" in status(window)
    window.hints_panel.undo_action.trigger()
    assert window.photos.hints(key) == (moved, second)

    # A press on a marker with the mouse holds it for the arrow keys too.
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NONE, widget_pos(window, second.x, second.y))
    assert view.cursor.held == 1 and panel.selected == 1
    keys(qtbot, window, Qt.Key.Key_Down)
    assert window.photos.hints(key) == (moved, Hint(second.x, second.y + step, second.color))

    # Enter on a hint of the list goes to it on the photo, held: the arrow keys move it.
    keys(qtbot, window, Qt.Key.Key_Escape)
    panel.list.setCurrentRow(0)
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert view.hasFocus() and view.cursor.held == 0 and panel.selected == 0
    keys(qtbot, window, Qt.Key.Key_Right)
    assert window.photos.hints(key)[0] == Hint(moved.x + step, moved.y, moved.color)

    # Past the last marker Tab leaves the view (the keys never trap the focus).
    keys(qtbot, window, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Tab)
    assert view.cursor.held == 1 and view.hasFocus()
    keys(qtbot, window, Qt.Key.Key_Tab)
    assert not view.hasFocus() and view.cursor.held is None

    # Escape is also the window's shortcut to cancel a batch: with a marker held it lets go instead.
    cancels = []
    window.batch.cancel_action.triggered.connect(lambda: cancels.append(1))
    window.batch.cancel_action.setEnabled(True)  # as while a batch runs
    focus_view_with_tab(window)
    keys(qtbot, window, Qt.Key.Key_Tab, Qt.Key.Key_Escape)
    assert view.cursor.held is None and cancels == []
    keys(qtbot, window, Qt.Key.Key_Escape)
    assert cancels == [1]


def test_number_keys_pick_the_palette_and_every_control_names_its_key(qtbot, make_window, lite_weights, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    panel, key = window.hints_panel, window.results.current_key()
    focus_view_with_tab(window)
    keys(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(panel.palette_box.colors()) >= 3, timeout=WAIT)
    swatches = [b for b in panel.palette_box.swatches if not b.isHidden()]
    chosen = swatches[2].property("color")
    assert window.photos.hints(key)[0].color != chosen
    focus_view_with_tab(window)
    keys(qtbot, window, Qt.Key.Key_3)  # the third swatch, without leaving the photo (pressed as it shows)
    qtbot.waitUntil(lambda: window.photos.hints(key)[0].color == chosen, timeout=WAIT)
    assert panel.palette_box.pen == chosen and window.compare.hasFocus()

    for i, button in enumerate(swatches):
        assert f"press {i + 1}" in button.toolTip() and button.accessibleName().endswith(button.property("color"))
    assert "(H)" in panel.mode_button.toolTip() and panel.mode_button.accessibleName()
    assert "(Alt+S)" in panel.list.toolTip() and panel.list.accessibleName()
    other = panel.palette_box.other_button
    assert "(Alt+O)" in other.toolTip() and other.accessibleName() == "Other colour"
    for button in panel.findChildren(QAbstractButton):
        assert button.accessibleName() and button.toolTip(), button.text()
    assert "Enter" in window.compare.toolTip() and "Tab" in window.compare.toolTip()

    # Outside hint mode the digits are no shortcut (the palette is hidden).
    window.hint_mode_action.trigger()
    focus_view_with_tab(window)
    keys(qtbot, window, Qt.Key.Key_1)
    qtbot.wait(300)  # longer than a button's shortcut takes to press it
    assert window.photos.hints(key)[0].color == chosen


# ---- the palette's "shown now" swatch -------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_lite(lite_model_path, tmp_path_factory):
    """The random-weight hint-taking model and a second one ("lite2", other weights, another default T)."""
    out = tmp_path_factory.mktemp("two_lite")
    path = Path(lite_model_path)
    for suffix in (".safetensors", ".json"):
        shutil.copy(path.with_suffix(suffix), out / path.with_suffix(suffix).name)
    model, bins, card = load_model(path)
    bias = [p for name, p in model.named_parameters() if name.endswith("bias")][-1]  # the class logits'
    bias.data += 3.0 * bias.data.new_tensor(range(bias.numel())).remainder(5)
    card = {k: v for k, v in card.items() if k not in ("id", "path", "architecture", "bins")}
    save_model(model, bins, {**card, "name": "Lite two", "default_temperature": 0.3}, out, "lite2")
    return out


def now_swatch(panel):
    """The colour of the palette's "shown now" swatch, or None while it shows none."""
    first = panel.palette_box.swatches[0]
    return first.property("color") if not first.isHidden() and first.accessibleName().startswith(
        "Colour shown here now") else None


def test_the_shown_now_swatch_follows_the_temperature_and_the_model(qtbot, make_window, two_lite, photos):
    window = open_photos(qtbot, make_window, two_lite, photos[:1], model_id="lite")
    hint_mode(qtbot, window)
    panel, x, y = window.hints_panel, 40, 90
    click_photo(qtbot, window, x, y)
    # no other hint; on the window's device, as the window runs it
    lite = Colorizer.load(two_lite / "lite.safetensors", device=window.worker.device).predict(photos[0])
    qtbot.waitUntil(lambda: now_swatch(panel) is not None, timeout=WAIT)
    assert now_swatch(panel) == lite.color_at(x, y, window.temperature())

    new_t = 0.05 if window.temperature() > 0.3 else 1.0
    expected = lite.color_at(x, y, new_t)
    assert expected != now_swatch(panel)  # else the test would prove nothing
    window.set_temperature(new_t)
    qtbot.waitUntil(lambda: now_swatch(panel) == expected, timeout=WAIT)

    # An answer for the old temperature, coming late, does not bring the old colour back.
    stale = Suggestions(window.results.current_key(), x, y, colors=["#010203"], now="#010203", model_id="lite",
                        temperature=0.5 if new_t != 0.5 else 0.6)
    panel.show_suggestions(stale)
    assert now_swatch(panel) == expected and "#010203" not in panel.palette_box.colors()

    window.model_combo.setCurrentIndex(window.model_combo.findData("lite2"))
    lite2 = Colorizer.load(two_lite / "lite2.safetensors", device=window.worker.device).predict(photos[0])
    expected2 = lite2.color_at(x, y, window.temperature())
    assert expected2 != expected
    qtbot.waitUntil(lambda: now_swatch(panel) == expected2, timeout=WAIT)
