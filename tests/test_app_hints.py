"""Hint mode in the window, driven as a user would: clicks on the photo place colour hints, markers are
dragged and removed, undo and redo cover every change, each photo keeps its own hints, HINTS.json files
are saved and loaded, and the saved colour copies record the hints they were made with.

Two kinds of model: the plumbing tests run always, with conftest's lite_model_path (the
pretrained-encoder U-Net with random weights: it takes hints and its colours change with them, but not
toward them). Whether the colours follow a hint needs a hint-trained model: those tests use the shipped
models in weights/ whose card says architecture "lite_unet", and skip while there is none.
"""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QColorDialog

from app.predictions import moved_hints
from appwindow import WAIT, colorize
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)
from colorizer.color import rgb_to_lab
from colorizer.hints import Hint, hint_map, load_hints
from colorizer.output import read_hints
from colorizer.pipeline import Colorizer
from colorizer.weights import LITE_UNET, list_models
from synthetic import landscape

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


# ---- fixtures and helpers ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Two small landscapes (the network then runs on a small input, so each hint costs little)."""
    d = tmp_path_factory.mktemp("hint_photos")
    paths = []
    for i, seed in enumerate((3, 8)):
        path = d / f"valley{i}.png"
        Image.fromarray(landscape(120, 160, seed=seed)).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def lite_weights(lite_model_path, tmp_path_factory):
    """A weights folder with only the random-weight hint-taking model."""
    return Path(lite_model_path).parent


@pytest.fixture(scope="module")
def mixed_weights(lite_model_path, tiny_model, tmp_path_factory):
    """The hint-taking model and the tiny model of the design's U-Net, which takes no hints."""
    out = tmp_path_factory.mktemp("mixed")
    for path in (Path(lite_model_path), tiny_model[0] / f"{tiny_model[1]}.safetensors"):
        for suffix in (".safetensors", ".json"):
            shutil.copy(path.with_suffix(suffix), out / path.with_suffix(suffix).name)
    return out


def hint_trained_models() -> list:
    """The shipped models trained with hints (read when a test runs, not at import)."""
    return [c for c in list_models(WEIGHTS) if c.get("architecture", {}).get("type") == LITE_UNET]


@pytest.fixture
def trained():
    models = hint_trained_models()
    if not models:
        kinds = sorted({c.get("architecture", {}).get("type") for c in list_models(WEIGHTS)}) or ["none"]
        pytest.skip(f"needs a hint-trained model in weights/ (card architecture {LITE_UNET!r}); the shipped "
                    f"ones are {', '.join(map(str, kinds))}")
    return models[0]


def open_photos(qtbot, make_window, weights, paths, model_id=None):
    """A shown 1200 x 780 window with the photos colorized, the first one selected and shown."""
    window = make_window(weights)
    if model_id:
        window.model_combo.setCurrentIndex(window.model_combo.findData(model_id))
    window.resize(1200, 780)
    window.show()
    qtbot.waitExposed(window)
    assert colorize(qtbot, window, paths).done == len(paths)
    qtbot.waitUntil(lambda: window.shown is not None and window.compare.after_image() is not None, timeout=WAIT)
    return window


def hint_mode(qtbot, window):
    window.hint_mode_action.trigger()  # the H key, the view bar's button
    assert window.hint_mode_action.isChecked() and window.compare.hint_mode() and window.hints_panel.isVisible()


def widget_pos(window, x, y) -> QPoint:
    """Where photo pixel (x, y) is in the before/after view."""
    return window.compare.from_photo(QPointF(x + 0.5, y + 0.5)).toPoint()


def click_photo(qtbot, window, x, y, button=Qt.MouseButton.LeftButton):
    """Click photo pixel (x, y) and, for a left click, wait until the view shows the new colours."""
    hints_before = window.photos.hints(window.results.current_key())
    if button != Qt.MouseButton.LeftButton:
        QTest.mouseClick(window.compare, button, Qt.KeyboardModifier.NoModifier, widget_pos(window, x, y))
        return
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT,
                          check_params_cb=lambda shown: shown.hints != hints_before):
        QTest.mouseClick(window.compare, button, Qt.KeyboardModifier.NoModifier, widget_pos(window, x, y))


