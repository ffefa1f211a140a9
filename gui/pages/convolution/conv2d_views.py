"""The 2-D convolution tab's views: the padded input (paintable, zoomable), the products of one
step with their sum, and the map after the activation with the activation's curve under it."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QHBoxLayout, QVBoxLayout, QWidget

from engine.activations import ACTIVATIONS
from gui import style
from gui.widgets.kernel_editor import CHANNEL_NAMES
from gui.widgets.live_label import LiveLabel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.plot_cache import cache_axes

WINDOW_COLOUR = "#ff8c00"     # the kernel's window, on every view
LOCATOR_COLOUR = "#00b7ff"    # a frame around the window where the window itself is too small
EXPAND_CELLS = 9              # products spelled out "a×b + ..." up to this many terms


class PaddedInputView(MatrixView):
    """The padded input. With `painting` on (the drawing pad), the left button paints cells and
    the right button (or Shift) erases: `cellPainted(row, col, erase)` in padded coordinates.
    On a large input (a photo) the mouse wheel zooms in on the neighbourhood of the window
    (`zoomRequested(+1 / -1)`), and a frame marks where the window is."""

    cellPainted = Signal(int, int, bool)
    zoomRequested = Signal(int)

    def __init__(self):
        super().__init__(colormap="gray", number_format="{:.2f}", max_number_cells=400)
        self.painting = False
        self.zoomable = False
        self._erase = False
        self._last: tuple[int, int] | None = None
        self._tile: tuple[int, int, int] | None = None   # (side, tile row, tile col) shown

    def _cell_at(self, pos) -> tuple[int, int]:
        p = self.plot.vb.mapSceneToView(self.mapToScene(pos))
        return int(np.floor(p.y())), int(np.floor(p.x()))

    def _paint(self, pos) -> None:
        cell = self._cell_at(pos)
        if cell != self._last:
            self._last = cell
            self.cellPainted.emit(cell[0], cell[1], self._erase)

    def mousePressEvent(self, event) -> None:
        if not self.painting:
            return super().mousePressEvent(event)
        self._erase = event.button() == Qt.RightButton or bool(event.modifiers() & Qt.ShiftModifier)
        self._last = None
        self._paint(event.position().toPoint())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self.painting and event.buttons() & (Qt.LeftButton | Qt.RightButton):
            self._paint(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if not self.painting:
            return super().mouseReleaseEvent(event)
        self._last = None
        event.accept()

    def wheelEvent(self, event) -> None:
        if not self.zoomable:
            return super().wheelEvent(event)
        steps = event.angleDelta().y()
        if steps:
            self.zoomRequested.emit(1 if steps > 0 else -1)
        event.accept()

    def show_window(self, rect: tuple[int, int, int, int], zoom: int) -> None:
        """Outline the window (r0, c0, h, w). `zoom` 0 shows the whole input (and a frame
        around the window when the input is large); else a `zoom`-cell square around it, moved
        a whole square at a time so the view does not re-render on every step."""
        self.set_highlight(rect, color=WINDOW_COLOUR)
        shape = self.values().shape
        r0, c0, h, w = rect
        big = max(shape) > 48
        if zoom and big:
            side = max(zoom, h + 2, w + 2)
            tile = (side, (r0 + h // 2) // side, (c0 + w // 2) // side)
            if tile != self._tile:
                self._tile = tile
                top, left = tile[1] * side - side // 4, tile[2] * side - side // 4
                self.plot.setRange(QRectF(left, top, side * 1.5, side * 1.5), padding=0)
            self.set_highlight(None, key="locator")
            return
        if self._tile is not None:
            self._tile = None
            self.plot.setRange(QRectF(0, 0, shape[1], shape[0]), padding=0.02)
        if big:
            m = max(4, max(shape) // 20)
            self.set_highlight((r0 - m, c0 - m, h + 2 * m, w + 2 * m), color=LOCATOR_COLOUR,
                               key="locator", width=2.0)
        else:
            self.set_highlight(None, key="locator")

    def forget_zoom(self) -> None:
        """A new input: the next `show_window` places the view afresh."""
        self._tile = None


class ProductsView(QWidget):
    """The current window ⊙ kernel: one small grid of products per input channel, then the sum:
    "Σ = 1.600 + 0.000 (bias) = 1.600" (and the terms spelled out when there are few)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._boxes: list[tuple[QWidget, LiveLabel, MatrixView]] = []   # every channel's, made once
        self.views: list[MatrixView] = []       # the channels shown
        self.titles: list[LiveLabel] = []
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        # plain, unselectable text: rich or selectable text costs much more to lay out and
        # paint, and these change every step
        self.terms = style.set_role(LiveLabel(lines=4), "equation")
        # three lines: an RGB sum names three channels and the bias (cut at two at 1280x720)
        self.equation = style.set_role(LiveLabel(lines=3), "equation", bold=True)
        for label in (self.terms, self.equation):
            label.setTextFormat(Qt.PlainText)
            label.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(self.terms)
        text.addWidget(self.equation)
        text.addStretch(1)
        layout = QHBoxLayout(self)           # the grids beside the sum: room for both
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row, 1)
        layout.addLayout(text, 1)
        self.set_channels(1)

    def set_channels(self, n: int) -> None:
        """One grid per input channel, made once and hidden when not needed (never destroyed:
        see gui/__init__.py)."""
        while len(self._boxes) < n:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            title = LiveLabel()
            title.setAlignment(Qt.AlignCenter)
            view = MatrixView(colormap="diverging", number_format="{:.2f}", max_number_cells=49,
                              cache_image=False)     # new products every step
            view.setToolTip("Each input value under the window times the kernel value over it")
            view.setMinimumSize(130, 130)      # three numbers across at the smallest readable size
            column.addWidget(title)
            column.addWidget(view, 1)
            self.row.addWidget(box, 1)
            self._boxes.append((box, title, view))
        for k, (box, _title, _view) in enumerate(self._boxes):
            box.setVisible(k < n)
        self.views = [view for _box, _title, view in self._boxes[:n]]
        self.titles = [title for _box, title, _view in self._boxes[:n]]

    def show_step(self, step, kernel: np.ndarray, levels: tuple[float, float]) -> None:
        """`step`: an engine.conv.ConvStep; kernel: (C_in, kH, kW), the filter it applies."""
        n = step.products.shape[0]
        for c in range(n):
            self.views[c].set_matrix(step.products[c], levels=levels)
            # (one grid per channel is narrow: its title names the channel and its sum)
            self.titles[c].setText(f"{CHANNEL_NAMES[c]}: Σ = {step.channel_sums[c]:.3f}"
                                   if n > 1 else "window ⊙ kernel")
        bias = f" {'+' if step.bias >= 0 else '−'} {abs(step.bias):.3f} (bias)"
        self.terms.setVisible(n == 1)        # (the channels' sums say it for RGB)
        if n > 1:
            parts = " + ".join(f"{s:.3f} ({CHANNEL_NAMES[c]})" for c, s in enumerate(step.channel_sums))
            self.terms.setText("")
            self.equation.setText(f"{parts}{bias} = {step.value:.3f}")
            return
        if step.products.size <= EXPAND_CELLS:
            self.terms.setText(" + ".join(
                f"{a:.2f}×{b:.2f}" if b >= 0 else f"{a:.2f}×(−{-b:.2f})"
                for a, b in zip(step.window.ravel(), kernel.ravel())))
        else:
            self.terms.setText(f"{step.products.size} products: too many to spell out")
        self.equation.setText(f"Σ = {step.channel_sums[0]:.3f}{bias} = {step.value:.3f}")


