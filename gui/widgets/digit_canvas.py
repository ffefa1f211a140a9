"""`DigitCanvas`: a square sheet to draw a digit on with the mouse or a pen tablet.

Strokes are kept as point lists (x, y, pressure) so undo removes the last stroke by redrawing
the others. Ink goes into a fixed 280x280 grayscale buffer (white paper, black ink) whatever the
widget's size; `image()` hands it out as floats with ink = 1, and `ink_region()` only the part
that can hold ink (the canvas keeps the box of everything painted since the last clear), which is
all a preprocessing step that crops to the ink needs to look at. `drawingChanged` fires while a
stroke is drawn (at most every `THROTTLE_MS`, and always once more at its end) and after clear,
undo and `set_image`.
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BUFFER = 280          # drawing resolution (10x the model's 28x28)
THROTTLE_MS = 16      # at most ~60 updates a second while drawing
PAPER = QColor(255, 255, 255)
GUIDE = QColor(205, 215, 235)
HINT = "Draw a digit here"


class DigitCanvas(QWidget):
    drawingChanged = Signal()
    strokeFinished = Signal()

    def __init__(self, parent=None, pen_width: float = 22.0):
        super().__init__(parent)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paintEvent fills every pixel: skip the parents
        self.pen_width = pen_width                # in buffer pixels (of 280)
        self._strokes: list[list[tuple[float, float, float]]] = []
        self._current: list[tuple[float, float, float]] | None = None
        self._base: QImage | None = None          # an image set with set_image, below the strokes
        # premultiplied ARGB is the raster engine's fast path for antialiased pen strokes
        self._buffer = QImage(BUFFER, BUFFER, QImage.Format_ARGB32_Premultiplied)
        self._buffer.fill(PAPER)
        # (x0, y0, x1, y1) in buffer pixels, end exclusive: where ink may be; None: nowhere
        self._ink_box: tuple[int, int, int, int] | None = None
        self._last_emit = 0.0
        self._pending = QTimer(self, singleShot=True)
        self._pending.timeout.connect(self._emit_changed)
        self.show_guides = True
        self.setAttribute(Qt.WA_StaticContents)
        self.setCursor(Qt.CrossCursor)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(160, 160)
        self.setToolTip("Draw a digit. Right-click or Ctrl+Z: undo the last stroke.")

    # -- public API ------------------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """(280, 280) float32 ink in [0, 1] (ink = 1, paper = 0)."""
        ptr = self._buffer.constBits()
        rows = np.frombuffer(ptr, np.uint8).reshape(BUFFER, self._buffer.bytesPerLine() // 4, 4)
        return 1.0 - rows[:, :BUFFER, 0].astype(np.float32) / 255.0   # gray: any colour channel

    def ink_region(self) -> tuple[np.ndarray, int, int]:
        """(ink, row0, col0): `image()[row0:row0 + h, col0:col0 + w]` for the box that holds
        every ink pixel (everything outside it is paper), without converting the rest. An empty
        canvas gives a (0, 0) array."""
        if self._ink_box is None:
            return np.zeros((0, 0), np.float32), 0, 0
        x0, y0, x1, y1 = self._ink_box
        ptr = self._buffer.constBits()
        rows = np.frombuffer(ptr, np.uint8).reshape(BUFFER, self._buffer.bytesPerLine() // 4, 4)
        return 1.0 - rows[y0:y1, x0:x1, 0].astype(np.float32) / 255.0, y0, x0

    def set_image(self, ink: np.ndarray) -> None:
        """Replace the drawing with `ink` (2-D, any size, ink = 1), scaled to fill the sheet."""
        ink = np.asarray(ink, dtype=np.float32)
        if ink.ndim != 2 or ink.size == 0:
            raise ValueError(f"set_image needs a non-empty 2-D array, got shape {ink.shape}")
        gray = np.ascontiguousarray(255 - np.clip(ink, 0, 1) * 255, dtype=np.uint8)
        src = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0],
                     QImage.Format_Grayscale8).copy()
        self._base = src.scaled(BUFFER, BUFFER, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
        self._strokes, self._current = [], None
        self._redraw()
        self._emit_changed()

    def clear(self) -> None:
        self._strokes, self._current, self._base = [], None, None
        self._redraw()
        self._emit_changed()

    def undo(self) -> None:
        """Remove the last stroke (or, with no strokes left, an image set with set_image)."""
        if self._strokes:
            self._strokes.pop()
        elif self._base is not None:
            self._base = None
        else:
            return
        self._redraw()
        self._emit_changed()

    def draw_stroke(self, points, pressure: float = 1.0) -> None:
        """Draw one stroke through `points` [(x, y), ...] in canvas (280x280) coordinates, through
        the same path as the mouse (for demos, tests and benchmarks)."""
        points = list(points)
        if not points:
            return
        self._current = [(float(points[0][0]), float(points[0][1]), pressure)]
        self._paint_on_buffer(self._current[0], self._current[0])
        self._changed_while_drawing()
        for x, y in points[1:]:
            self._extend_buffer_point((float(x), float(y), pressure))
        self._end()

    def _extend_buffer_point(self, point) -> None:
        self._paint_on_buffer(self._current[-1], point)
        self._current.append(point)
        self._changed_while_drawing()

    def set_pen_width(self, width: float) -> None:
        self.pen_width = float(width)

    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes and self._base is None and self._current is None

    def sheet_rect(self) -> QRectF:
        """The square on screen that shows the buffer (centred, as large as fits)."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def hint_rect(self) -> QRect:
        """Where the empty sheet's hint is written (centred, with a pixel of margin)."""
        box = self.fontMetrics().boundingRect(HINT)
        box.moveCenter(self.sheet_rect().center().toPoint())
        return box.adjusted(-2, -2, 2, 2)

    # -- drawing -----------------------------------------------------------------------------
    def _to_buffer(self, pos: QPointF) -> tuple[float, float]:
        r = self.sheet_rect()
        k = BUFFER / max(r.width(), 1.0)
        return (pos.x() - r.x()) * k, (pos.y() - r.y()) * k

    def _pen(self, pressure: float) -> QPen:
        # pressure 1 (mouse) gives the chosen width; a light pen touch about half of it
        pen = QPen(Qt.black, max(1.0, self.pen_width * (0.45 + 0.55 * pressure)))
        pen.setCapStyle(Qt.RoundCap)
        pen.setJoinStyle(Qt.RoundJoin)
        return pen

    def _paint_segment(self, painter: QPainter, a, b) -> None:
        pen = self._pen((a[2] + b[2]) / 2)
        self._grow_ink_box(a, b, pen.widthF())
        painter.setPen(pen)
        if a[:2] == b[:2]:
            painter.drawPoint(QPointF(a[0], a[1]))
        else:
            painter.drawLine(QPointF(a[0], a[1]), QPointF(b[0], b[1]))

    def _paint_stroke(self, painter: QPainter, stroke) -> None:
        # the same dot-then-segments sequence as live drawing, so a redraw matches pixel for pixel
        self._paint_segment(painter, stroke[0], stroke[0])
        for a, b in zip(stroke, stroke[1:]):
            self._paint_segment(painter, a, b)

    def _redraw(self) -> None:
        self._buffer.fill(PAPER)
        self._ink_box = (0, 0, BUFFER, BUFFER) if self._base is not None else None
        painter = QPainter(self._buffer)
        painter.setRenderHint(QPainter.Antialiasing)
        if self._base is not None:
            painter.drawImage(0, 0, self._base)
        for stroke in self._strokes:
            self._paint_stroke(painter, stroke)
        painter.end()
        self.update()

    def _grow_ink_box(self, a, b, width: float) -> None:
        """Add segment a-b, drawn `width` wide (round caps, antialiased), to the ink box."""
        pad = width / 2 + 2
        x0 = max(0, math.floor(min(a[0], b[0]) - pad))
        y0 = max(0, math.floor(min(a[1], b[1]) - pad))
        x1 = min(BUFFER, math.ceil(max(a[0], b[0]) + pad))
        y1 = min(BUFFER, math.ceil(max(a[1], b[1]) + pad))
        if x1 <= x0 or y1 <= y0:
            return
        if self._ink_box is not None:
            bx0, by0, bx1, by1 = self._ink_box
            x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
        self._ink_box = (x0, y0, x1, y1)

    def _begin(self, pos: QPointF, pressure: float) -> None:
        was_empty = self.is_empty()
        x, y = self._to_buffer(pos)
        self._current = [(x, y, pressure)]
        self._paint_on_buffer(self._current[0], self._current[0])
        if was_empty:
            # stroke updates are partial: clear the hint once (its own box: a whole-sheet
            # repaint, ~0.7 ms, would land in the first stroke's update)
            self.update(self.hint_rect())
        self._changed_while_drawing()

    def _extend(self, pos: QPointF, pressure: float) -> None:
        if self._current is None:
            return
        x, y = self._to_buffer(pos)
        self._extend_buffer_point((x, y, pressure))

    def _end(self) -> None:
        if self._current is None:
            return
        self._strokes.append(self._current)
        self._current = None
        self._pending.stop()
        self._emit_changed()
        self.strokeFinished.emit()

    def _paint_on_buffer(self, a, b) -> None:
        painter = QPainter(self._buffer)
        painter.setRenderHint(QPainter.Antialiasing)
        self._paint_segment(painter, a, b)
        painter.end()
        # repaint only the screen area around the new segment
        r = self.sheet_rect()
        k = r.width() / BUFFER
        pad = self.pen_width * k + 2
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        self.update(QRectF(r.x() + x0 * k - pad, r.y() + y0 * k - pad,
                           (x1 - x0) * k + 2 * pad, (y1 - y0) * k + 2 * pad).toAlignedRect())

    def _changed_while_drawing(self) -> None:
        """Emit now if the last emit is old enough, else once when the throttle interval ends."""
        wait_ms = THROTTLE_MS - (time.perf_counter() - self._last_emit) * 1000
        if wait_ms <= 0:
            self._pending.stop()
            self._emit_changed()
        elif not self._pending.isActive():
            self._pending.start(int(wait_ms) + 1)

    def _emit_changed(self) -> None:
        self._last_emit = time.perf_counter()
        self.drawingChanged.emit()

    # -- Qt events -----------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self._begin(event.position(), 1.0)
        elif event.button() == Qt.RightButton:
            self.undo()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self._extend(event.position(), 1.0)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self._end()

    def tabletEvent(self, event) -> None:
        kind = event.type()
        pressure = float(event.pressure()) if event.pressure() > 0 else 1.0
        if kind == event.Type.TabletPress:
            self._begin(event.position(), pressure)
        elif kind == event.Type.TabletMove and self._current is not None:
            self._extend(event.position(), pressure)
        elif kind == event.Type.TabletRelease:
            self._end()
        event.accept()   # no synthesized mouse events for the same pen motion

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        r = self.sheet_rect()
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.drawImage(r, self._buffer)
        if self.show_guides:
            # the 20/28 box MNIST fits digits into: a hint for how large to draw
            pen = QPen(GUIDE, 1, Qt.DashLine)
            painter.setPen(pen)
            m = r.width() * 4 / 28
            painter.drawRect(r.adjusted(m, m, -m, -m))
        painter.setPen(QPen(QColor(150, 150, 150), 1))
        painter.drawRect(r.adjusted(0, 0, -1, -1))
        if self.is_empty():
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.hint_rect(), Qt.AlignCenter, HINT)

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def heightForWidth(self, width: int) -> int:
        return width