def wait_shown(qtbot, window, hints):
    qtbot.waitUntil(lambda: window.shown is not None and window.shown.hints == tuple(hints), timeout=WAIT)


def rgb(qimage) -> np.ndarray:
    image = qimage.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, :3 * w].reshape(h, w, 3).copy()


def shortcut(qtbot, window, key, modifiers):
    """Press a key as the user does, on the focused view (window shortcuts must reach it)."""
    window.activateWindow()
    window.compare.setFocus()
    qtbot.keyClick(window.compare, key, modifiers)


# ---- with any hint-taking model: the plumbing ------------------------------------------------------------
def test_a_click_places_a_hint_that_undo_and_redo_take_away_and_bring_back(qtbot, make_window, lite_weights,
                                                                           lite_model_path, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    assert window.hint_mode_action.isEnabled()
    automatic = rgb(window.compare.after_image())
    passes = window.worker.network_passes()
    hint_mode(qtbot, window)
    panel = window.hints_panel

    click_photo(qtbot, window, 40, 90)
    key = window.results.current_key()
    (hint,) = window.photos.hints(key)
    assert (hint.x, hint.y) == (40, 90)
    assert hint.color == window.compare.shown_color(40, 90)  # no colour picked yet: the one shown there
    assert window.shown.hints == (hint,)
    assert window.worker.network_passes() == passes + 1  # one pass with the hint, on the preview
    hinted = rgb(window.compare.after_image())
    assert np.abs(hinted.astype(int) - automatic).max() > 0  # the network saw the hint
    library = Colorizer.load(lite_model_path, device=window.worker.device).predict(photos[0], [hint])
    assert np.array_equal(hinted, library.decode(window.temperature()))  # what the command line gives
    assert panel.list.count() == 1 and window.compare.markers.hints == [(40, 90, hint.color)]

    # The palette: the colour shown there and the model's likely colours, as named buttons.
    qtbot.waitUntil(lambda: len(panel.palette_box.colors()) >= 2, timeout=WAIT)
    swatches = [b for b in panel.palette_box.swatches if not b.isHidden()]
    assert swatches[0].accessibleName().startswith("Colour shown here now")
    assert all(b.accessibleName().endswith(b.property("color")) for b in swatches)
    # Picking one recolours the selected (just placed) hint, and new colours come.
    chosen = swatches[1].property("color")
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT, check_params_cb=lambda s: s.hints[0].color == chosen):
        swatches[1].click()
    recoloured = rgb(window.compare.after_image())

    shortcut(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the colour
    wait_shown(qtbot, window, [hint])
    assert np.array_equal(rgb(window.compare.after_image()), hinted)
    shortcut(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the hint
    wait_shown(qtbot, window, [])
    assert window.photos.hints(key) == () and panel.list.count() == 0 and window.compare.markers.hints == []
    assert np.array_equal(rgb(window.compare.after_image()), automatic)  # the previous pixels, exactly
    shortcut(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    shortcut(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_shown(qtbot, window, [Hint(40, 90, chosen)])
    assert np.array_equal(rgb(window.compare.after_image()), recoloured)


def test_the_colour_dialog_sets_the_colour_of_the_next_hints(qtbot, make_window, lite_weights, photos, monkeypatch):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *args, **kwargs: QColor("#2a6fd0")))
    window.hints_panel.palette_box.other_button.click()  # nothing selected: only the colour of new hints
    assert window.photos.hints(window.results.current_key()) == ()
    click_photo(qtbot, window, 30, 30)
    click_photo(qtbot, window, 120, 100)
    assert [h.color for h in window.photos.hints(window.results.current_key())] == ["#2a6fd0"] * 2


def test_markers_are_dragged_to_move_them_and_removed_by_right_click_or_delete(qtbot, make_window, lite_weights,
                                                                                photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    key, view = window.results.current_key(), window.compare
    click_photo(qtbot, window, 30, 30)
    click_photo(qtbot, window, 130, 95)
    first, second = window.photos.hints(key)

    # Drag the first marker by its centre to another place.
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT, check_params_cb=lambda s: s.hints[0].x != 30):
        QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pos(window, 30, 30))
        for x in (34, 40, 46):
            QTest.mouseMove(view, widget_pos(window, x, 50))
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pos(window, 46, 50))
    moved = window.photos.hints(key)[0]
    assert abs(moved.x - 46) <= 1 and abs(moved.y - 50) <= 1 and moved.color == first.color
    assert window.photos.hints(key)[1] == second and window.hints_panel.selected == 0
    window.hints_panel.undo_action.trigger()
    assert window.photos.hints(key) == (first, second)  # the move is one step, however many moves it took
    window.hints_panel.redo_action.trigger()

    # Right click on a marker removes it.
    click_photo(qtbot, window, 130, 95, button=Qt.MouseButton.RightButton)
    assert window.photos.hints(key) == (moved,)
    # Delete removes the selected one: from the view, and from the list.
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pos(window, 46, 50))
    assert window.hints_panel.selected == 0 and window.photos.hints(key) == (moved,)  # selected, not a new hint
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert window.photos.hints(key) == ()
    window.hints_panel.undo_action.trigger()
    window.hints_panel.list.setCurrentRow(0)
    window.hints_panel.list.setFocus()
    QTest.keyClick(window.hints_panel.list, Qt.Key.Key_Delete)
    assert window.photos.hints(key) == ()
    wait_shown(qtbot, window, [])
    # Clear, undone in one step.
    window.photos.edit_hints(key, (first, second), "test")
    window.hints_panel.clear_action.trigger()
    assert window.photos.hints(key) == ()
    window.hints_panel.undo_action.trigger()
    assert window.photos.hints(key) == (first, second)


