"""`UnrolledRnnView`: an RNN unrolled through time, one box per step, the weights drawn as shared.

Each step t has x_t below (the token), the cell in the middle (showing h_t[unit] once computed,
coloured by its value), h_t above, and an arrow h_{t-1} -> h_t into the next cell. A bracket
under all cells says W_x, W_h and b are the same at every step. The scene items are made once per
sequence (`set_sequence`); stepping only recolours them (`set_step`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

BOX_W, BOX_H, GAP = 74.0, 46.0, 34.0
CELL_Y, X_Y, H_Y = 70.0, 160.0, 0.0
CURRENT_PEN = QColor("#ff8c00")
DONE_PEN = QColor("#3a5fa8")
FUTURE_PEN = QColor("#b8b8b8")


def value_color(v: float) -> QColor:
    """Blue for -1, white for 0, red for +1 (the diverging map of the heatmaps)."""
    v = float(np.clip(v, -1, 1))
    if v >= 0:
        return QColor(255, int(255 * (1 - v) + 70 * v), int(255 * (1 - v) + 60 * v))
    v = -v
    return QColor(int(255 * (1 - v) + 60 * v), int(255 * (1 - v) + 100 * v), 255)


def _arrow(scene: QGraphicsScene, a: QPointF, b: QPointF, pen: QPen):
    path = QPainterPath(a)
    path.lineTo(b)
    line = scene.addPath(path, pen)
    d = b - a
    length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-6)
    ux, uy = d.x() / length, d.y() / length
    head = QPolygonF([b, QPointF(b.x() - 9 * ux + 5 * uy, b.y() - 9 * uy - 5 * ux),
                      QPointF(b.x() - 9 * ux - 5 * uy, b.y() - 9 * uy + 5 * ux)])
    tip = scene.addPolygon(head, pen, QBrush(pen.color()))
    return line, tip


class UnrolledRnnView(QGraphicsView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.Antialiasing)
        self.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.setMinimumHeight(290)  # the whole scene (about 250 px) plus a horizontal scroll bar
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._cells, self._values, self._x_boxes, self._h_labels, self._links = [], [], [], [], []
        self._current = -1
        self._unit = 0

    # -- building ------------------------------------------------------------------------------
    def set_sequence(self, tokens: list[str], unit: int = 0) -> None:
        """Rebuild the scene for a new sequence (the only place items are created)."""
        scene = self.scene()
        scene.clear()
        self._cells, self._values, self._x_boxes, self._h_labels, self._links = [], [], [], [], []
        self._unit = unit
        font = QFont()
        font.setPointSizeF(10.5)
        small = QFont(font)
        small.setPointSizeF(9)
        pen = QPen(FUTURE_PEN, 2)
        x0 = 90.0
        h0 = scene.addText("h₀ = 0", font)
        h0.setPos(4, CELL_Y + BOX_H / 2 - 14)
        for t, tok in enumerate(tokens):
            left = x0 + t * (BOX_W + GAP)
            cell = scene.addRect(QRectF(left, CELL_Y, BOX_W, BOX_H), pen, QBrush(Qt.white))
            value = scene.addText("", font)
            value.setPos(left + 4, CELL_Y + 10)
            xbox = scene.addRect(QRectF(left + 8, X_Y, BOX_W - 16, 30), QPen(FUTURE_PEN, 1.5),
                                 QBrush(QColor("#f4f4f4")))
            shown = tok if tok.strip() else "␣"
            xtext = scene.addText(shown[:8], font)
            xtext.setPos(left + BOX_W / 2 - xtext.boundingRect().width() / 2, X_Y + 2)
            xsub = scene.addText(f"x{_sub(t + 1)}", small)
            xsub.setPos(left + BOX_W / 2 - xsub.boundingRect().width() / 2, X_Y + 32)
            hlabel = scene.addText(f"h{_sub(t + 1)}", font)
            hlabel.setPos(left + BOX_W / 2 - hlabel.boundingRect().width() / 2, H_Y)
            up_in = _arrow(scene, QPointF(left + BOX_W / 2, X_Y), QPointF(left + BOX_W / 2, CELL_Y + BOX_H), pen)
            up_out = _arrow(scene, QPointF(left + BOX_W / 2, CELL_Y), QPointF(left + BOX_W / 2, H_Y + 26), pen)
            start = QPointF(left - GAP if t else 64.0, CELL_Y + BOX_H / 2)
            side = _arrow(scene, start, QPointF(left, CELL_Y + BOX_H / 2), pen)
            self._cells.append(cell)
            self._values.append(value)
            self._x_boxes.append(xbox)
            self._h_labels.append(hlabel)
            self._links.append([*up_in, *up_out, *side])
        if tokens:
            right = x0 + len(tokens) * (BOX_W + GAP) - GAP
            brace_y = X_Y + 58
            brace = QPen(QColor("#555555"), 1.5, Qt.DashLine)
            scene.addLine(x0, brace_y, right, brace_y, brace)
            scene.addLine(x0, brace_y - 6, x0, brace_y, brace)
            scene.addLine(right, brace_y - 6, right, brace_y, brace)
            shared = scene.addText("the same W_x, W_h and b at every step (shared weights)", font)
            shared.setDefaultTextColor(QColor("#333333"))
            shared.setPos(x0 + 4, brace_y + 2)
        self.setSceneRect(scene.itemsBoundingRect().adjusted(-6, -6, 6, 6))
        self._current = -1

    # -- stepping ------------------------------------------------------------------------------
    def set_step(self, t: int, values: np.ndarray | None = None, unit: int | None = None) -> None:
        """Highlight step t; `values` (T,) are h_t[unit] for every step (shown up to t)."""
        if unit is not None:
            self._unit = unit
        self._current = t
        for k, cell in enumerate(self._cells):
            state = "current" if k == t else "done" if k < t else "future"
            colour = {"current": CURRENT_PEN, "done": DONE_PEN, "future": FUTURE_PEN}[state]
            width = 4 if state == "current" else 2
            cell.setPen(QPen(colour, width))
            for item in self._links[k]:
                item.setPen(QPen(colour, 2))
                if hasattr(item, "setBrush") and item.brush().style() != Qt.NoBrush:
                    item.setBrush(QBrush(colour))
            self._x_boxes[k].setPen(QPen(colour, 2 if state == "current" else 1.5))
            if values is not None and k <= t:
                v = float(values[k])
                cell.setBrush(QBrush(value_color(v)))
                self._values[k].setPlainText(f"h[{self._unit}]\n{v:+.2f}")
            else:
                cell.setBrush(QBrush(Qt.white))
                self._values[k].setPlainText("")
        if 0 <= t < len(self._cells):
            self.ensureVisible(self._cells[t], 60, 10)

    def current(self) -> int:
        return self._current

    def cell_text(self, t: int) -> str:
        return self._values[t].toPlainText()

    def step_count(self) -> int:
        return len(self._cells)


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
