"""The before/after view: the grayscale photo left of a divider, the colorized one right of it, with
zoom and pan.

Mouse: drag the divider (or, at Fit, click anywhere) to move it; when zoomed in, dragging anywhere
else pans. The wheel (or a pinch) zooms toward the cursor; a double click toggles Fit and 100 %.
Keys: ← and → move the divider (Home/End show one side), + and - zoom, Shift+arrows pan.

Hint mode (set_hint_mode): the colour hints are drawn as markers (app.hint_markers). A click on the
photo reports that point (point_clicked) and a press on a marker selects it; dragging a marker moves
it, a right click (or Delete for the selected one) removes it. Dragging elsewhere still pans when
zoomed in, and the divider still moves near its line. The keyboard does the same with a crosshair
(app.hint_cursor): the arrow keys move it or the marker reached with Tab (marker_nudged), so there
Ctrl+← and Ctrl+→ move the divider. The view only reports: the hints are the window's
(app.hints_panel), which sends them back with set_hints.

Coordinates: the photo's own full-resolution pixels ("photo coordinates"), whatever the size of the
images shown. The window gives the view a preview of the whole photo (its longer side about 1024 px)
and, when zoomed in past the preview's resolution, a detail: just the visible region decoded from the
full-resolution photo at the size shown (detail_request() says which; the worker decodes it). At 100 %
one photo pixel is one device pixel, drawn unscaled. The divider is a fraction of the visible part
of the photo, so it stays on screen at every zoom.
"""
import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from .hint_cursor import KEYS_TIP, HintCursor
from .hint_markers import HintMarkers

KEY_STEP = 0.05  # divider step of the arrow keys
ZOOM_STEP = 1.25  # per wheel notch and per + / -
MAX_ZOOM = 8.0  # device pixels per photo pixel
GRAB = 12  # px either side of the divider that grab it rather than pan
PAN_STEP = 0.125  # of the view, per Shift+arrow
MARGIN = 8  # px around the photo at Fit
CLICK_SLOP = 4  # px a press may move and still be a click (in hint mode, rather than a pan)
HINT_TIP = ("Hint mode: click the photo to place a colour hint there (in the colour chosen in the hint\n"
            "panel); drag a marker to move it; right click or Delete removes it. Drag near the divider to\n"
            "move it (Ctrl+← and Ctrl+→); zoomed in, drag elsewhere to pan.\n" + KEYS_TIP)


