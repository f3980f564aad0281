"""The drop zone (the window's whole working area accepts photos and folders) and the hint shown
while there is nothing to show yet."""
from PySide6.QtCore import QMimeData, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def local_paths(mime: QMimeData) -> list:
    """The local files and folders a drag carries (web links and the like are not photos we can read)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class _DropOverlay(QWidget):
    """Drawn over the drop zone's children while a drag hovers: "yes, you can drop here"."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        highlight = QColor(self.palette().highlight().color())
        fill = QColor(highlight)
        fill.setAlpha(40)
        painter.setBrush(fill)
        painter.setPen(QPen(highlight, 3))
        painter.drawRoundedRect(self.rect().adjusted(2, 2, -3, -3), 10, 10)
        # An opaque badge, so that its words stay readable over whatever is under the overlay.
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        painter.setFont(font)
        text = "Drop to colorize"
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 48, metrics.height() + 20
        badge = QRect(self.width() // 2 - w // 2, self.height() * 3 // 4 - h // 2, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(highlight)
        painter.drawRoundedRect(badge, h / 2, h / 2)
        painter.setPen(self.palette().highlightedText().color())
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class DropZone(QWidget):
    """A container that accepts dropped files and folders, many at once, and shows so while
    something droppable hovers over it."""

    paths_dropped = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.enabled_for_drops = True  # False while there is no model to colorize with
        self._overlay = _DropOverlay(self)

    def _wanted(self, event) -> list:
        return local_paths(event.mimeData()) if self.enabled_for_drops else []

    def dragEnterEvent(self, event):
        if self._wanted(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._overlay.setGeometry(self.rect())
            self._overlay.raise_()
            self._overlay.show()
        else:
            event.ignore()

    def dragMoveEvent(self, event):
        if self._wanted(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()

    def dragLeaveEvent(self, event):
        self._overlay.hide()

    def dropEvent(self, event):
        self._overlay.hide()
        paths = self._wanted(event)
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.paths_dropped.emit(paths)


class EmptyHint(QWidget):
    """What the working area shows before the first photo: where to drop, and the same as buttons."""

    add_images = Signal()
    add_folder = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Drop black-and-white landscape photos here")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        detail = QLabel("Single photos or whole folders, as many as you like. A grayscale and a colorized\n"
                        "copy of each, at full size, is saved to the output folder below.")
        detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel("")  # e.g. "No models found", set by the window
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.hide()

        self.images_button = QPushButton("Add &images…")
        self.folder_button = QPushButton("Add &folder…")
        self.images_button.setAccessibleName("Add images")
        self.folder_button.setAccessibleName("Add folder")
        self.images_button.clicked.connect(self.add_images)
        self.folder_button.clicked.connect(self.add_folder)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.images_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch()
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(detail)
        layout.addSpacing(16)
        layout.addLayout(buttons)
        layout.addSpacing(12)
        layout.addWidget(self.message)
        layout.addStretch()

    def set_buttons_enabled(self, enabled: bool) -> None:
        self.images_button.setEnabled(enabled)
        self.folder_button.setEnabled(enabled)

    def paintEvent(self, event):
        # A dashed frame: the conventional look of a drop target.
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(self.palette().windowText().color())
        color.setAlpha(90)
        pen = QPen(color, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(self.palette().base())
        painter.drawRoundedRect(self.rect().adjusted(6, 6, -7, -7), 12, 12)