def test_each_photo_keeps_its_own_hints_and_undo_history(qtbot, make_window, lite_weights, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos)
    hint_mode(qtbot, window)
    a = window.results.current_key()
    click_photo(qtbot, window, 50, 60)
    hints_a = window.photos.hints(a)
    assert len(hints_a) == 1

    window.results.setCurrentRow(1)
    b = window.results.current_key()
    assert b != a
    wait_shown(qtbot, window, [])
    assert window.hints_panel.list.count() == 0 and window.compare.markers.hints == []
    assert not window.hints_panel.undo_action.isEnabled()  # b's history is empty
    click_photo(qtbot, window, 100, 20)
    click_photo(qtbot, window, 10, 100)
    assert len(window.photos.hints(b)) == 2

    window.results.setCurrentRow(0)
    wait_shown(qtbot, window, hints_a)
    assert window.hints_panel.list.count() == 1 and window.compare.markers.hints[0][:2] == (50, 60)
    window.hints_panel.undo_action.trigger()  # a's own last change
    assert window.photos.hints(a) == () and len(window.photos.hints(b)) == 2


def test_hints_are_saved_to_and_loaded_from_a_hints_json(qtbot, make_window, lite_weights, photos, tmp_path):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    hint_mode(qtbot, window)
    key, panel = window.results.current_key(), window.hints_panel
    click_photo(qtbot, window, 20, 40)
    click_photo(qtbot, window, 150, 110)
    placed = window.photos.hints(key)

    path = tmp_path / "valley0_hints.json"
    assert panel.save_file(path)
    data = json.loads(path.read_text())
    assert data == {"hints": [{"x": h.x, "y": h.y, "color": h.color} for h in placed]}  # the CLI's format
    assert load_hints(path, (120, 160)) == list(placed)

    panel.clear_action.trigger()
    wait_shown(qtbot, window, [])
    assert panel.load_file(path)
    assert window.photos.hints(key) == placed
    wait_shown(qtbot, window, placed)
    panel.undo_action.trigger()  # loading is one step too
    assert window.photos.hints(key) == ()

    # A file with a hint outside the photo is refused as a whole, saying why.
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"hints": [{"x": 5, "y": 5, "color": "#112233"},
                                             {"x": 500, "y": 5, "color": "#112233"}]}))
    messages = []
    panel.message.connect(lambda text, ms: messages.append(text))
    assert not panel.load_file(outside)
    assert window.photos.hints(key) == () and "outside" in messages[-1]


