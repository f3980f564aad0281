"""Hint mode from the keyboard (app.compare): a crosshair on the photo that the arrow keys move (Shift:
ten times as far), and Enter or Space places a hint under it. Tab and Shift+Tab go from the crosshair
through the markers, in the hint list's order; the marker reached is held: the arrow keys move it,
Delete removes it, Enter, Space or Escape let it go. Tab past the last marker (Shift+Tab past the
crosshair) leaves the view, so that the keys never trap the focus. A press on a marker with the mouse
holds it too, as does Enter on its row of the hint list, and a click elsewhere puts the crosshair there.

Like HintMarkers it only reports, through the view's signals, what a mouse would (a point clicked, a
marker selected, moved, removed): the hints panel makes the same edits from them, which undo the same
way. It also says where it is, for screen readers (an announcement) and for the status bar.
"""
import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QColor, QPainter, QPen

ARROW_PX = 4  # screen px per arrow key press (at least one photo pixel)
SHIFT_STEPS = 10  # Shift+arrow moves this many steps
ARM = 10  # px, of each arm of the crosshair

KEYS_TIP = ("Keyboard: the arrow keys move the crosshair (Shift: further), Enter or Space places a hint there;\n"
            "Tab and Shift+Tab go through the markers: the arrow keys move the one reached, Delete removes\n"
            "it, Escape lets it go. Keys 1 to 7 give the selected hint a colour of the palette.")

ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
COMMAND_KEYS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier


