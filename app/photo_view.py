"""The large view right of the list, as pages: the drop hint before the first photo, then the selected
photo before/after (app.compare) or through every model ("Compare models", app.models_view). Below
them the view bar: Fit, 100 %, the zoom, other panels' buttons (add_to_bar: hint mode), and the switch
to "Compare models"; their actions are made here, for the window's View menu. What the pages show is
kept up to date by app.previews."""
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from .actions import make_action
from .compare import CompareView
from .models_view import ModelsView
from .widgets import EmptyHint

HINT_PAGE, COMPARE_PAGE, MODELS_PAGE = 0, 1, 2


class PhotoView(QWidget):
    models_page_toggled = Signal(bool)  # switched to "Compare models" (True) or back to before/after

    def __init__(self, models: list, parent=None):
        super().__init__(parent)
        self.fit_action = make_action(self, "&Fit", self.zoom_fit, "Ctrl+0", "Show the whole photo")
        self.actual_size_action = make_action(
            self, "&100 %", self.zoom_actual_size, "Ctrl+1",
            "One photo pixel per screen pixel, decoded from the full-resolution photo")
        self.zoom_in_action = make_action(self, "Zoom &in", lambda: self.compare.zoom_by(1.25),
                                          QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = make_action(self, "Zoom &out", lambda: self.compare.zoom_by(0.8),
                                           QKeySequence.StandardKey.ZoomOut)
        self.compare_models_action = make_action(
            self, "&Compare models", self.show_models_page, "Ctrl+M",
            "The selected photo through every model side by side, each at its own temperature; click one "
            "to use it", checkable=True)

        self.hint = EmptyHint()
        self.compare = CompareView()
        self.compare.zoom_changed.connect(self._show_zoom)
        self.models_view = ModelsView()
        self.models_view.set_models(models)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.compare)
        self.stack.addWidget(self.models_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.stack, 1)
        layout.addLayout(self._build_view_bar())
        self._show_zoom(self.compare.zoom())

    def _build_view_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)

        def button(action, name):
            b = QToolButton()
            b.setDefaultAction(action)
            b.setAccessibleName(name)
            b.setToolTip(f"{action.statusTip()} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            row.addWidget(b)
            return b

        self.fit_button = button(self.fit_action, "Zoom to fit")
        self.actual_size_button = button(self.actual_size_action, "Zoom to 100 percent")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("Fit (100 %)") + 8)
        self.zoom_label.setAccessibleName("Zoom")
        row.addWidget(self.zoom_label)
        row.addSpacing(8)
        self._bar, self._bar_end = row, row.count()  # add_to_bar puts other panels' buttons here
        row.addStretch(1)
        self.compare_models_button = button(self.compare_models_action, "Compare models")
        return row

    def add_to_bar(self, widget) -> None:
        """Another panel's button in the view bar, after the zoom (in Tab order too)."""
        self._bar.insertWidget(self._bar_end, widget)
        self._bar_end += 1

    def view_actions(self) -> list:
        """The View menu's actions, None where a separator goes."""
        return [self.fit_action, self.actual_size_action, self.zoom_in_action, self.zoom_out_action, None,
                self.compare_models_action]

    # ---- zoom ---------------------------------------------------------------------------------------
    def zoom_fit(self) -> None:
        self.compare.fit()

    def zoom_actual_size(self) -> None:
        self.compare.actual_size()

    def _show_zoom(self, zoom: float) -> None:
        percent = f"{zoom * 100:.0f} %"
        self.zoom_label.setText(f"Fit ({percent})" if self.compare.is_fit() else percent)

    # ---- pages --------------------------------------------------------------------------------------
    def showing_compare(self) -> bool:
        return self.stack.currentIndex() == COMPARE_PAGE

    def showing_models(self) -> bool:
        return self.stack.currentIndex() == MODELS_PAGE

    def show_compare(self) -> None:
        """The before/after page, e.g. for a message about the photo."""
        self.stack.setCurrentIndex(COMPARE_PAGE)

    def show_photo(self) -> None:
        """The page the user chose for photos: before/after, or every model side by side."""
        self.stack.setCurrentIndex(MODELS_PAGE if self.compare_models_action.isChecked() else COMPARE_PAGE)

    def leave_hint(self) -> None:
        """A first photo is in the list: the before/after view replaces the drop hint."""
        if self.stack.currentIndex() == HINT_PAGE:
            self.stack.setCurrentIndex(COMPARE_PAGE)
            self.compare.set_message("Select a photo in the list to see it here.")

    def clear(self) -> None:
        """The list was emptied: back to the drop hint."""
        self.compare.set_message("")
        self.models_view.clear_pictures("")
        self.compare_models_action.setChecked(False)
        self.stack.setCurrentIndex(HINT_PAGE)

    def show_models_page(self, on: bool = True) -> None:
        """Show every model side by side (on) or the before/after view (off)."""
        if self.compare_models_action.isChecked() != on:
            self.compare_models_action.setChecked(on)  # comes back here through toggled
            return
        if self.stack.currentIndex() == HINT_PAGE:
            return  # nothing to compare yet; the page is shown with the first photo
        self.stack.setCurrentIndex(MODELS_PAGE if on else COMPARE_PAGE)
        for action in (self.fit_action, self.actual_size_action, self.zoom_in_action, self.zoom_out_action):
            action.setEnabled(not on)  # they act on the before/after view
        self.models_page_toggled.emit(on)