def test_apply_to_all_and_save_record_each_photos_own_hints(qtbot, make_window, lite_weights, photos, tmp_path):
    window = open_photos(qtbot, make_window, lite_weights, photos)
    first, second = (window.results.key_of(window.results.item(i)) for i in range(2))
    mine = {first: (Hint(10, 20, "#336699"), Hint(100, 80, "#cc8844")), second: (Hint(150, 5, "#44aa55"),)}
    for key, hints in mine.items():
        window.photos.edit_hints(key, hints, "test")
    with qtbot.waitSignal(window.batch_done, timeout=WAIT) as done:
        window.apply_button.click()
    assert done.args[0].done == 2
    for key, hints in mine.items():
        color = Path(window.photos.get(key).outputs["color"])
        assert color.name.endswith("_color-1.png")
        assert read_hints(color) == [h.to_dict() for h in hints]
        assert f"{len(hints)} hint" in window.results.item(0 if key == first else 1).text()

    # "Save colour copy": the selected photo only, with its hints now.
    window.results.setCurrentRow(1)
    window.photos.edit_hints(second, (), "test")
    with qtbot.waitSignal(window.batch_done, timeout=WAIT) as done:
        window.hints_panel.save_photo_action.trigger()
    assert done.args[0].done == 1
    assert read_hints(window.photos.get(second).outputs["color"]) == []


def test_hint_mode_is_disabled_for_a_model_without_hints_and_compare_models_says_so(qtbot, make_window,
                                                                                   mixed_weights, photos,
                                                                                   lite_model_path):
    window = open_photos(qtbot, make_window, mixed_weights, photos[:1], model_id="lite")
    hint_mode(qtbot, window)
    click_photo(qtbot, window, 60, 60)
    key = window.results.current_key()
    hints = window.photos.hints(key)

    window.model_combo.setCurrentIndex(window.model_combo.findData("tiny"))
    assert not window.hint_mode_action.isEnabled() and not window.hint_mode_action.isChecked()
    assert not window.hints_panel.isVisible() and not window.compare.hint_mode()
    for tip in (window.hint_mode_action.toolTip(), window.hints_panel.mode_button.toolTip()):
        assert "trained without colour hints" in tip and "Tiny test model" in tip
    wait_shown(qtbot, window, [])  # shown without them; the photo keeps them
    assert window.photos.hints(key) == hints

    answers = {}
    window.model_preview_shown.connect(lambda a: answers.__setitem__(a.model_id, a))
    window.compare_models_action.trigger()
    qtbot.waitUntil(lambda: set(answers) == {"lite", "tiny"}, timeout=WAIT)
    assert answers["lite"].hints == hints and not answers["lite"].without_hints
    lite = answers["lite"]
    library = Colorizer.load(lite_model_path, device=window.worker.device).predict(photos[0], list(hints))
    assert np.array_equal(rgb(window.models_view.image("lite")),
                          library.decode(lite.temperature, max_side=lite.max_side))  # with the photo's hints
    assert answers["tiny"].hints == () and answers["tiny"].without_hints
    tiny = window.models_view.button("tiny")
    assert "without hints" in tiny.text() and "without the colour hints" in tiny.accessibleName()
    assert "without hints" not in window.models_view.button("lite").text()

    window.use_model("lite")
    assert window.hint_mode_action.isEnabled()
    wait_shown(qtbot, window, hints)


