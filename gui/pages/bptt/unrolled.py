"""`UnrolledGradientView`: the unrolled network h₁ → … → h_T → L of each cell, drawn as boxes,
with the gradient's way back drawn as arrows L → h_T → … → h₁ whose width follows ‖∂L/∂hₜ‖.

One row per cell. Long sequences show as many of the T states as fit (at most `MAX_BOXES`), evenly spread (the
first and the last always): the arrow that points into the box of hₜ is as wide as the
gradient that reached hₜ. Widths follow log₁₀‖∂L/∂hₜ‖ linearly from a hairline at 10⁻¹² to
`MAX_WIDTH` px at 10¹; a gradient that overflowed (inf / NaN) is a dashed thick arrow. It
paints with QPainter from the numbers it was given; text sizes follow the presenter scale.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui import style
from gui.pages.bptt.plots import CELL_COLORS

MAX_BOXES = 12
LOG_LO, LOG_HI = -12.0, 1.0       # log10 norms drawn as the thinnest / thickest arrow
MIN_WIDTH, MAX_WIDTH = 0.6, 12.0  # px
MIN_ARROW = 30                    # px of arrow between two boxes, at least
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def arrow_width(norm: float) -> float:
    """Pen width (px) of an arrow carrying a gradient of norm `norm`; inf / NaN -> MAX_WIDTH."""
    if not math.isfinite(norm):
        return MAX_WIDTH
    if norm <= 0:
        return MIN_WIDTH
    share = (math.log10(norm) - LOG_LO) / (LOG_HI - LOG_LO)
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * min(max(share, 0.0), 1.0)


def shown_steps(seq_len: int, most: int = MAX_BOXES) -> list[int]:
    """The 1-based steps t that get a box: all of them up to `most`, else evenly spread."""
    if seq_len <= most:
        return list(range(1, seq_len + 1))
    return sorted({int(round(v)) for v in np.linspace(1, seq_len, most)})


class UnrolledGradientView(QWidget):
    def __init__(self, cells=("rnn", "lstm", "gru"), parent=None):
        super().__init__(parent)
        self.cells = tuple(cells)
        self._norms: dict[str, np.ndarray] = {}
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("The network unrolled through time, one row per cell: boxes are the "
                        "hidden states hₜ, the loss L is read from h_T. Arrows run backwards "
                        "(backpropagation through time); each is as wide as log ‖∂L/∂hₜ‖ "
                        "reaching the box it points to: a hairline is 10⁻¹² or less")
        style.presenter().scaleChanged.connect(self._rescaled)

    def _rescaled(self, _factor: float) -> None:
        self.updateGeometry()
        self.update()

    # -- data -------------------------------------------------------------------------------------
    def set_norms(self, norms: dict[str, np.ndarray]) -> None:
        self._norms = {cell: np.asarray(v, dtype=np.float64).copy() for cell, v in norms.items()}
        self.update()

    def steps(self) -> list[int]:
        """The steps t drawn as boxes: as many as fit the width (at most MAX_BOXES)."""
        lengths = [len(v) for v in self._norms.values()]
        if not lengths:
            return []
        metrics = QFontMetrics(style.font("small"))
        label_w, box_w = self._label_width(metrics), self._box_width(metrics, max(lengths))
        fit = int((self.width() - label_w - 4) // (box_w + MIN_ARROW)) - 1   # one slot for L
        return shown_steps(max(lengths), max(2, min(MAX_BOXES, fit)))

    def arrow_widths(self, cell: str) -> list[float]:
        """Widths of `cell`'s arrows, one per box in `steps()` order (the arrow into hₜ)."""
        norms = self._norms.get(cell, np.zeros(0))
        return [arrow_width(float(norms[t - 1])) for t in self.steps()]

    # -- size ----------------------------------------------------------------------------------
    def _row_height(self) -> int:
        return style.px("small") * 2 + 6

    def sizeHint(self) -> QSize:
        return QSize(600, self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(300, self._row_height() * len(self.cells) + 6)

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setFont(style.font("small"))
        steps = self.steps()
        if steps:
            row_h = self._row_height()
            for row, cell in enumerate(self.cells):
                self._paint_row(painter, cell, steps, 3 + row * row_h, row_h)
        painter.end()

    def _paint_row(self, painter: QPainter, cell: str, steps: list[int], top: float,
                   height: float) -> None:
        color = QColor(CELL_COLORS[cell])
        metrics = painter.fontMetrics()
        label_w, box_w = self._label_width(metrics), self._box_width(metrics, steps[-1])
        box_h = metrics.height() + 6
        y = top + (height - box_h) / 2
        painter.setPen(color)
        painter.drawText(QRectF(0, top, label_w, height), Qt.AlignVCenter | Qt.AlignLeft,
                         LABELS.get(cell, cell))
        slots = len(steps) + 1                                    # the boxes and L
        slot = (self.width() - label_w - 4) / slots
        lefts = [label_w + i * slot for i in range(slots)]
        norms = self._norms.get(cell, np.zeros(0))
        for i, t in enumerate(steps):                             # the arrow into h_t
            a = QPointF(lefts[i + 1], y + box_h / 2)              # from the next box (or L)
            b = QPointF(lefts[i] + box_w, y + box_h / 2)
            self._arrow(painter, a, b, float(norms[t - 1]) if t <= len(norms) else 0.0, color)
            gap = i + 1 < len(steps) and steps[i + 1] != t + 1
            self._box(painter, QRectF(lefts[i], y, box_w, box_h), f"h{t}".translate(SUBSCRIPTS),
                      color)
            if gap:                                               # steps left out between
                painter.setPen(color)
                painter.drawText(QRectF(b.x(), y - box_h / 2 - 2, a.x() - b.x(), box_h / 2 + 4),
                                 Qt.AlignCenter, "…")
        self._box(painter, QRectF(lefts[-1], y, box_w, box_h), "L", QColor("#d62728"))

    @staticmethod
    def _label_width(metrics: QFontMetrics) -> int:
        return metrics.horizontalAdvance("LSTM") + 10

    @staticmethod
    def _box_width(metrics: QFontMetrics, last_step: int) -> int:
        return max(metrics.horizontalAdvance(f"h{last_step}".translate(SUBSCRIPTS)) + 10, 26)

    @staticmethod
    def _box(painter: QPainter, rect: QRectF, text: str, color: QColor) -> None:
        painter.setPen(QPen(color, 1.5))
        painter.setBrush(QBrush(QColor("white")))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor("black"))
        painter.drawText(rect, Qt.AlignCenter, text)

    @staticmethod
    def _arrow(painter: QPainter, a: QPointF, b: QPointF, norm: float, color: QColor) -> None:
        """From a to b (right to left), width from the norm it carries."""
        width = arrow_width(norm)
        pen = QPen(color, width)
        pen.setCapStyle(Qt.FlatCap)
        if not math.isfinite(norm):
            pen.setStyle(Qt.DashLine)
        head = max(6.0, width + 4)
        tip_base = QPointF(b.x() + head, b.y())
        painter.setPen(pen)
        painter.drawLine(a, tip_base)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QBrush(color))
        half = max(3.5, width / 2 + 2.5)
        painter.drawPolygon(QPolygonF([b, QPointF(tip_base.x(), b.y() - half),
                                       QPointF(tip_base.x(), b.y() + half)]))
