"""The hint palette: the colours the model finds likely at the selected hint's point (the modes of its
predicted distribution there, as ideepcolor's "suggested colours"), the colour shown there now, and
"Other colour…" for the system colour dialog. A pick recolours the selected hint and becomes the colour
of the next hints placed ("New hints:" says which).

The swatches are buttons: reachable with Tab, pressed with Space, and named with their colour for
screen readers; keys 1 to 7 press them from anywhere in the window while the palette is shown (a hidden
or disabled button's shortcut does nothing, and a text field keeps its digits)."""
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import QColorDialog, QGridLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

SWATCHES = 7  # the colour shown now and six suggestions
COLUMNS = 4


def swatch_icon(color: str, side: int = 22) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class HintPalette(QWidget):
    picked = Signal(str)  # "#rrggbb"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pen = None  # the colour of the next hint placed; None: the colour shown where it is placed
        self.title = QLabel("Colours here:")
        self.status = QLabel("Place or select a hint to see the colours the model finds likely there.")
        self.status.setWordWrap(True)
        grid = QGridLayout()
        grid.setSpacing(4)
        self.swatches = []
        for i in range(SWATCHES):
            button = QToolButton()
            button.setAutoRaise(False)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setAccessibleName(f"Palette colour {i + 1}")
            button.setShortcut(QKeySequence(str(i + 1)))
            button.clicked.connect(lambda checked=False, b=button: self._pick(b.property("color")))
            button.hide()
            grid.addWidget(button, i // COLUMNS, i % COLUMNS)
            self.swatches.append(button)
        self.other_button = QPushButton("&Other colour…")
        self.other_button.setAccessibleName("Other colour")
        self.other_button.setToolTip("Choose any colour in the system's colour dialog (Alt+O)")
        self.other_button.clicked.connect(self.choose_other)
        self.pen_label = QLabel()
        self.pen_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(grid)
        layout.addWidget(self.other_button)
        layout.addWidget(self.pen_label)
        self.set_pen(None)

    def set_colors(self, now, suggestions) -> None:
        """The swatches for a point: the colour shown there now (without its hint), then the
        model's suggestions, most likely first (repeats left out)."""
        colors = [(now, "Colour shown here now, without this hint")] if now else []
        colors += [(c, f"Suggested colour {i + 1}: the model finds it likely here")
                   for i, c in enumerate(c for c in suggestions if c != now)]
        for i, (button, (color, what)) in enumerate(zip(self.swatches, colors + [(None, "")] * SWATCHES)):
            button.setVisible(color is not None)
            if color is None:
                continue
            button.setProperty("color", color)
            button.setIcon(swatch_icon(color))
            button.setToolTip(f"{what} ({color}). Click or press {i + 1} to use it.")
            button.setAccessibleName(f"{what.split(':')[0]}, {color}")
        self.status.setText("" if colors else "No suggestions here.")
        self.status.setVisible(not colors)

    def clear(self, text: str) -> None:
        for button in self.swatches:
            button.hide()
        self.status.setText(text)
        self.status.show()

    def colors(self) -> list:
        """The colours of the visible swatches, in order."""
        return [b.property("color") for b in self.swatches if not b.isHidden()]

    def set_pen(self, color) -> None:
        self.pen = color
        swatch = f'<span style="background:{color}">&nbsp;&nbsp;&nbsp;&nbsp;</span> {color}' if color else ""
        self.pen_label.setText(f"New hints: {swatch}" if color else "New hints: the colour shown where you click")
        self.pen_label.setAccessibleName(f"New hints: {color or 'the colour shown where you click'}")

    def choose_other(self) -> None:
        color = QColorDialog.getColor(QColor(self.pen or "#808080"), self.window(), "Hint colour")
        if color.isValid():
            self._pick(color.name())

    def _pick(self, color: str) -> None:
        if color:
            self.set_pen(color)
            self.picked.emit(color)