def test_the_mode_palette_and_hint_list_are_named_and_reached_with_tab(qtbot, make_window, lite_weights, photos):
    window = open_photos(qtbot, make_window, lite_weights, photos[:1])
    panel = window.hints_panel
    assert window.hint_mode_action.shortcut().toString() == "H"
    assert panel.mode_button.accessibleName() == "Colour hints mode"
    hint_mode(qtbot, window)
    click_photo(qtbot, window, 70, 70)
    qtbot.waitUntil(lambda: len(panel.palette_box.colors()) >= 2, timeout=WAIT)
    chain, w = [], window.nextInFocusChain()
    while w is not window and len(chain) < 2000:
        chain.append(w)
        w = w.nextInFocusChain()
    for widget in [panel.mode_button, panel.list, panel.palette_box.other_button] + panel.findChildren(QAbstractButton):
        assert len(widget.accessibleName()) >= 4, widget
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget in chain, widget.accessibleName()
    assert panel.list.accessibleName() == "Colour hints of this photo"
    assert {"Undo", "Redo", "Remove", "Clear all", "Load", "Save", "Save colour copy"} <= \
        {b.accessibleName() for b in panel.findChildren(QAbstractButton)}


def test_hints_move_to_the_same_network_pixels_on_a_smaller_photo():
    """What the worker does for the preview: the hints of a 3000 x 4000 photo, moved onto its 768 x 1024
    preview, give the network the very hint input the full-size photo gives."""
    rng = np.random.default_rng(1)
    hints = [Hint(int(x), int(y), "#%02x%02x%02x" % tuple(rng.integers(0, 256, 3)))
             for x, y in zip(rng.integers(0, 4000, 40), rng.integers(0, 3000, 40))] + [Hint(3999, 2999, "#ff0000")]
    moved = moved_hints(hints, (768, 1024), (3000, 4000))
    assert all(0 <= h.x < 1024 and 0 <= h.y < 768 for h in moved)
    assert np.array_equal(hint_map(moved, (768, 1024), (192, 256)), hint_map(hints, (3000, 4000), (192, 256)))


# ---- with a hint-trained model: the colours follow the hint --------------------------------------------
def ab(pixels: np.ndarray) -> np.ndarray:
    return rgb_to_lab(pixels)[..., 1:].reshape(-1, 2).mean(axis=0)


def test_a_hint_colours_the_spot_around_it_and_undo_restores_it(qtbot, make_window, trained, tmp_path, monkeypatch):
    path = tmp_path / "meadow.png"
    Image.fromarray(landscape(480, 640, seed=4)).save(path)
    window = open_photos(qtbot, make_window, WEIGHTS, [path], model_id=trained["id"])
    hint_mode(qtbot, window)
    view, x, y = window.compare, 160, 400  # the meadow, left of the divider's grab
    automatic = rgb(view.after_image())

    def around(image):  # the shown pixels within about 12 photo pixels of the hint
        scale = image.width() / 640
        px, py, r = int((x + 0.5) * scale), int((y + 0.5) * scale), max(2, int(12 * scale))
        return rgb(image)[py - r:py + r, px - r:px + r]

    before = ab(around(view.after_image()))
    target = "#3a5fcd"  # a blue nothing in a meadow is
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *args, **kwargs: QColor(target)))
    window.hints_panel.palette_box.other_button.click()
    click_photo(qtbot, window, x, y)
    goal = rgb_to_lab(np.array([[QColor(target).getRgb()[:3]]], np.uint8))[0, 0, 1:]
    after = ab(around(view.after_image()))
    assert np.linalg.norm(after - goal) < 0.5 * np.linalg.norm(before - goal), (before, after, goal)

    window.hints_panel.undo_action.trigger()
    wait_shown(qtbot, window, [])
    assert np.array_equal(rgb(view.after_image()), automatic)
