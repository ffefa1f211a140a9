"""`ProbabilityBars`: a model's class probabilities as bars, the top class highlighted.

One BarGraphItem and one text label per class, made once; an update only calls `setOpts` and
`setText`/`setPos`, so it can run on every stroke of a drawing.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

BAR = QColor(150, 165, 190)
TOP = QColor(230, 120, 30)
LABEL = QColor(60, 60, 60)


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
        plot.setYRange(0, 1.15, padding=0)
        plot.setXRange(-0.6, n - 0.4, padding=0)
        plot.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        plot.getAxis("left").setLabel("probability")
        # no grid lines: redrawing them on every update cost about 1 ms of the per-stroke budget
        self._bottom = plot.getAxis("bottom")
        self._set_ticks()
        self.bars = pg.BarGraphItem(x=np.arange(n), height=self._probs, width=0.7,
                                    brushes=[pg.mkBrush(BAR)] * n, pen=pg.mkPen(None))
        plot.addItem(self.bars)
        font = QFont()
        font.setPointSizeF(8.5)
        self._labels: list[pg.TextItem] = []
        self._texts = [""] * n
        for i in range(n):
            label = pg.TextItem("", anchor=(0.5, 1.0), color=LABEL)
            label.setFont(font)
            label.setPos(i, 0.0)
            plot.addItem(label)
            self._labels.append(label)
        self._brush = pg.mkBrush(BAR)
        self._top_brush = pg.mkBrush(TOP)
        self.setMinimumHeight(150)
        self.setAntialiasing(False)   # axis-aligned bars need none; the text stays smooth

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
        brushes = [self._brush] * n
        if top >= 0:
            brushes[top] = self._top_brush
        self.bars.setOpts(height=self._probs, brushes=brushes)
        for i, (label, p) in enumerate(zip(self._labels, self._probs)):
            text = "" if top < 0 else (f"{p:.0%}" if p >= 0.995 or p < 0.01 else f"{p:.1%}")
            # text items re-lay themselves out on every call: touch only what changed
            if text != self._texts[i]:
                label.setText(text)
                self._texts[i] = text
            if (i == top) != (i == self._top) or text:
                label.setPos(i, float(p) + 0.02)
            if (i == top) != (i == self._top):
                label.setColor(TOP if i == top else LABEL)
        self._top = top

    def probabilities(self) -> np.ndarray:
        return self._probs.copy()

    def top_class(self) -> int:
        """Index of the highlighted bar (-1 when nothing is shown)."""
        return self._top

    def label_texts(self) -> list[str]:
        return [label.textItem.toPlainText() for label in self._labels]
