"""`ProbabilityBars`: a model's class probabilities as bars, the top class highlighted.

One single-coloured BarGraphItem for all the bars, a second one for the top class drawn over its
bar, and ONE graphics item that paints all the value labels, all made once; an update only calls
`setOpts` and hands the label item its texts, so it can run on every stroke of a drawing (ten
pyqtgraph TextItems re-laid out their text documents on every change: ~1 ms a stroke; bars of
several colours are recorded into and replayed from a QPicture each time). The axes never change
and are cached as pixmaps.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from gui.widgets.plot_cache import cache_axes

BAR = QColor(150, 165, 190)
TOP = QColor(230, 120, 30)
LABEL = QColor(60, 60, 60)
Y_TOP = 1.15          # the y range's top: room above a 100 % bar for its label
LABEL_GAP = 0.02      # a label's bottom sits this far (in probability) above its bar
TEXT_MARGIN_PX = 4    # and this many pixels higher (where a TextItem's text sat)


class ValueLabels(pg.GraphicsObject):
    """The value above each bar, all painted in one call in device pixels (text stays crisp and
    the same size however the plot is scaled)."""

    def __init__(self, count: int, font: QFont):
        super().__init__()
        self.font = font
        self._line = QFontMetricsF(font).height()
        self.texts = [""] * count
        self.tops = [0.0] * count                   # bar heights, in data units
        self.highlight = -1
        self._rect = QRectF(-0.5, 0.0, count, Y_TOP)
        self._pens = {False: QPen(LABEL), True: QPen(TOP)}
        # laid-out texts and their half widths, by text ("12.5%", ...)
        self._static: dict[str, tuple[QStaticText, float]] = {}

    def set_labels(self, texts: list[str], tops: list[float], highlight: int) -> None:
        self.texts, self.tops, self.highlight = list(texts), list(tops), highlight
        self.update()

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
        if not any(self.texts):
            return
        t = painter.transform()          # data -> device: a scale and a shift (no rotation)
        sx, sy, dx, dy = t.m11(), t.m22(), t.dx(), t.dy()
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
                                               round(sy * self.tops[i] + y_off)), static)
        painter.restore()


class _Bars(pg.BarGraphItem):
    """Bars whose bounding rect is fixed to where probabilities can reach ([0, 1] high): the
    stock one asks for the pixel size (a device transform) on each of several calls a paint."""

    def __init__(self, count: int, **opts):
        self._rect = QRectF(-0.5, 0.0, count, 1.0)
        super().__init__(**opts)

    def boundingRect(self) -> QRectF:
        return self._rect


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
        self.bars = _Bars(n, x=np.arange(n), height=self._probs, width=0.7,
                          brush=pg.mkBrush(BAR), pen=pg.mkPen(None))
        plot.addItem(self.bars)
        # the highlighted class: the same bar again, over the plain one
        self.top_bar = _Bars(n, x=np.zeros(1), height=np.zeros(1), width=0.7,
                             brush=pg.mkBrush(TOP), pen=pg.mkPen(None))
        self.top_bar.setZValue(1)
        self.top_bar.hide()
        plot.addItem(self.top_bar)
        font = QFont()
        font.setPointSizeF(8.5)
        self.labels = ValueLabels(n, font)
        plot.addItem(self.labels)
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
        self.bars.setOpts(height=self._probs)
        if top >= 0:
            self.top_bar.setOpts(x=np.array([top], np.float64), height=self._probs[top:top + 1])
        self.top_bar.setVisible(top >= 0)
        values = self._probs.tolist()
        texts = ["" if top < 0 else (f"{p:.0%}" if p >= 0.995 or p < 0.01 else f"{p:.1%}")
                 for p in values]
        self.labels.set_labels(texts, values, top)
        self._top = top

    def probabilities(self) -> np.ndarray:
        return self._probs.copy()

    def top_class(self) -> int:
        """Index of the highlighted bar (-1 when nothing is shown)."""
        return self._top

    def label_texts(self) -> list[str]:
        return list(self.labels.texts)