class CompareView(QWidget):
    split_changed = Signal(float)
    zoom_changed = Signal(float)  # device pixels per photo pixel (1.0 is 100 %)
    view_changed = Signal()  # the visible part of the photo changed (zoom, pan, resize)
    point_clicked = Signal(QPoint)  # hint mode: a click on the photo, at this photo pixel
    marker_selected = Signal(int)  # hint mode: a press on the marker of hint i
    marker_moved = Signal(int, QPoint)  # hint mode: marker i dropped on this photo pixel
    marker_removed = Signal(int)  # hint mode: right click on marker i, or Delete with it selected
    marker_nudged = Signal(int, QPoint)  # hint mode: an arrow key moved marker i to this photo pixel
    position_announced = Signal(str)  # hint mode: where the keyboard's crosshair or held marker is now

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setMouseTracking(True)  # the cursor says whether a drag moves the divider or pans
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.setAccessibleName("Before and after comparison")
        self._tip = ("Drag the divider, or use the ← and → keys, to compare the grayscale photo (left) with\n"
                     "the colorized one (right); Home and End show one side only.\n"
                     "Wheel or pinch: zoom toward the cursor (+ and - keys; Ctrl+0 Fit, Ctrl+1 100 %).\n"
                     "Zoomed in, drag anywhere but the divider to pan (Shift+arrow keys).")
        self.setToolTip(self._tip)
        self._before = None
        self._after = None
        self._message = ""
        self._split = 0.5
        self._photo = QSize()  # the photo's full-resolution size
        self._scale = None  # logical px per photo px; None: Fit
        self._centre = QPointF()  # photo coordinates at the middle of the view (when not at Fit)
        self._detail = None  # {"region": (box, max_side), "before": QImage, "after": QImage}
        self._drag = None  # None, "divider" or "pan"
        self._drag_from = QPointF()
        self._scaled = {}  # (which, w, h) -> QPixmap: the preview pre-scaled, so moving the divider is a copy
        self.markers = HintMarkers()
        self.cursor = HintCursor()
        self._hint_mode = False
        self._moved = False  # whether the press being dragged has moved (a marker), or beyond CLICK_SLOP

    # ---- hint mode ------------------------------------------------------------------------------
    def set_hint_mode(self, on: bool) -> None:
        self._hint_mode = on
        self._drag = None
        self.cursor.reset()
        self.setToolTip(HINT_TIP if on else self._tip)
        self.setAccessibleDescription(HINT_TIP if on else "")
        self.update()

    def hint_mode(self) -> bool:
        return self._hint_mode

    def hold_marker(self, index: int) -> None:
        """Focus the view with marker `index` held, so that the arrow keys move it (from the hint list)."""
        if self._hint_mode and 0 <= index < len(self.markers.hints):
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            self.cursor.active = True
            self.cursor.hold(self, index)

    def set_hints(self, hints, selected=None) -> None:
        """The hints to draw (colorizer.hints.Hint) and the selected one's index."""
        self.markers.set_hints(hints, selected)
        self.cursor.follow(self.markers)
        self.update()

    def photo_pixel(self, pos: QPointF):
        """The photo pixel under a widget position (QPoint), or None off the photo."""
        p = self.to_photo(pos)
        x, y = math.floor(p.x()), math.floor(p.y())
        inside = not self._photo.isEmpty() and 0 <= x < self._photo.width() and 0 <= y < self._photo.height()
        return QPoint(x, y) if inside and self.visible_rect().contains(pos) else None

    def shown_color(self, x: int, y: int):
        """The colour the "after" preview shows at photo pixel (x, y), "#rrggbb", or None."""
        if self._after is None or self._photo.isEmpty():
            return None
        px = min(self._after.width() - 1, int((x + 0.5) * self._after.width() / self._photo.width()))
        py = min(self._after.height() - 1, int((y + 0.5) * self._after.height() / self._photo.height()))
        return self._after.pixelColor(px, py).name()

    # ---- content --------------------------------------------------------------------------------
    def set_images(self, before: QImage, after: QImage, photo_size: QSize = None) -> None:
        """The previews of the whole photo; photo_size: its full resolution (default: the preview's)."""
        self._before, self._after, self._message = before, after, ""
        size = photo_size if photo_size is not None else (after or before).size()
        if size != self._photo:
            self._photo = QSize(size)
            self._scale, self._detail = None, None
        self._scaled.clear()
        self._changed()

    def set_after(self, after: QImage) -> None:
        self._after = after
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != "after"}
        self.update()

    def set_message(self, text: str) -> None:
        """Show a sentence instead of images (e.g. why a photo failed)."""
        self._before = self._after = self._detail = None
        self._message = text
        self._photo, self._scale = QSize(), None
        self._scaled.clear()
        self._changed()

    def new_photo(self) -> None:
        """Another photo is about to be shown: back to Fit, no detail."""
        self._scale, self._detail = None, None
        self.cursor.reset()
        self._changed()

    def before_image(self) -> QImage:
        return self._before

    def after_image(self) -> QImage:
        return self._after

    def message(self) -> str:
        return self._message

    def photo_size(self) -> QSize:
        return QSize(self._photo)

    # ---- the full-resolution detail -------------------------------------------------------------
    def detail_request(self):
        """(box, max_side) when zoomed in further than the preview's resolution, else None. box: the
        visible part in photo coordinates (left, top, right, bottom); max_side: decode it shrunk to
        this longer side (the size shown), or None for full resolution (100 % and more)."""
        if self.is_fit() or not self.preview_is_coarse():
            return None  # at Fit the window keeps the preview itself at the size shown
        box = self.visible_box()
        if box is None:
            return None
        if self.zoom() >= 1.0:
            return box, None
        side = max(box[2] - box[0], box[3] - box[1])
        shown = self.photo_rect().width() / self._photo.width() * self._ratio()  # as drawn (Fit: whole pixels)
        return box, max(1, math.ceil(side * shown - 1e-6))

    def preview_is_coarse(self) -> bool:
        """Whether the preview would be drawn enlarged (fewer preview pixels than device pixels), and
        the photo has more pixels to give."""
        if self._after is None or self._photo.isEmpty() or self._after.width() >= self._photo.width():
            return False
        return self.zoom() > self._after.width() / self._photo.width() * 1.02

    def set_detail(self, region, before: QImage = None, after: QImage = None) -> None:
        """A region (as detail_request gave it) decoded from the full-resolution photo. A new region
        replaces the old detail; the same region keeps the image not given (e.g. the gray one when only
        the temperature changed)."""
        if self._detail is None or self._detail["region"] != region:
            self._detail = {"region": region, "before": None, "after": None}
        if before is not None:
            self._detail["before"] = before
        if after is not None:
            self._detail["after"] = after
        self.update()

    def detail(self):
        """The detail shown: {"region", "before", "after"}, or None."""
        return self._detail

    def clear_detail(self) -> None:
        if self._detail is not None:
            self._detail = None
            self.update()

    # ---- zoom and pan ---------------------------------------------------------------------------
    def _ratio(self) -> float:
        return self.devicePixelRatioF()

    def _area(self) -> QRect:
        return self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def _fit_scale(self) -> float:
        area = self._area()
        if self._photo.isEmpty() or area.isEmpty():
            return 1.0
        return min(area.width() / self._photo.width(), area.height() / self._photo.height())

    def fit_side(self, photo: QSize) -> int:
        """The longer side, in device pixels, of a photo of this size shown at Fit."""
        if photo is None or photo.isEmpty():
            return 0
        fitted = photo.scaled(self._area().size(), Qt.AspectRatioMode.KeepAspectRatio) * self._ratio()
        return max(fitted.width(), fitted.height())

    def _current_scale(self) -> float:
        return self._fit_scale() if self._scale is None else self._scale

    def zoom(self) -> float:
        """Device pixels per photo pixel: 1.0 is 100 %."""
        return self._current_scale() * self._ratio()

    def is_fit(self) -> bool:
        return self._scale is None

    def fit(self) -> None:
        if self._scale is not None:
            self._scale = None
            self._changed()

    def actual_size(self) -> None:
        """100 %: one photo pixel per device pixel, around the middle of what is shown now."""
        self.set_zoom(1.0)

    def zoom_by(self, factor: float, anchor: QPointF = None) -> None:
        self.set_zoom(self.zoom() * factor, anchor)

    def set_zoom(self, zoom: float, anchor: QPointF = None) -> None:
        """Zoom to `zoom` (device px per photo px), keeping the photo point under `anchor` (a widget
        position; default the middle) where it is. Below Fit (for photos larger than the view) is Fit."""
        if self._photo.isEmpty():
            return
        fit = self._fit_scale() * self._ratio()
        zoom = min(max(zoom, min(fit, 1.0)), max(MAX_ZOOM, fit))
        anchor = QPointF(self.rect().center()) if anchor is None else QPointF(anchor)
        under = self.to_photo(anchor)
        if abs(zoom - fit) < 1e-6:
            self._scale = None
        else:
            self._scale = zoom / self._ratio()
            middle = QPointF(self.width() / 2, self.height() / 2)
            self._centre = under - (anchor - middle) / self._scale
            self._clamp_centre()
        self._changed()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the photo by (dx, dy) widget pixels (when zoomed in)."""
        if self._scale is None:
            return
        self._centre -= QPointF(dx, dy) / self._scale
        self._clamp_centre()
        self._changed()

    def show_point(self, p: QPointF, margin: float = 24) -> None:
        """Pan (when zoomed in) so that photo point p is in view, at least margin px inside its edges."""
        if self._scale is None:
            return
        w, v = self.from_photo(p), self.visible_rect().adjusted(margin, margin, -margin, -margin)
        dx = v.left() - w.x() if w.x() < v.left() else v.right() - w.x() if w.x() > v.right() else 0
        dy = v.top() - w.y() if w.y() < v.top() else v.bottom() - w.y() if w.y() > v.bottom() else 0
        if dx or dy:
            self.pan_by(dx, dy)

    def _clamp_centre(self) -> None:
        """Keep the photo covering the view where it is larger than it, centred where it is smaller."""
        s = self._scale
        half_w, half_h = self.width() / 2 / s, self.height() / 2 / s
        w, h = self._photo.width(), self._photo.height()
        x = w / 2 if w <= 2 * half_w else min(max(self._centre.x(), half_w), w - half_w)
        y = h / 2 if h <= 2 * half_h else min(max(self._centre.y(), half_h), h - half_h)
        self._centre = QPointF(x, y)

    def can_pan(self) -> bool:
        if self._scale is None:
            return False
        r = self.photo_rect()
        return r.width() > self.width() + 0.5 or r.height() > self.height() + 0.5

    def photo_rect(self) -> QRectF:
        """Where the whole photo is drawn, in widget coordinates (partly outside the view when zoomed)."""
        if self._photo.isEmpty():
            return QRectF()
        if self._scale is None:  # Fit: as large as fits, centred, on whole pixels
            size = self._photo.scaled(self._area().size(), Qt.AspectRatioMode.KeepAspectRatio)
            c = self._area().center()
            return QRectF(QRect(c.x() - size.width() // 2 + 1, c.y() - size.height() // 2 + 1,
                                size.width(), size.height()))
        s = self._scale
        # Whole device pixels for the origin, so that at 100 % every photo pixel lands on one pixel.
        r = self._ratio()
        left = round((self.width() / 2 - self._centre.x() * s) * r) / r
        top = round((self.height() / 2 - self._centre.y() * s) * r) / r
        return QRectF(left, top, self._photo.width() * s, self._photo.height() * s)

    def visible_rect(self) -> QRectF:
        return self.photo_rect().intersected(QRectF(self.rect()))

    def to_photo(self, p: QPointF) -> QPointF:
        r = self.photo_rect()
        if r.isEmpty():
            return QPointF()
        s = r.width() / self._photo.width()
        return QPointF((p.x() - r.left()) / s, (p.y() - r.top()) / s)

    def from_photo(self, p: QPointF) -> QPointF:
        """Photo coordinates -> widget coordinates (to_photo's inverse)."""
        r = self.photo_rect()
        if r.isEmpty():
            return QPointF()
        s = r.width() / self._photo.width()
        return QPointF(r.left() + p.x() * s, r.top() + p.y() * s)

    def visible_box(self):
        """The visible part of the photo, (left, top, right, bottom) in photo pixels, or None."""
        r, v = self.photo_rect(), self.visible_rect()
        if v.isEmpty():
            return None
        s = r.width() / self._photo.width()
        left = max(0, math.floor((v.left() - r.left()) / s))
        top = max(0, math.floor((v.top() - r.top()) / s))
        right = min(self._photo.width(), math.ceil((v.right() - r.left()) / s - 1e-6))
        bottom = min(self._photo.height(), math.ceil((v.bottom() - r.top()) / s - 1e-6))
        return (left, top, right, bottom) if right > left and bottom > top else None

    def _changed(self) -> None:
        self.update()
        self.zoom_changed.emit(self.zoom())
        self.view_changed.emit()

    def resizeEvent(self, event):
        if self._scale is not None:
            self._clamp_centre()
        super().resizeEvent(event)
        self._changed()

    # ---- divider --------------------------------------------------------------------------------
    def split(self) -> float:
        return self._split

    def set_split(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if fraction != self._split:
            self._split = fraction
            self.split_changed.emit(fraction)
            self.update()

    def divider_x(self) -> float:
        v = self.visible_rect()
        return v.left() + round(self._split * v.width())

    def _split_at(self, x: float) -> None:
        v = self.visible_rect()
        if v.width() > 0:
            self.set_split((x - v.left()) / v.width())

    def _near_divider(self, x: float) -> bool:
        return not self.visible_rect().isEmpty() and abs(x - self.divider_x()) <= GRAB

    # ---- mouse, wheel, gestures, keys -----------------------------------------------------------
    def _press_kind(self, pos: QPointF) -> str:
        """What a left press at pos starts, and what the cursor shows before it: "pan" (zoomed in, away
        from the divider) or "divider"; in hint mode also "marker" (on a marker: select and drag it)
        and "point" (elsewhere on the photo: a click places a hint, a drag pans)."""
        if self._hint_mode:
            if self.markers.at(self, pos) is not None:
                return "marker"
            if not self._near_divider(pos.x()) and self.photo_pixel(pos) is not None:
                return "point"
        return "pan" if self.can_pan() and not self._near_divider(pos.x()) else "divider"

    def mousePressEvent(self, event):
        pos = event.position()
        if event.button() == Qt.MouseButton.RightButton and self._hint_mode:
            index = self.markers.at(self, pos)
            if index is not None:
                self.marker_removed.emit(index)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._drag, self._drag_from, self._moved = self._press_kind(pos), pos, False
        self.cursor.active = False  # the mouse is in use: no crosshair until a key moves it
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._drag == "marker":
            index = self.markers.at(self, pos)
            self.cursor.pressed(index)
            self.marker_selected.emit(index)  # first: the hints sent back with the selection end any drag
            self.markers.drag = (index, self.markers.position(index))
        elif self._drag == "divider":
            self._split_at(pos.x())

    def mouseMoveEvent(self, event):
        pos = event.position()
        if self._drag == "divider":
            self._split_at(pos.x())
        elif self._drag == "pan":
            delta = pos - self._drag_from
            self._drag_from = pos
            self.pan_by(delta.x(), delta.y())
        elif self._drag == "marker" and self.markers.drag is not None:
            p = self.to_photo(pos)  # kept on the photo
            p = QPointF(min(max(p.x(), 0.0), self._photo.width() - 1e-3),
                        min(max(p.y(), 0.0), self._photo.height() - 1e-3))
            self.markers.drag = (self.markers.drag[0], p)
            self._moved = True
            self.update()
        elif self._drag == "point":
            if (pos - self._drag_from).manhattanLength() > CLICK_SLOP:  # not a click: a pan, where there is one
                self._drag = "pan" if self.can_pan() else None
                self._drag_from = pos
        else:
            self._update_cursor(pos)

    def mouseReleaseEvent(self, event):
        if event.button() != Qt.MouseButton.LeftButton:
            return
        drag, self._drag = self._drag, None
        if drag == "marker" and self.markers.drag is not None:
            index, p = self.markers.drag
            self.markers.drag = None
            if self._moved:  # the window moves the hint and sends the hints back
                self.marker_moved.emit(index, QPoint(math.floor(p.x()), math.floor(p.y())))
            self.update()
        elif drag == "point":
            pixel = self.photo_pixel(self._drag_from)
            if pixel is not None:
                self.cursor.clicked(pixel)
                self.point_clicked.emit(pixel)
        self._update_cursor(event.position())

    def mouseDoubleClickEvent(self, event):
        if self._hint_mode:
            return  # the second click of a quick double click: not a zoom, nor a second hint
        if event.button() == Qt.MouseButton.LeftButton and not self._near_divider(event.position().x()):
            if self.is_fit():
                self.set_zoom(1.0, event.position())
            else:
                self.fit()
            self._update_cursor(event.position())

    def _update_cursor(self, pos: QPointF) -> None:
        shapes = {"pan": Qt.CursorShape.OpenHandCursor, "marker": Qt.CursorShape.SizeAllCursor,
                  "point": Qt.CursorShape.CrossCursor, "divider": Qt.CursorShape.SplitHCursor}
        self.setCursor(shapes[self._press_kind(pos)])

    def wheelEvent(self, event):
        notches = event.angleDelta().y() / 120
        if notches == 0 or self._photo.isEmpty():
            return super().wheelEvent(event)
        self.zoom_by(ZOOM_STEP ** notches, event.position())
        event.accept()

    def event(self, event):
        if event.type() == QEvent.Type.ShortcutOverride and self._hint_mode and self.cursor.wants_shortcut(event):
            event.accept()  # the key comes to keyPressEvent rather than to the window's shortcut
            return True
        # Pinch: a native gesture where the platform has one (macOS, Wayland, X11 with XInput 2.4),
        # else Qt's gesture recogniser on touch screens.
        if event.type() == QEvent.Type.NativeGesture:
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture and not self._photo.isEmpty():
                self.zoom_by(1.0 + event.value(), event.position())
                return True
        elif event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                if pinch.changeFlags() & pinch.ChangeFlag.ScaleFactorChanged:
                    centre = self.mapFromGlobal(pinch.centerPoint().toPoint())
                    self.zoom_by(pinch.scaleFactor(), QPointF(centre))
                event.accept(pinch)
                return True
        return super().event(event)

    def keyPressEvent(self, event):
        if self._hint_mode and self.cursor.key_press(self, event):
            return
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        pans = {Qt.Key.Key_Left: (1, 0), Qt.Key.Key_Right: (-1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}
        if shift and key in pans:
            dx, dy = pans[key]
            self.pan_by(dx * self.width() * PAN_STEP, dy * self.height() * PAN_STEP)
        elif key == Qt.Key.Key_Left:
            self.set_split(self._split - KEY_STEP)
        elif key == Qt.Key.Key_Right:
            self.set_split(self._split + KEY_STEP)
        elif key == Qt.Key.Key_Home:
            self.set_split(0.0)
        elif key == Qt.Key.Key_End:
            self.set_split(1.0)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._hint_mode and self.markers.selected is not None:
            self.marker_removed.emit(self.markers.selected)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        else:
            super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        # In hint mode Tab goes through the markers before it leaves the view.
        if self._hint_mode and self.hasFocus() and self.cursor.tab(self, next):
            return True
        return super().focusNextPrevChild(next)

    def focusInEvent(self, event):
        super().focusInEvent(event)
        if self._hint_mode and event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                                                  Qt.FocusReason.ShortcutFocusReason):
            self.cursor.active = True  # reached with the keyboard: show where Enter places a hint
            self.cursor.announce(self)

    def focusOutEvent(self, event):
        super().focusOutEvent(event)
        if event.reason() not in (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason):
            self.cursor.let_go(self, say=False)  # coming back starts from the crosshair
        self.update()  # the crosshair is drawn only with the focus

    # ---- painting -------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 560)

    def _surround(self) -> QColor:
        """A neutral grey around the photo, as photo viewers have (it does not tint how the colours are
        seen): dark in a dark scheme, lighter in a light one, following the palette."""
        window = self.palette().color(QPalette.ColorRole.Window)
        return QColor(44, 44, 46) if window.lightness() < 128 else QColor(86, 86, 88)

    def _preview_pixmap(self, which: str, image: QImage, size: QSize) -> QPixmap:
        """The preview scaled to `size` once, smoothly; later paints only copy it."""
        key = (which, size.width(), size.height())
        if key not in self._scaled:
            self._scaled = {k: v for k, v in self._scaled.items() if k[1:] == key[1:]}  # one size kept
            ratio = self._ratio()
            scaled = image.scaled(size * ratio, Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            pixmap = QPixmap.fromImage(scaled)
            pixmap.setDevicePixelRatio(ratio)
            self._scaled[key] = pixmap
        return self._scaled[key]

    def _draw(self, painter: QPainter, which: str, preview: QImage, detail: QImage) -> None:
        r = self.photo_rect()
        if preview is not None:
            source_zoom = preview.width() / r.width() if r.width() else 1
            if source_zoom >= 1 / self._ratio() and r.width() * r.height() <= 4 * self.width() * self.height():
                size = QSize(round(r.width()), round(r.height()))  # shrunk: pre-scaled once per size
                painter.drawPixmap(r.topLeft(), self._preview_pixmap(which, preview, size))
            else:  # enlarged: only the visible part, scaled while painting
                v = self.visible_rect()
                k = preview.width() / r.width()
                source = QRectF((v.left() - r.left()) * k, (v.top() - r.top()) * k, v.width() * k, v.height() * k)
                painter.drawImage(v, preview, source)
        if detail is not None and self._detail is not None:
            left, top, right, bottom = self._detail["region"][0]
            s = r.width() / self._photo.width()
            target = QRectF(r.left() + left * s, r.top() + top * s, (right - left) * s, (bottom - top) * s)
            if detail.size() == target.size().toSize() * self._ratio():
                painter.drawImage(target.topLeft(), detail)  # one image pixel per device pixel: exact
            else:  # above 100 %, every photo pixel as a sharp square (as photo tools show them)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom() < 1.0)
                painter.drawImage(target, detail)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), self._surround())
        if self._message or (self._before is None and self._after is None):
            painter.setPen(QColor(220, 220, 220))
            painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        v = self.visible_rect()
        if v.isEmpty():
            return
        x = self.divider_x()
        detail = self._detail or {}
        painter.save()
        painter.setClipRect(v)
        self._draw(painter, "after", self._after, detail.get("after"))
        painter.setClipRect(QRectF(v.left(), v.top(), x - v.left(), v.height()))
        self._draw(painter, "before", self._before, detail.get("before"))
        painter.restore()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_labels(painter, v, x)
        self._paint_divider(painter, v, x)
        if self._hint_mode:
            self.markers.paint(painter, self)
            self.cursor.paint(painter, self)

    def _paint_labels(self, painter: QPainter, v: QRectF, x: float) -> None:
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for text, left in (("Before", True), ("After", False)):
            if (left and x - v.left() < 70) or (not left and v.right() - x < 70):
                continue  # that side is (almost) hidden
            w, h = metrics.horizontalAdvance(text) + 16, metrics.height() + 6
            box = QRectF(v.left() + 10 if left else v.right() - 10 - w, v.top() + 10, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 140))  # over the photo, whatever the scheme
            painter.drawRoundedRect(box, h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_divider(self, painter: QPainter, v: QRectF, x: float) -> None:
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, v.top()), QPointF(x, v.bottom()))
        centre = QPointF(x, v.center().y())
        focus = self.hasFocus()
        painter.setBrush(self.palette().highlight() if focus else QColor(255, 255, 255, 230))
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawEllipse(centre, 14, 14)
        # Two small arrows: "this can be dragged sideways".
        painter.setBrush(self.palette().highlightedText() if focus else QColor(60, 60, 60))
        painter.setPen(Qt.PenStyle.NoPen)
        for direction in (-1, 1):
            arrow = QPainterPath()
            tip = centre + QPointF(direction * 9, 0)
            arrow.moveTo(tip)
            arrow.lineTo(tip + QPointF(-direction * 5, -5))
            arrow.lineTo(tip + QPointF(-direction * 5, 5))
            arrow.closeSubpath()
            painter.drawPath(arrow)
