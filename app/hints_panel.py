"""Hint mode: the colour hints of the selected photo, edited by clicking the photo.

This panel owns the mode (its action and the view bar's button, H), the palette (app.hint_palette), the
list of hints, and the actions on them: undo and redo (Ctrl+Z, Ctrl+Shift+Z: the selected photo's
QUndoStack, app.photos), remove, clear, load and save a HINTS.json (the command line's format), and
saving the photo's colour copy with its hints. The before/after view draws the markers and reports
clicks and drags, and the keyboard's crosshair and arrow-key moves (app.compare, app.hint_cursor); the
hints themselves are app.photos', one set per photo, and every change goes through Photos.edit_hints,
so that undo covers it, from the mouse and from the keyboard alike. It runs no network: the window asks
the worker for the new colours (app.previews) and for the palette's suggestions (suggestions_wanted),
again whenever the model or the temperature changes, since the colour shown at the point does.

A model trained without hints cannot take them: the mode is then disabled, and its tooltip says why.
"""
import os
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QToolButton,
                               QVBoxLayout, QWidget)

from colorizer.hints import MAX_HINTS, Hint, HintError, load_hints, save_hints

from .actions import make_action
from .hint_palette import HintPalette, swatch_icon
from .model_controls import card_takes_hints
from .photos import Photos
from .shown import Shown

MODE_TIP = "Colour hints: click the photo to say which colour a spot has; the model colours what belongs with it"


