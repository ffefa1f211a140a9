"""`ProbabilityBars`: a model's class probabilities as bars, the top class highlighted.

ONE graphics item in the plot paints all the bars and their value labels, and an update only hands
it new heights and texts, so it can run on every stroke of a drawing. It replaced two
BarGraphItems (their `setOpts` rebuilt arrays and pens, ~0.35 ms a stroke) and ten TextItems
(which re-laid out their text documents on every change, ~1 ms). The axes never change and are
cached as pixmaps.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from gui.widgets.plot_cache import cache_axes, paint_view

BAR = QColor(150, 165, 190)
TOP = QColor(230, 120, 30)
LABEL = QColor(60, 60, 60)
Y_TOP = 1.15          # the y range's top: room above a 100 % bar for its label
LABEL_GAP = 0.02      # a label's bottom sits this far (in probability) above its bar
TEXT_MARGIN_PX = 4    # and this many pixels higher (where a TextItem's text sat)


class BarChart(pg.GraphicsObject):
    """The bars and the value above each, painted in one call: ten rectangles in data units and
    ten pre-laid-out texts in device pixels (crisp, the same size however the plot is scaled).
    The highlighted bar is drawn in its own colour."""

    WIDTH = 0.7           # a bar's width, in class units

    def __init__(self, count: int, font: QFont):
        super().__init__()
        self.font = font
        self._line = QFontMetricsF(font).height()
        self.heights = [0.0] * count                # in probability
        self.texts = [""] * count
        self.highlight = -1
        self._rect = QRectF(-0.5, 0.0, count, Y_TOP)
        self._brushes = {False: QBrush(BAR), True: QBrush(TOP)}
        self._pens = {False: QPen(LABEL), True: QPen(TOP)}
        # laid-out texts and their half widths, by text ("12.5%", ...)
        self._static: dict[str, tuple[QStaticText, float]] = {}
        self._label_half_px = QFontMetricsF(font).horizontalAdvance("100.0%") / 2 + 2
        self._device: tuple[float, float, float] | None = None   # (sx, sy, dy) at the last paint

    def set_bars(self, heights: list[float], texts: list[str], highlight: int) -> None:
        """New bars; only the columns that look different are repainted: a new label or colour,
        or a bar whose top moved by a pixel (while a digit is drawn, that is usually one or two
        of the ten: the rest stay at "0%" with heights far below a pixel)."""
        if self._device is None or len(heights) != len(self.heights):   # never painted: all
            self.heights, self.texts, self.highlight = list(heights), list(texts), highlight
            self.update()
            return
        sx, sy, dy = self._device          # as the last paint mapped data to pixels
        label_off = dy + sy * LABEL_GAP - TEXT_MARGIN_PX - self._line

        def pixels(h: float) -> tuple[int, int]:
            # the bar's top edge (as an aliased fill rounds it) and its label's top, as painted
            # (a NaN bar, from a broken model, is not painted: as if it were 0)
            h = h if math.isfinite(h) else 0.0
            return math.floor(sy * h + dy + 0.5), round(sy * h + label_off)

        changed = [i for i, (h, text, old_h, old_text) in
                   enumerate(zip(heights, texts, self.heights, self.texts))
                   if text != old_text or (i == highlight) != (i == self.highlight)
                   or (h != old_h and pixels(h) != pixels(old_h))]
        self.heights, self.texts, self.highlight = list(heights), list(texts), highlight
        if not changed:
            return
        # a column in data units, widened by the half width of its label's longest possible
        # text in pixels (a label may be wider than its bar in a narrow plot)
        half = self._label_half_px / sx if sx else 0.0
        pad = max(0.0, half - 0.5)
        lo, hi = changed[0], changed[-1]
        if len(changed) > 2 and hi - lo + 1 > len(changed) * 2:   # spread out: one rect each
            for i in changed:
                self.update(QRectF(i - 0.5 - pad, 0.0, 1.0 + 2 * pad, Y_TOP))
        else:
            self.update(QRectF(lo - 0.5 - pad, 0.0, hi - lo + 1.0 + 2 * pad, Y_TOP))

    def bar_rect(self, i: int) -> QRectF:
        """Bar `i` in data units (x: class index, y: probability)."""
        return QRectF(i - self.WIDTH / 2, 0.0, self.WIDTH, self.heights[i])

    def boundingRect(self) -> QRectF:
        return self._rect

    def _laid_out(self, text: str) -> tuple[QStaticText, float]:
        found = self._static.get(text)
        if found is None:
            if len(self._static) > 4000:
                self._static.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.PlainText)
            static.prepare(font=self.font)
            found = self._static[text] = (static, static.size().width() / 2)
        return found

    def paint(self, painter, *args) -> None:
        t = painter.transform()          # data -> device: a scale and a shift (no rotation)
        sx, sy, dx, dy = t.m11(), t.m22(), t.dx(), t.dy()
        self._device = (sx, sy, dy)      # what is on screen, for set_bars to compare against
        for i, height in enumerate(self.heights):
            if height > 0:
                painter.fillRect(self.bar_rect(i), self._brushes[i == self.highlight])
        if not any(self.texts):
            return
        y_off = dy + sy * LABEL_GAP - TEXT_MARGIN_PX - self._line
        painter.save()
        painter.resetTransform()
        painter.setFont(self.font)
        for highlighted in (False, True):          # one pen change per colour
            painter.setPen(self._pens[highlighted])
            for i, text in enumerate(self.texts):
                if not text or (i == self.highlight) != highlighted:
                    continue
                static, half = self._laid_out(text)
                painter.drawStaticText(QPointF(round(sx * i + dx - half),
                                               round(sy * self.heights[i] + y_off)), static)
        painter.restore()


class ProbabilityBars(pg.PlotWidget):
    def __init__(self, parent=None, classes: list[str] | None = None, title: str | None = None):
        super().__init__(parent)
        self.classes = list(classes or [str(d) for d in range(10)])
        n = len(self.classes)
        self._probs = np.zeros(n, np.float32)
        self._top = -1
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        if title:
            plot.setTitle(title)
        plot.setYRange(0, Y_TOP, padding=0)
        plot.setXRange(-0.6, n - 0.4, padding=0)
        plot.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        plot.getAxis("left").setLabel("probability")
        # no grid lines: redrawing them on every update cost about 1 ms of the per-stroke budget
        self._bottom = plot.getAxis("bottom")
        self._set_ticks()
        font = QFont()
        font.setPointSizeF(8.5)
        self.chart = BarChart(n, font)
        plot.addItem(self.chart)
        self.setMinimumHeight(150)
        self.setAntialiasing(False)   # axis-aligned bars need none; the text stays smooth
        cache_axes(plot)              # the axes stay still while the bars move
        # a white fill is cheaper than pyqtgraph's cached background pixmap for the bar area,
        # and it covers what is repainted: Qt need not clear the viewport first
        self.setCacheMode(QGraphicsView.CacheNone)
        self.viewport().setAttribute(Qt.WA_OpaquePaintEvent)
        # the plot item and the frameless view box paint nothing themselves: saying so spares
        # Qt a call into Python for each on every repaint
        plot.setFlag(QGraphicsItem.ItemHasNoContents)
        box = plot.getViewBox()
        box.border = None
        box.borderRect.hide()
        box.setFlag(QGraphicsItem.ItemHasNoContents)

    def paintEvent(self, event) -> None:
        paint_view(self, event, (self.getPlotItem().getViewBox(),))

    def _set_ticks(self) -> None:
        self._bottom.setTicks([[(i, c) for i, c in enumerate(self.classes)]])

    def set_classes(self, classes: list[str]) -> None:
        """Relabel the bars (the count must stay the same)."""
        if len(classes) != len(self.classes):
            raise ValueError("ProbabilityBars keeps its number of classes")
        self.classes = list(classes)
        self._set_ticks()

    def set_probabilities(self, probs: np.ndarray | None) -> None:
        """Show `probs` (num_classes,), or empty bars for None."""
        n = len(self.classes)
        if probs is None:
            probs = np.zeros(n, np.float32)
            top = -1
        else:
            probs = np.asarray(probs, dtype=np.float32).reshape(-1)
            if probs.shape[0] != n:
                raise ValueError(f"expected {n} probabilities, got {probs.shape[0]}")
            top = int(probs.argmax())
        self._probs = probs.copy()
        values = self._probs.tolist()
        texts = ["" if top < 0 else (f"{p:.0%}" if p >= 0.995 or p < 0.01 else f"{p:.1%}")
                 for p in values]
        self.chart.set_bars(values, texts, top)
        self._top = top

    def probabilities(self) -> np.ndarray:
        return self._probs.copy()

    def top_class(self) -> int:
        """Index of the highlighted bar (-1 when nothing is shown)."""
        return self._top

    def label_texts(self) -> list[str]:
        return list(self.chart.texts)
