"""`EmbeddingScatter`: 2-D word vectors as coloured, labelled points that move while training."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from engine.embeddings import GROUPS, word_group

GROUP_COLORS = {
    "positive": (220, 80, 40), "negative": (40, 100, 220), "negation / contrast": (150, 40, 170),
    "intensifier": (30, 150, 60), "other": (130, 130, 130),
}


class EmbeddingScatter(pg.PlotWidget):
    """2-D word vectors as coloured points with their words; items made once, then moved."""

    def __init__(self, parent=None):
        super().__init__(parent, enableMenu=False)
        self.setLabel("bottom", "embedding dim 0")
        self.setLabel("left", "embedding dim 1")
        for side in ("bottom", "left"):
            self.getAxis(side).enableAutoSIPrefix(False)  # raw vector values, never "x0.001"
        self.showGrid(x=True, y=True, alpha=0.2)
        self.getViewBox().setDefaultPadding(0.1)  # room for the labels of the outermost words
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=0.5))
        self.addItem(self.points)
        legend = self.addLegend(offset=(8, 8))
        for group in GROUPS:
            legend.addItem(pg.ScatterPlotItem(brush=pg.mkBrush(GROUP_COLORS[group]), size=9), group)
        self._pool: list[pg.TextItem] = []      # every label made so far
        self.labels: list[pg.TextItem] = []     # the current words' labels
        self.words: list[str] = []
        self._brushes = []

    def set_words(self, words: list[str]) -> None:
        """One label per word. Labels are reused (set to the new word) and the extra ones
        hidden (never destroyed: see gui/__init__.py)."""
        self.words = list(words)
        self._brushes = [pg.mkBrush(GROUP_COLORS[word_group(w)]) for w in words]
        while len(self._pool) < len(words):
            label = pg.TextItem("", anchor=(0, 1))
            self.addItem(label)
            self._pool.append(label)
        for label, w in zip(self._pool, words):
            label.setText(w, color=GROUP_COLORS[word_group(w)])
            label.show()
        for label in self._pool[len(words):]:
            label.hide()
        self.labels = self._pool[:len(words)]

    def set_points(self, points: np.ndarray) -> None:
        """(len(words), 2) positions; <pad> is left out (it stays at zero and means nothing)."""
        keep = [k for k, w in enumerate(self.words) if w != "<pad>"]
        self.points.setData(points[keep, 0], points[keep, 1], brush=[self._brushes[k] for k in keep])
        xs = points[keep, 0]
        # words in the right quarter are written to the left of their point, so the plot's edge
        # does not cut them off
        flip_from = xs.min() + 0.75 * (xs.max() - xs.min()) if len(keep) else 0.0
        for k, label in enumerate(self.labels):
            label.setVisible(k in keep)
            x, y = float(points[k, 0]), float(points[k, 1])
            anchor = (1, 1) if x > flip_from else (0, 1)
            if tuple(label.anchor) != anchor:
                label.setAnchor(anchor)
            label.setPos(x, y)
