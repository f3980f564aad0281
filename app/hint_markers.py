"""The colour hints as markers over the before/after view (app.compare), while hint mode is on: a
small disc in each hint's colour with a white and a black ring, so that it shows on any photo, the
selected one larger. The view decides what a press does (place, select, drag, remove); this draws the
markers and says which one a point of the view is on."""
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

RADIUS = 6  # px, of a marker's disc
PICK = RADIUS + 5  # px from a marker's centre that still grab it


class HintMarkers:
    def __init__(self):
        self.hints = []  # (x, y, "#rrggbb") in photo pixels
        self.selected = None  # index, or None
        self.drag = None  # (index, QPointF in photo coordinates) while a marker is dragged

    def set_hints(self, hints, selected=None) -> None:
        self.hints = [(h.x, h.y, h.color) for h in hints]
        self.selected = selected if selected is not None and 0 <= selected < len(self.hints) else None
        self.drag = None

    def position(self, i: int) -> QPointF:
        """Where marker i is, in photo coordinates: the middle of its pixel, or where it is dragged."""
        if self.drag is not None and self.drag[0] == i:
            return self.drag[1]
        x, y, _ = self.hints[i]
        return QPointF(x + 0.5, y + 0.5)

    def at(self, view, pos: QPointF):
        """The marker under the widget position pos (the one drawn on top), or None."""
        for i in reversed(range(len(self.hints))):
            d = view.from_photo(self.position(i)) - pos
            if d.x() ** 2 + d.y() ** 2 <= PICK ** 2:
                return i
        return None

    def paint(self, painter: QPainter, view) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(view.visible_rect())
        order = [i for i in range(len(self.hints)) if i != self.selected] + \
            ([self.selected] if self.selected is not None else [])  # the selected one on top
        for i in order:
            centre = view.from_photo(self.position(i))
            r = RADIUS + (3 if i == self.selected else 0)
            if i == self.selected:  # a halo in the highlight colour: "this is the one the palette edits"
                painter.setPen(QPen(view.palette().highlight().color(), 3))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(centre, r + 4, r + 4)
            painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
            painter.setBrush(QColor(self.hints[i][2]))
            painter.drawEllipse(centre, r, r)
            painter.setPen(QPen(QColor(255, 255, 255, 230), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, r, r)
        painter.restore()