class ActivationView(MatrixView):
    """The output map after the activation, and under it (in the same view: one repaint for
    both every step) the activation's curve with the current cell's value on it."""

    def __init__(self):
        super().__init__(colormap="diverging", number_format="{:.2f}", max_number_cells=144)
        self.nextRow()
        self.curve_plot = self.addPlot(enableMenu=False)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.curve_plot.setMouseEnabled(False, False)
        self.curve_plot.hideButtons()
        self.curve_plot.showGrid(x=True, y=True, alpha=0.3)
        self.curve_plot.setLabel("bottom", "x")
        self.curve_plot.setLabel("left", "f(x)")
        cache_axes(self.curve_plot)        # axes, grid and curve change with the activation only:
        self.curve = pg.PlotCurveItem(pen=pg.mkPen("#1f5fbf", width=2.5))   # a step blits them
        self.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.curve_plot.addItem(self.curve)
        # the current cell on the curve: a dot of fixed pixel size (moving it repaints a few
        # pixels; lines across the plot would repaint the whole curve every step)
        self.marker = QGraphicsEllipseItem(-6, -6, 12, 12)
        self.marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.marker.setBrush(QColor(WINDOW_COLOUR))
        self.marker.setPen(QPen(QColor("#000000"), 1))
        self.marker.setZValue(10)
        self.curve_plot.addItem(self.marker, ignoreBounds=True)
        self.setToolTip("The output after the activation; click a cell to jump to its step")

    def show_curve(self, xs: np.ndarray, ys: np.ndarray, name: str) -> None:
        self.curve.setData(xs, ys)
        self.curve_plot.setTitle(ACTIVATIONS[name], size=f"{style.px('title')}px")

    def mark(self, x: float, y: float) -> None:
        self.marker.setPos(QPointF(x, y))