class HintsPanel(QWidget):
    mode_toggled = Signal(bool)
    markers_changed = Signal(object, object)  # the selected photo's hints (tuple), the selected one's index
    marker_activated = Signal(int)  # Enter on a hint of the list: move it on the photo with the arrow keys
    suggestions_wanted = Signal(int, int, object, float)  # x, y of the selected hint, the photo's other hints, T
    save_requested = Signal()  # save the selected photo's colour copy (with its hints)
    message = Signal(str, int)  # for the status bar: text, milliseconds

    def __init__(self, photos: Photos, parent=None):
        super().__init__(parent)
        self.photos = photos
        self.key = self.source = self.size = None  # the selected photo; size (width, height)
        self.selected = None  # index of the selected hint
        self._takes = False
        self._model_id, self._temperature = None, 0.0  # what the palette's "shown now" colour is decoded with
        self._asked = None  # Shown, part (x, y), hints the photo's other ones: the palette asked for last
        self._build_actions()
        self._build_widgets()
        photos.hints_changed.connect(self._on_hints_changed)
        self.set_model(None)

    def _build_actions(self) -> None:
        self.mode_action = make_action(self, "Colour &hints", self.mode_toggled, "H", MODE_TIP, checkable=True)
        group = self.photos.undo_group
        self.undo_action = group.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = group.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.remove_action = make_action(self, "&Remove hint", self.remove_selected, None,
                                         "Remove the selected hint (Delete)")
        self.clear_action = make_action(self, "&Clear hints", self.clear_hints, None,
                                        "Remove every hint of this photo (Ctrl+Z brings them back)")
        self.load_action = make_action(self, "&Load hints…", self.choose_load_file, None,
                                       "Replace this photo's hints by those of a HINTS.json file")
        self.save_hints_action = make_action(self, "&Save hints…", self.choose_save_file, None,
                                             "Write this photo's hints to a HINTS.json file (the command line's "
                                             "--hints takes it)")
        self.save_photo_action = make_action(self, "Save &colour copy", self.save_requested, "Ctrl+Shift+S",
                                             "Save a new colour copy of this photo, with its hints")

    def _build_widgets(self) -> None:
        # The view bar's button for the mode (the window puts it there).
        self.mode_button = QToolButton()
        self.mode_button.setDefaultAction(self.mode_action)
        self.mode_button.setAccessibleName("Colour hints mode")
        self.mode_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        title = QLabel("<b>Colour hints</b>")
        help_text = QLabel("Click the photo to place a hint. Drag a marker to move it; right click or "
                           "Delete removes it. Keyboard: on the photo the arrow keys move a crosshair and "
                           "Enter places a hint; Tab reaches the markers, the arrow keys move them. Keys 1 "
                           "to 7 pick the palette's colours.")
        help_text.setWordWrap(True)
        self.palette_box = HintPalette()
        self.palette_box.picked.connect(self.pick)
        self.list = QListWidget()
        self.list.setAccessibleName("Colour hints of this photo")
        self.list.setToolTip("The hints of this photo (Alt+S): select one to edit its colour; Enter goes to "
                             "it on the photo, where the arrow keys move it; Delete removes it")
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.list.itemActivated.connect(lambda item: self.marker_activated.emit(self.list.row(item)))
        delete = QAction(self.list)
        delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self.remove_selected)
        self.list.addAction(delete)
        list_label = QLabel("Hint li&st:")  # Alt+S (Alt+H is the Help menu)
        list_label.setBuddy(self.list)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(help_text)
        layout.addSpacing(4)
        layout.addWidget(self.palette_box)
        layout.addSpacing(4)
        layout.addWidget(list_label)
        layout.addWidget(self.list, 1)
        for row in ((self.undo_action, "Undo", self.redo_action, "Redo"),
                    (self.remove_action, "Remove", self.clear_action, "Clear all"),
                    (self.load_action, "Load…", self.save_hints_action, "Save…"),
                    (self.save_photo_action, "Save colour copy")):
            line = QHBoxLayout()
            for action, text in zip(row[::2], row[1::2]):
                line.addWidget(_button(action, text))
            layout.addLayout(line)
        self.setMinimumWidth(200)

    # ---- what is selected -----------------------------------------------------------------------------
    def hints(self) -> tuple:
        return self.photos.hints(self.key) if self.key is not None else ()

    def set_photo(self, key, source=None, size=None) -> None:
        """The photo selected in the list (None: none, or one that failed); size (width, height)."""
        if key == self.key and size == self.size:
            return
        self.key, self.source, self.size = key, source, tuple(size) if size else None
        self.photos.set_active(key)
        self.selected = None
        self._refresh()

    def set_model(self, card, temperature: float = None) -> None:
        """The current model (at its temperature): the mode is only for models trained with hints."""
        self._takes = card_takes_hints(card)
        self._model_id = card.get("id") if card else None
        if temperature is not None:
            self._temperature = temperature
        if self._takes or card is None:
            tip = f"{MODE_TIP} (H)"
        else:
            tip = (f"The model “{card.get('name', card.get('id'))}” was trained without colour hints, so it "
                   "cannot follow them: choose a model that takes hints to use this mode. The photos keep "
                   "their hints.")
        self.mode_action.setEnabled(self._takes)
        self.mode_action.setToolTip(tip)
        self.mode_button.setToolTip(tip)
        if not self._takes and self.mode_action.isChecked():
            self.mode_action.setChecked(False)
        self._ask_suggestions()  # another model finds other colours likely, and shows another one
        self._enable()

    def set_temperature(self, t: float) -> None:
        """The slider moved: the colour shown at the selected hint's point is another one now."""
        self._temperature = t
        self._ask_suggestions()

    def is_on(self) -> bool:
        return self.mode_action.isChecked()

    # ---- editing ----------------------------------------------------------------------------------------
    def add_at(self, point: QPoint, shown_color: str = None) -> None:
        """A click on the photo: a hint there, in the palette's colour (at first the colour shown there)."""
        hints = self.hints()
        if self.key is None or not self._takes:
            return
        if len(hints) >= MAX_HINTS:
            self.message.emit(f"A photo takes at most {MAX_HINTS} hints.", 8000)
            return
        color = self.palette_box.pen or shown_color or "#808080"
        self.selected = len(hints)  # before the edit: its refresh asks for the new hint's suggestions
        self.photos.edit_hints(self.key, hints + (Hint(point.x(), point.y(), color),), "Place hint")

    def move(self, index: int, point: QPoint, merge=None) -> None:
        hints = list(self.hints())
        if 0 <= index < len(hints):
            hints[index] = Hint(point.x(), point.y(), hints[index].color)
            self.selected = index
            self.photos.edit_hints(self.key, hints, "Move hint", merge)

    def nudge(self, index: int, point: QPoint) -> None:
        """An arrow key moved marker index: one arrow-key move after another of the same marker is one
        undo step, as one drag is."""
        self.move(index, point, merge=("keyboard move", index))

    def remove(self, index: int) -> None:
        hints = list(self.hints())
        if 0 <= index < len(hints):
            del hints[index]
            self.selected = None
            self.photos.edit_hints(self.key, hints, "Remove hint")

    def remove_selected(self) -> None:
        if self.selected is not None:
            self.remove(self.selected)

    def select(self, index) -> None:
        if index is not None and not 0 <= index < len(self.hints()):
            index = None
        if index != self.selected:
            self.selected = index
            self._show_selection()

    def pick(self, color: str) -> None:
        """A colour from the palette or the colour dialog: the selected hint takes it (and so will the
        next ones placed)."""
        hints = list(self.hints())
        if self.selected is not None and self.selected < len(hints) and hints[self.selected].color != color:
            old = hints[self.selected]
            hints[self.selected] = Hint(old.x, old.y, color)
            self.photos.edit_hints(self.key, hints, "Colour hint")

    def clear_hints(self) -> None:
        self.selected = None
        self.photos.edit_hints(self.key, (), "Clear hints")

    # ---- HINTS.json -------------------------------------------------------------------------------------
    def load_file(self, path) -> bool:
        """Replace the photo's hints by a HINTS.json's (all or none: a hint outside the photo is an error)."""
        if self.key is None or not self.size:
            return False
        try:
            hints = load_hints(path, (self.size[1], self.size[0]))
        except HintError as e:
            self.message.emit(f"Hints not loaded: {e}", 12000)
            return False
        self.selected = None
        self.photos.edit_hints(self.key, hints, "Load hints")
        self.message.emit(f"{len(hints)} hint{'s' * (len(hints) != 1)} loaded from {path}", 8000)
        return True

    def save_file(self, path) -> bool:
        try:
            save_hints(path, self.hints())
        except OSError as e:
            self.message.emit(f"Hints not saved: {e}", 12000)
            return False
        self.message.emit(f"{len(self.hints())} hint{'s' * (len(self.hints()) != 1)} saved to {path}", 8000)
        return True

    def _default_file(self) -> str:
        source = Path(self.source) if self.source else Path.home() / "photo"
        return os.fspath(source.with_name(f"{source.stem}_hints.json"))

    def choose_load_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window(), "Load colour hints", self._default_file(),
                                              "Hints (*.json);;All files (*)")
        if path:
            self.load_file(path)

    def choose_save_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window(), "Save colour hints", self._default_file(),
                                              "Hints (*.json)")
        if path:
            self.save_file(path)

    # ---- the worker's suggestions -----------------------------------------------------------------------
    def show_suggestions(self, answer) -> None:
        """The palette for the selected hint, once the worker has it (app.jobs.Suggestions)."""
        hints = self.hints()
        if answer.key != self.key or self.selected is None or self.selected >= len(hints):
            return
        asked = self._asked
        if asked is None or (asked.key, asked.model_id, asked.temperature, asked.part) != (
                answer.key, answer.model_id, answer.temperature, (answer.x, answer.y)):
            return  # an answer for an earlier place of the hint, model or temperature
        if answer.error:
            self.palette_box.clear(f"No suggestions: {answer.error}")
        else:
            self.palette_box.set_colors(answer.now, answer.colors)

    # ---- keeping the widgets in step --------------------------------------------------------------------
    def _on_hints_changed(self, key) -> None:
        if key == self.key:
            self._refresh()

    def _refresh(self) -> None:
        """The photo or its hints changed: the list, the markers and the palette again."""
        hints = self.hints()
        if self.selected is not None and self.selected >= len(hints):
            self.selected = None
        self.list.blockSignals(True)
        self.list.clear()
        for i, hint in enumerate(hints):
            item = QListWidgetItem(swatch_icon(hint.color, 14), f"{i + 1}.  {hint.color}  at {hint.x:g}, {hint.y:g}")
            item.setToolTip(f"Hint {i + 1}: {hint.color} at x {hint.x:g}, y {hint.y:g} (photo pixels)")
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._show_selection()

    def _show_selection(self) -> None:
        hints = self.hints()
        self.list.blockSignals(True)
        self.list.setCurrentRow(self.selected if self.selected is not None else -1)
        self.list.blockSignals(False)
        self.markers_changed.emit(hints, self.selected)
        self._ask_suggestions()
        self._enable()

    def _ask_suggestions(self) -> None:
        """Ask for the selected hint's palette, unless it is the one shown (recolouring a hint leaves
        its point and the other hints, which are what the suggestions depend on, as they were)."""
        hints = self.hints()
        if self.selected is None or not self._takes:
            self._asked = None
            self.palette_box.clear("Place or select a hint to see the colours the model finds likely there.")
            return
        hint = hints[self.selected]
        others = hints[:self.selected] + hints[self.selected + 1:]
        ask = Shown(self.key, self._model_id, self._temperature, others, part=(int(hint.x), int(hint.y)))
        if ask != self._asked:
            # For another T or model at the same point the swatches stay until the new ones come: no
            # flicker while the slider moves, and a focused swatch keeps the focus.
            same_point = self._asked is not None and (self._asked.key, self._asked.part, self._asked.hints) == (
                ask.key, ask.part, ask.hints)
            self._asked = ask
            if not same_point:
                self.palette_box.clear("Finding the colours likely here…")
            self.suggestions_wanted.emit(int(hint.x), int(hint.y), others, self._temperature)

    def _on_row_changed(self, row: int) -> None:
        self.select(row if row >= 0 else None)

    def _enable(self) -> None:
        has_photo, has_hints = self.key is not None and self._takes, bool(self.hints())
        self.remove_action.setEnabled(has_photo and self.selected is not None)
        self.clear_action.setEnabled(has_photo and has_hints)
        self.load_action.setEnabled(has_photo)
        self.save_hints_action.setEnabled(self.key is not None and has_hints)
        self.save_photo_action.setEnabled(self.key is not None)
        self.palette_box.setEnabled(has_photo)


def _button(action, text: str) -> QPushButton:
    """A push button that triggers the action and follows its enabled state (its text kept short)."""
    button = QPushButton(text)
    button.setAccessibleName(text.rstrip("…"))
    button.clicked.connect(action.trigger)

    def follow():
        button.setEnabled(action.isEnabled())
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button.setToolTip((action.statusTip() or action.text()) + (f" ({shortcut})" if shortcut else ""))
    action.changed.connect(follow)
    follow()
    return button