class HintCursor:
    def __init__(self):
        self.point = None  # QPoint, the crosshair's photo pixel; None: the middle of the view, when needed
        self.held = None  # index of the marker the arrow keys move, or None (they move the crosshair)
        self.active = False  # drawn only once the keyboard is used: a mouse user has the mouse pointer

    def reset(self) -> None:
        """Another photo, or hint mode off."""
        self.point, self.held, self.active = None, None, False

    # ---- where it is --------------------------------------------------------------------------------
    def where(self, view) -> QPoint:
        """The photo pixel the keys act on: the held marker's, else the crosshair's (put in the middle of
        the visible part of the photo the first time, and when it is off the photo)."""
        markers, size = view.markers, view.photo_size()
        if self.held is not None and self.held < len(markers.hints):
            p = markers.position(self.held)
            return QPoint(math.floor(p.x()), math.floor(p.y()))
        if self.point is None or not (0 <= self.point.x() < size.width() and 0 <= self.point.y() < size.height()):
            centre = view.to_photo(view.visible_rect().center())
            self.point = QPoint(_clamp(math.floor(centre.x()), size.width()),
                                _clamp(math.floor(centre.y()), size.height()))
        return QPoint(self.point)

    def step(self, view, far: bool = False) -> int:
        """Photo pixels per arrow key press: a few screen pixels at the zoom shown."""
        shown = view.photo_rect().width() / max(1, view.photo_size().width())  # screen px per photo px
        return max(1, round(ARROW_PX * (SHIFT_STEPS if far else 1) / max(shown, 1e-6)))

    def follow(self, markers) -> None:
        """The hints changed: let go of a marker that is gone or that another selection replaced."""
        if self.held is not None and self.held != markers.selected:
            self.held = None

    # ---- keys ---------------------------------------------------------------------------------------
    def key_press(self, view, event) -> bool:
        """Handle a key of hint mode; False for keys it leaves to the view (zoom, divider, Ctrl+...)."""
        key, modifiers = event.key(), event.modifiers()
        if view.photo_size().isEmpty() or modifiers & COMMAND_KEYS:
            return False
        if key in ARROWS:
            dx, dy = ARROWS[key]
            n = self.step(view, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
            self.move_by(view, dx * n, dy * n)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.held is not None:
                self.let_go(view)
            else:
                self.place(view)
        elif key == Qt.Key.Key_Escape and self.held is not None:
            self.let_go(view)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.held is not None:
            index, self.point, self.held = self.held, self.where(view), None
            view.marker_removed.emit(index)
            self.announce(view, f"Hint {index + 1} removed")
        else:
            return False
        return True

    def wants_shortcut(self, event) -> bool:
        """Whether a key that is also a window shortcut is this mode's here (Escape lets go of a held
        marker rather than cancel the batch)."""
        return event.key() == Qt.Key.Key_Escape and self.held is not None

    def tab(self, view, forward: bool) -> bool:
        """Tab (forward) or Shift+Tab: the next or previous stop of crosshair, marker 1, marker 2, ...;
        False past either end, where the focus leaves the view."""
        count = len(view.markers.hints)
        target = (0 if self.held is None else self.held + 1) if forward else \
            (None if self.held is None else self.held - 1)
        if target is None or target >= count:
            self.let_go(view, say=False)
            return False
        if target < 0:
            self.let_go(view)
        else:
            self.hold(view, target)
        return True

    # ---- what the keys do ---------------------------------------------------------------------------
    def move_by(self, view, dx: int, dy: int) -> None:
        size, p = view.photo_size(), self.where(view)
        q = QPoint(_clamp(p.x() + dx, size.width()), _clamp(p.y() + dy, size.height()))
        self.point, self.active = q, True
        if self.held is not None and q != p:
            view.marker_nudged.emit(self.held, q)  # the panel moves the hint and sends the hints back
        view.show_point(QPointF(q.x() + 0.5, q.y() + 0.5))
        self.announce(view)

    def place(self, view) -> None:
        self.active = True
        p, count = self.where(view), len(view.markers.hints)
        view.point_clicked.emit(p)  # as a click there: the same hint, the same undo step
        placed = len(view.markers.hints) > count  # the panel sent the hints back (unless it refused one more)
        self.announce(view, f"Hint {count + 1} placed at x {p.x()}, y {p.y()}, {view.markers.hints[-1][2]}"
                      if placed else None)

    def hold(self, view, index: int) -> None:
        """Marker `index` is the one the arrow keys move (Tab, or a press on it)."""
        self.held = index
        self.point = self.where(view)
        view.marker_selected.emit(index)  # the panel selects it, and sends the hints back with it selected
        view.show_point(QPointF(self.point.x() + 0.5, self.point.y() + 0.5))
        self.announce(view)

    def let_go(self, view, say: bool = True) -> None:
        """The arrow keys move the crosshair again, from the marker they moved."""
        if self.held is not None:
            self.point, self.held = self.where(view), None
            if say:
                self.announce(view)

    def clicked(self, point: QPoint) -> None:
        """A mouse click placed a hint there: the crosshair continues from it."""
        self.point, self.held, self.active = QPoint(point), None, False

    def pressed(self, index: int) -> None:
        """A mouse press on marker `index`: the arrow keys then nudge it, as one reached with Tab."""
        self.held, self.active = index, False

    # ---- what it says and shows ---------------------------------------------------------------------
    def describe(self, view) -> str:
        p = self.where(view)
        if self.held is not None and self.held < len(view.markers.hints):
            color = view.markers.hints[self.held][2]
            return (f"Hint {self.held + 1}, {color}, at x {p.x()}, y {p.y()}: the arrow keys move it, Delete "
                    "removes it, Escape lets it go")
        size = view.photo_size()
        shown = view.shown_color(p.x(), p.y())
        return (f"Hint cursor at x {p.x()}, y {p.y()} of {size.width()} by {size.height()}"
                + (f", shown colour {shown}" if shown else "") + ": Enter places a hint here")

    def announce(self, view, text: str = None) -> None:
        if view.photo_size().isEmpty():
            return
        text = text or self.describe(view)
        view.update()
        view.position_announced.emit(text)
        if QAccessible.isActive():  # a screen reader speaks it; nothing to do without one
            QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(view, text))

    def paint(self, painter: QPainter, view) -> None:
        """The crosshair, while the keys move it (a held marker shows as the selected marker)."""
        if not self.active or self.held is not None or not view.hasFocus() or view.photo_size().isEmpty():
            return
        p = self.where(view)
        centre = view.from_photo(QPointF(p.x() + 0.5, p.y() + 0.5))
        side = view.photo_rect().width() / view.photo_size().width()  # one photo pixel, on screen
        painter.save()
        painter.setClipRect(view.visible_rect())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        gap = max(3.0, side / 2 + 1)
        for pen in (QPen(QColor(0, 0, 0, 200), 3), QPen(QColor(255, 255, 255, 240), 1.5)):  # shows on any photo
            painter.setPen(pen)
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                arm = QPointF(dx, dy)
                painter.drawLine(centre + arm * gap, centre + arm * (gap + ARM))
            if side >= 6:  # zoomed in: the pixel itself
                painter.drawRect(QRectF(centre.x() - side / 2, centre.y() - side / 2, side, side))
        painter.restore()


def _clamp(v: int, n: int) -> int:
    return min(max(v, 0), n - 1)
