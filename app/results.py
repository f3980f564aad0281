"""The results list: one row per photo with a thumbnail, its name and what happened to it.

A photo that failed stays in the list with its reason (instead of a dialog per file), so that a long
batch can run unattended and the failures can be read afterwards.
"""
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyle

from .jobs import ItemResult
from .theme import error_color

THUMB = QSize(96, 72)
KEY_ROLE = Qt.ItemDataRole.UserRole
FAILED_ROLE = Qt.ItemDataRole.UserRole + 1


def thumbnail(image: QImage, size: QSize = THUMB) -> QPixmap:
    """The photo scaled to fit `size`, centred in a THUMB-sized transparent box: every row's text then
    starts at the same place, whatever the photo's aspect ratio."""
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    box = QPixmap(THUMB)
    box.fill(Qt.GlobalColor.transparent)
    painter = QPainter(box)
    painter.drawImage((THUMB.width() - scaled.width()) // 2, (THUMB.height() - scaled.height()) // 2, scaled)
    painter.end()
    return box


class ResultsList(QListWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setIconSize(THUMB)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSpacing(2)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long names are elided
        self.setAccessibleName("Colorized photos")
        self._items = {}  # key -> QListWidgetItem

    def show_result(self, result: ItemResult) -> QListWidgetItem:
        """Add the photo's row, or update it (a re-save writes the same photo again)."""
        item = self._items.get(result.key)
        if item is None:
            item = QListWidgetItem()
            item.setData(KEY_ROLE, result.key)
            self._items[result.key] = item
            self.addItem(item)
        name = Path(result.source).name
        if result.ok:
            w, h = result.size
            n = len(result.hints)
            hints = f", {n} hint{'s' * (n != 1)}" if n else ""
            item.setText(f"{name}\n{w} × {h}, T {result.temperature:.2f}{hints}")
            item.setIcon(thumbnail(result.color))
            item.setToolTip(f"{result.source}\n{w} × {h} px, colorized with {result.model_name} at "
                            f"temperature {result.temperature:.2f}{hints.replace(',', ' and', 1)}\n"
                            f"Saved as {result.outputs.get('color')}")
            item.setForeground(QBrush())
            item.setData(FAILED_ROLE, False)
        elif result.resave:  # the photo was fine before; keep its thumbnail, say what went wrong now
            item.setText(f"{name}\nSaving again failed: {result.error}")
            item.setToolTip(f"{result.source}\n{result.error}")
        else:
            item.setText(f"{name}\n{result.error}")
            warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            item.setIcon(thumbnail(warning.pixmap(QSize(40, 40)).toImage(), QSize(40, 40)))
            item.setToolTip(f"{result.source}\nNot colorized: {result.error}")
            item.setForeground(QBrush(error_color(self.palette())))
            item.setData(FAILED_ROLE, True)
        return item

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: failed rows stay readable
            for item in self._items.values():
                if item.data(FAILED_ROLE):
                    item.setForeground(QBrush(error_color(self.palette())))

    def key_of(self, item: QListWidgetItem):
        return item.data(KEY_ROLE) if item is not None else None

    def select_key(self, key) -> None:
        item = self._items.get(key)
        if item is not None:
            self.setCurrentItem(item)

    def current_key(self):
        return self.key_of(self.currentItem())

    def clear(self) -> None:
        super().clear()
        self._items.clear()
