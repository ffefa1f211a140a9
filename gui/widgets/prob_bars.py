"""`ProbabilityBars`: a model's class probabilities as bars, the top class highlighted.

One `pg.BarGraphItem` made once (an update is one `setOpts` with the new heights; the brushes,
made once, are passed only when the top class changes) and a `pg.TextItem` above each bar
with its percentage, re-set only when its text changes.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor

from gui import style
from gui.widgets.pixel_image import crisp_pixels
from gui.widgets.plot_cache import cache_axes

BAR = QColor(150, 165, 190)
TOP = QColor(230, 120, 30)
LABEL = QColor(60, 60, 60)
Y_TOP = 1.18          # the y range's top: room above a 100 % bar for its label
LABEL_GAP = 0.02      # a label's bottom sits this far (in probability) above its bar
WIDTH = 0.7           # a bar's width, in class units


def percent(p: float) -> str:
    """A probability as the bars label it: whole percents near 0 and 1, else one decimal."""
    return f"{p:.0%}" if p >= 0.995 or p < 0.01 else f"{p:.1%}"


class ProbabilityBars(pg.PlotWidget):
    def __init__(self, parent=None, classes: list[str] | None = None, title: str | None = None):
        super().__init__(parent, enableMenu=False)
        self.classes = list(classes or [str(d) for d in range(10)])
        n = len(self.classes)
        self._probs = np.zeros(n, np.float32)
        self._top = -1
        self._bar_brush, self._top_brush = QBrush(BAR), QBrush(TOP)
        plot = self.getPlotItem()
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        if title:
            plot.setTitle(title)
        plot.setYRange(0, Y_TOP, padding=0)
        plot.setXRange(-0.6, n - 0.4, padding=0)
        plot.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        plot.getAxis("left").setLabel("probability")
        self._set_ticks()
        self.chart = pg.BarGraphItem(x=np.arange(n), height=np.zeros(n), width=WIDTH,
                                     brushes=self._brushes(-1), pen=None)
        plot.addItem(self.chart)
        self.labels: list[pg.TextItem] = []
        for i in range(n):
            label = pg.TextItem("", color=LABEL, anchor=(0.5, 1.0))
            label.setFont(style.font("small"))
            label.setPos(i, LABEL_GAP)
            plot.addItem(label)
            self.labels.append(label)
        self.setMinimumHeight(150)
        cache_axes(plot)              # the axes stay still while the bars move
        crisp_pixels(self)            # axis-aligned bars need no antialiasing

    def _brushes(self, top: int) -> list[QBrush]:
        return [self._top_brush if i == top else self._bar_brush for i in range(len(self.classes))]

    def _set_ticks(self) -> None:
        self.getPlotItem().getAxis("bottom").setTicks([list(enumerate(self.classes))])

    def set_classes(self, classes: list[str]) -> None:
        """Relabel the bars (the count must stay the same)."""
        if len(classes) != len(self.classes):
            raise ValueError("ProbabilityBars keeps its number of classes")
        self.classes = list(classes)
        self._set_ticks()

    def set_probabilities(self, probs: np.ndarray | None) -> None:
        """Show `probs` (num_classes,), or empty bars for None. A NaN or infinite value (a
        broken model) is labelled as such and drawn as no bar."""
        n = len(self.classes)
        if probs is None:
            probs, top = np.zeros(n, np.float32), -1
        else:
            probs = np.asarray(probs, dtype=np.float32).reshape(-1)
            if probs.shape[0] != n:
                raise ValueError(f"expected {n} probabilities, got {probs.shape[0]}")
            top = int(probs.argmax())
        heights = np.where(np.isfinite(probs), probs, 0.0)
        if top != self._top:                 # the colours change only with the top class
            self.chart.setOpts(height=heights, brushes=self._brushes(top))
        else:
            self.chart.setOpts(height=heights)
        self._probs, self._top = probs.copy(), top
        for i, (label, p, h) in enumerate(zip(self.labels, probs.tolist(), heights.tolist())):
            text = "" if top < 0 else percent(p)
            if label.toPlainText() != text:
                label.setText(text)
            y = h + LABEL_GAP
            if not math.isclose(label.pos().y(), y, abs_tol=1e-4):
                label.setPos(i, y)

    def probabilities(self) -> np.ndarray:
        return self._probs.copy()

    def top_class(self) -> int:
        """Index of the highlighted bar (-1 when nothing is shown)."""
        return self._top

    def label_texts(self) -> list[str]:
        return [label.toPlainText() for label in self.labels]
