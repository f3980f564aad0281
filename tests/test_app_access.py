"""Every button has a name a screen reader can say and is reachable with Tab; the window follows the
system's light or dark scheme, the colours it paints itself included."""
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication

from app import theme
from appwindow import colorize
from appwindow import isolated_settings, make_window, two_models  # noqa: F401  (fixtures)


def focus_chain(window) -> list:
    chain, w = [], window.nextInFocusChain()
    while w is not window and len(chain) < 2000:
        chain.append(w)
        w = w.nextInFocusChain()
    return chain


def test_every_button_has_an_accessible_name_and_takes_keyboard_focus(qtbot, make_window, two_models, photo_dir):
    window = make_window(two_models)
    window.show()
    qtbot.waitExposed(window)
    colorize(qtbot, window, [photo_dir / "scene03.jpg"])  # the list, the view bar and the model panels exist now
    buttons = window.findChildren(QAbstractButton)
    assert len(buttons) >= 15
    chain = focus_chain(window)
    for button in buttons:
        name = button.accessibleName()
        label = button.text() or button.toolTip() or button.objectName() or type(button).__name__
        assert re.search(r"[A-Za-z]{3}", name), f"button {label!r} has no accessible name ({name!r})"
        if window.menuBar().isAncestorOf(button):
            continue  # the menu bar's overflow button: the menus are reached with Alt and F10, not Tab
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, f"{name}: not reachable with Tab"
        assert button in chain, f"{name}: not in the window's tab order"
    names = {b.accessibleName() for b in buttons}
    assert {"Default temperature", "Zoom to fit", "Zoom to 100 percent", "Compare models"} <= names
    # The icon-only button says what it does; its label alone ("↺") would not.
    assert window.default_t_button.text() == "↺"


def test_tab_reaches_the_main_controls_in_reading_order(qtbot, make_window, two_models):
    window = make_window(two_models)
    window.show()
    qtbot.waitExposed(window)
    chain = focus_chain(window)
    order = [window.add_button, window.model_combo, window.temperature_slider, window.apply_button,
             window.output_edit, window.format_combo, window.quality_spin, window.metadata_check]
    positions = [chain.index(w) for w in order]
    assert positions == sorted(positions)


@pytest.fixture
def restore_palette():
    app = QApplication.instance()
    palette = app.palette()
    yield app
    app.setPalette(palette)


def test_the_window_follows_a_dark_scheme_and_back(qtbot, make_window, two_models, photo_dir, restore_palette):
    app = restore_palette
    window = make_window(two_models)
    window.show()
    colorize(qtbot, window, [photo_dir / "scene04.jpg"])
    light_surround = window.compare._surround()
    assert not theme.palette_is_dark(window.palette())
    assert "#fdecea" in window.banner.styleSheet()

    window._on_color_scheme_changed(Qt.ColorScheme.Dark)  # what QStyleHints.colorSchemeChanged delivers
    QApplication.processEvents()  # the new palette reaches the widgets as events
    assert theme.palette_is_dark(app.palette()) and theme.palette_is_dark(window.palette())
    assert window.palette().color(QPalette.ColorRole.Base).lightness() < 60
    assert "#4a1c18" in window.banner.styleSheet()
    assert window.compare._surround().lightness() < light_surround.lightness()
    grab = window.grab().toImage()
    assert grab.pixelColor(5, window.height() - 5).lightness() < 100  # really painted dark

    window._on_color_scheme_changed(Qt.ColorScheme.Light)
    QApplication.processEvents()
    assert not theme.palette_is_dark(window.palette())
    assert "#fdecea" in window.banner.styleSheet()


def test_failed_rows_stay_readable_in_both_schemes(qtbot, make_window, two_models, tmp_path, restore_palette):
    app = restore_palette
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    window = make_window(two_models)
    colorize(qtbot, window, [broken])
    item = window.results.item(0)
    on_light = item.foreground().color()
    theme.follow_scheme(app, Qt.ColorScheme.Dark)
    QApplication.processEvents()
    on_dark = window.results.item(0).foreground().color()
    base = window.results.palette().color(QPalette.ColorRole.Base)
    assert on_dark.lightness() > base.lightness() + 80  # light red on a dark list
    assert on_light.lightness() < 100
