"""The before/after view: the grayscale photo left of a divider, the colorized one right of it.

Drag the divider with the mouse (or click anywhere), or move it with the arrow keys (Home/End show
all of one side). The two images are the same size, so the divider reveals one over the other.
"""
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

KEY_STEP = 0.05


class CompareView(QWidget):
    split_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setAccessibleName("Before and after comparison")
        self.setToolTip("Drag, or use the ← and → keys, to compare the grayscale photo (left)\n"
                        "with the colorized one (right). Home and End show one side only.")
        self._before = None
        self._after = None
        self._message = ""
        self._split = 0.5
        self._scaled = {}  # (which, size) -> QPixmap, so that moving the divider does not rescale

    # ---- content --------------------------------------------------------------------------------
    def set_images(self, before: QImage, after: QImage) -> None:
        self._before, self._after, self._message = before, after, ""
        self._scaled.clear()
        self.update()

    def set_after(self, after: QImage) -> None:
        self._after = after
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != "after"}
        self.update()

    def set_message(self, text: str) -> None:
        """Show a sentence instead of images (e.g. why a photo failed)."""
        self._before = self._after = None
        self._message = text
        self._scaled.clear()
        self.update()

    def before_image(self) -> QImage:
        return self._before

    def after_image(self) -> QImage:
        return self._after

    def message(self) -> str:
        return self._message

    # ---- divider --------------------------------------------------------------------------------
    def split(self) -> float:
        return self._split

    def set_split(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if fraction != self._split:
            self._split = fraction
            self.split_changed.emit(fraction)
            self.update()

    def _split_at(self, x: float) -> None:
        r = self._image_rect()
        if r.width() > 0:
            self.set_split((x - r.left()) / r.width())

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self._split_at(event.position().x())

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._split_at(event.position().x())

    def keyPressEvent(self, event):
        key = event.key()
        if key == Qt.Key.Key_Left:
            self.set_split(self._split - KEY_STEP)
        elif key == Qt.Key.Key_Right:
            self.set_split(self._split + KEY_STEP)
        elif key == Qt.Key.Key_Home:
            self.set_split(0.0)
        elif key == Qt.Key.Key_End:
            self.set_split(1.0)
        else:
            super().keyPressEvent(event)

    # ---- painting -------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 560)

    def _image_rect(self) -> QRect:
        """Where the photo goes: as large as fits, centred, aspect kept."""
        image = self._after or self._before
        area = self.rect().adjusted(8, 8, -8, -8)
        if image is None or image.isNull() or area.isEmpty():
            return QRect()
        size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(area.center().x() - size.width() // 2 + 1, area.center().y() - size.height() // 2 + 1,
                     size.width(), size.height())

    def _pixmap(self, which: str, image: QImage, size: QSize) -> QPixmap:
        key = (which, size.width(), size.height())
        if key not in self._scaled:
            # Scaled once per size with smooth filtering; painting then only copies pixels.
            ratio = self.devicePixelRatioF()
            scaled = image.scaled(size * ratio, Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            pixmap = QPixmap.fromImage(scaled)
            pixmap.setDevicePixelRatio(ratio)
            self._scaled[key] = pixmap
        return self._scaled[key]

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # A dark neutral surround, as in photo viewers: it does not tint how the colours are seen.
        painter.fillRect(self.rect(), QColor(44, 44, 46))
        if self._message or (self._before is None and self._after is None):
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        r = self._image_rect()
        if r.isEmpty():
            return
        x = r.left() + round(self._split * r.width())
        if self._after is not None:
            painter.drawPixmap(r.topLeft(), self._pixmap("after", self._after, r.size()))
        if self._before is not None:
            painter.save()
            painter.setClipRect(QRect(r.left(), r.top(), x - r.left(), r.height()))
            painter.drawPixmap(r.topLeft(), self._pixmap("before", self._before, r.size()))
            painter.restore()
        self._paint_labels(painter, r, x)
        self._paint_divider(painter, r, x)

    def _paint_labels(self, painter: QPainter, r: QRect, x: int) -> None:
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for text, left in (("Before", True), ("After", False)):
            if (left and x - r.left() < 70) or (not left and r.right() - x < 70):
                continue  # that side is (almost) hidden
            w, h = metrics.horizontalAdvance(text) + 16, metrics.height() + 6
            box = QRectF(r.left() + 10 if left else r.right() - 10 - w, r.top() + 10, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 140))
            painter.drawRoundedRect(box, h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_divider(self, painter: QPainter, r: QRect, x: int) -> None:
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(x, r.top(), x, r.bottom())
        centre = QPointF(x, r.center().y())
        focus = self.hasFocus()
        painter.setBrush(self.palette().highlight() if focus else QColor(255, 255, 255, 230))
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawEllipse(centre, 14, 14)
        # Two small arrows: "this can be dragged sideways".
        painter.setBrush(QColor("white") if focus else QColor(60, 60, 60))
        painter.setPen(Qt.PenStyle.NoPen)
        for direction in (-1, 1):
            arrow = QPainterPath()
            tip = centre + QPointF(direction * 9, 0)
            arrow.moveTo(tip)
            arrow.lineTo(tip + QPointF(-direction * 5, -5))
            arrow.lineTo(tip + QPointF(-direction * 5, 5))
            arrow.closeSubpath()
            painter.drawPath(arrow)
