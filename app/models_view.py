"""Compare models: the selected photo through every model side by side, each at its own temperature;
clicking one (or Space/Enter on it) makes it the current model.

Each panel is a QToolButton with the picture as its icon, so that it is reachable with Tab, pressed
with the keyboard and read by screen readers like any other button. The pictures are decoded by the
worker at the size of a panel (panel_side()), with the photo's colour hints for the models trained
with them; a model without hint support shows the photo without them, and its panel says so.
"""
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from .shown import Shown

TEXT_LINES = 2  # name, temperature


class ModelsView(QWidget):
    picked = Signal(str)  # model id
    resized = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Models side by side")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self._layout = QHBoxLayout()
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        outer.addStretch(1)  # the row of panels sits in the middle, each as tall as its picture and text
        outer.addLayout(self._layout)
        outer.addStretch(1)
        self._buttons = {}  # model id -> QToolButton
        self._cards = {}
        self._shown = {}  # model id -> Shown, part (max_side, the photo's hints left out): the picture it holds
        self._images = {}  # model id -> QImage

    def set_models(self, cards) -> None:
        for button in self._buttons.values():
            button.deleteLater()
        self._buttons, self._cards, self._shown, self._images = {}, {}, {}, {}
        for card in cards:
            button = QToolButton()
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.clicked.connect(lambda checked=False, model_id=card["id"]: self.picked.emit(model_id))
            self._layout.addWidget(button, 1)
            self._buttons[card["id"]] = button
            self._cards[card["id"]] = card
            self._label(card["id"], None, "")

    def _label(self, model_id: str, temperature, note: str, without_hints: bool = False) -> None:
        card, button = self._cards[model_id], self._buttons[model_id]
        name = card.get("name", model_id)
        t = f"T {temperature:.2f}" if temperature is not None else ""
        if without_hints:
            t += " · without hints"
        button.setText(f"{name}\n{note or t}")
        at = f" (temperature {temperature:.2f})" if temperature is not None else ""
        button.setAccessibleName(f"Use {name}{at}" + (", shown without the colour hints" if without_hints else ""))
        why = (f"\nShown without the photo's colour hints: {name} was trained without them."
               if without_hints else "")
        button.setToolTip(f"{card.get('description', '')}{why}\nClick (or Space) to make {name} the current "
                          "model.".strip())

    def set_current(self, model_id: str) -> None:
        for mid, button in self._buttons.items():
            button.setChecked(mid == model_id)

    def clear_pictures(self, note: str = "Loading…") -> None:
        self._shown.clear()
        self._images.clear()
        for model_id, button in self._buttons.items():
            button.setIcon(QIcon())
            self._label(model_id, None, note)

    def set_picture(self, model_id: str, key, temperature: float, max_side: int, image: QImage, hints=(),
                    without_hints: bool = False) -> None:
        """The model's picture of the photo, made with these hints (or without_hints: the photo has some
        but the model does not take them)."""
        if model_id not in self._buttons:
            return
        self._shown[model_id] = Shown(key, model_id, temperature, tuple(hints), part=(max_side, without_hints))
        self._images[model_id] = image
        self._label(model_id, temperature, "", without_hints)
        self._set_icon(model_id)

    def set_failed(self, model_id: str, key, reason: str) -> None:
        if model_id in self._buttons:
            self._shown[model_id] = Shown(key, model_id, None)  # no temperature: asked again when shown again
            self._buttons[model_id].setIcon(QIcon())
            self._label(model_id, None, f"Not available: {reason}")

    def shown(self, model_id: str):
        """What the panel's picture shows (Shown, part (max_side, the photo's hints left out)), or None."""
        return self._shown.get(model_id)

    def image(self, model_id: str) -> QImage:
        return self._images.get(model_id)

    def button(self, model_id: str) -> QToolButton:
        return self._buttons.get(model_id)

    def panel_size(self) -> QSize:
        """Logical size of each panel's picture."""
        n = max(1, len(self._buttons))
        margins = 8 * 2
        text = self.fontMetrics().height() * TEXT_LINES + 24
        w = (self.width() - margins - self._layout.spacing() * (n - 1)) // n - 12
        return QSize(max(32, w), max(32, self.height() - margins - text))

    def panel_side(self, photo: QSize) -> int:
        """The longer side, in device pixels, a photo of this size is decoded at to fill a panel."""
        fitted = photo.scaled(self.panel_size(), Qt.AspectRatioMode.KeepAspectRatio) * self.devicePixelRatioF()
        return max(1, fitted.width(), fitted.height())

    def _set_icon(self, model_id: str) -> None:
        image, button = self._images.get(model_id), self._buttons[model_id]
        if image is None:
            return
        size = self.panel_size()
        fitted = image.size().scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
        pixmap = QPixmap.fromImage(image.scaled(fitted * self.devicePixelRatioF(), Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        button.setIconSize(fitted)
        button.setIcon(QIcon(pixmap))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        for model_id in self._images:
            self._set_icon(model_id)
        self.resized.emit()
