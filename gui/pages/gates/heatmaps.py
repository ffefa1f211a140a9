"""`GateHeatmapGrid`: every gate (or state) of a recurrent layer over a sentence, units × tokens.

Rows are hidden units, columns are tokens (their words, numbered from 1, as x-axis labels),
each map with a colour bar giving its scale. Columns not yet reached by the step player stay
blank, so the maps fill in as you step: the image is set once per sentence, and a step only
moves a `ColumnCover`. The current token's column and the selected unit's row are outlined;
hovering a cell tells its value, clicking a row selects that unit (`unitClicked`).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from gui import style
from gui.widgets.colour_bar import ColourBar

BLANK = QColor(236, 236, 236)      # not yet computed
CURRENT_COLOR = "#ff8c00"          # outline of the current token's column


def _pen(color: str, width: float) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    return pen


class ColumnCover(pg.GraphicsObject):
    """Blanks the token columns not reached yet and outlines the current one (the last shown);
    a step repaints only the two columns that changed."""

    def __init__(self):
        super().__init__()
        self.units, self.tokens, self.count = 0, 0, 0
        self._pen = _pen(CURRENT_COLOR, 2.5)

    def set_shape(self, units: int, tokens: int, count: int) -> None:
        self.prepareGeometryChange()
        self.units, self.tokens, self.count = units, tokens, count
        self.update()

    def set_count(self, count: int) -> None:
        old, self.count = self.count, count
        if old != count:
            margin = 4 * max(self.pixelWidth(), 1e-6)    # the outline's width, in columns
            left, right = min(old, count) - 1, max(old, count)
            self.update(QRectF(left - margin, -1, right - left + 2 * margin, self.units + 2))

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, self.tokens + 2, self.units + 2)  # room for the outline

    def paint(self, painter, *args) -> None:
        units, tokens, count = self.units, self.tokens, self.count
        if count < tokens:
            painter.fillRect(QRectF(count, 0, tokens - count, units), BLANK)
        if 0 < count <= tokens:
            painter.setPen(self._pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(QRectF(count - 1, 0, 1, units))


class TokenAxis(pg.AxisItem):
    """A bottom axis of words that drops a label where it would overlap the one before it
    (pyqtgraph draws them all, on top of each other, when columns are narrow)."""

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        kept, right = [], -1e9
        for rect, flags, text in sorted(texts, key=lambda s: s[0].left()):
            if rect.left() >= right + 3:
                kept.append((rect, flags, text))
                right = rect.right()
        return axis, ticks, kept


class GateHeatmap(pg.PlotItem):
    """One (units, tokens) array in a plot, with a colour bar beside it."""

    def __init__(self, name: str, title: str, colormap: str, levels=(0.0, 1.0)):
        super().__init__(title=title, axisItems={"bottom": TokenAxis("bottom")}, enableMenu=False)
        self.name = name
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.invertY(True)
        self.getAxis("left").setLabel("unit")
        for axis in ("left", "bottom"):   # they change once per sentence: paint from a pixmap
            self.getAxis(axis).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.image = pg.ImageItem(axisOrder="row-major")
        # set once per sentence; a step repaints the columns around it: blit them from a pixmap
        self.image.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.addItem(self.image)
        self.colorbar = ColourBar(pg.colormap.get(colormap), tuple(levels), width=10)
        self.colorbar.attach(self.image, insert_in=self)
        self.levels = tuple(levels)
        self.values = np.zeros((0, 0), np.float32)   # (units, tokens) of the whole sentence
        self.filled = 0                              # columns shown so far
        self.cover = ColumnCover()
        self.cover.setZValue(5)
        self.addItem(self.cover)
        self.row_box = QGraphicsRectItem()
        self.row_box.setPen(_pen("#d00000", 1.5))
        self.row_box.setZValue(6)
        self.addItem(self.row_box)
        self.tokens: list[str] = []
        self.unit = 0

    def set_values(self, values: np.ndarray, tokens: list[str], levels=None) -> None:
        """A new sentence: values (units, tokens); levels None keeps the fixed ones."""
        self.values = np.ascontiguousarray(values, np.float32)
        if levels is not None:
            self.levels = (float(levels[0]), float(levels[1]))
        self.image.setImage(self.values, autoLevels=False)
        self.colorbar.set_levels(self.levels)
        if tokens != self.tokens or self.cover.units != self.values.shape[0]:
            self.tokens = list(tokens)
            units, T = self.values.shape
            self.getAxis("bottom").setTicks(
                [[(t + 0.5, f"{t + 1} {w}") for t, w in enumerate(self.tokens)], []])
            step = max(1, units // 6)
            self.getAxis("left").setTicks([[(u + 0.5, str(u)) for u in range(0, units, step)], []])
            self.setRange(QRectF(0, 0, max(T, 1), units), padding=0)
        self.filled = self.values.shape[1]
        self.cover.set_shape(*self.values.shape, self.filled)
        self._place_row_box()

    def set_filled(self, count: int) -> None:
        """Show the first `count` token columns; the rest stay blank."""
        self.filled = count
        self.cover.set_count(count)

    def set_unit(self, unit: int) -> None:
        self.unit = unit
        self._place_row_box()

    def _place_row_box(self) -> None:
        units, T = self.values.shape if self.values.size else (0, 0)
        if 0 <= self.unit < units:
            self.row_box.setRect(QRectF(0, self.unit, T, 1))
            self.row_box.show()
        else:
            self.row_box.hide()

    def cell_at(self, pos) -> tuple[int, int] | None:
        """(unit, token) under a scene position, or None."""
        p = self.vb.mapSceneToView(pos)
        u, t = int(np.floor(p.y())), int(np.floor(p.x()))
        units, T = self.values.shape if self.values.size else (0, 0)
        return (u, t) if 0 <= u < units and 0 <= t < T else None


class GateHeatmapGrid(pg.GraphicsLayoutWidget):
    """Several `GateHeatmap`s in a grid; `unitClicked(unit)` when a row is clicked."""

    unitClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setSpacing(4)
        self.maps: dict[str, GateHeatmap] = {}
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)
        # a larger presenter scale widens the axes and titles: the grid asks for the room its
        # maps need (the page scrolls sideways) instead of cutting off the last column
        style.presenter().scaleChanged.connect(self._on_scale_changed)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        need = math.ceil(self.ci.effectiveSizeHint(Qt.MinimumSize).width()) + 4
        return QSize(max(hint.width(), need), hint.height())

    def _on_scale_changed(self, _factor: float) -> None:
        if self.isVisible():          # (a hidden grid asks again when it is shown)
            self.updateGeometry()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.updateGeometry()

    def set_layout(self, specs: list[tuple[str, str, str, tuple]], columns: int) -> None:
        """Rebuild for specs [(name, title, colormap, levels)] (when the cell type changes)."""
        self.clear()
        self.maps = {}
        for k, (name, title, cmap, levels) in enumerate(specs):
            if k and k % columns == 0:
                self.nextRow()
            self.maps[name] = GateHeatmap(name, title, cmap, levels)
            if k % columns:         # one unit axis a row: the maps beside share its rows
                self.maps[name].hideAxis("left")
            self.addItem(self.maps[name])
        style.polish(self)
        self.updateGeometry()

    def _map_at(self, pos):
        for item in self.maps.values():
            if item.sceneBoundingRect().contains(pos):
                cell = item.cell_at(pos)
                if cell is not None:
                    return item, cell
        return None, None

    def _on_click(self, event) -> None:
        _item, cell = self._map_at(event.scenePos())
        if cell is not None:
            self.unitClicked.emit(cell[0])

    def _on_move(self, pos) -> None:
        item, cell = self._map_at(pos)
        if cell is None:
            self.setToolTip("")
            return
        u, t = cell
        word = item.tokens[t] if t < len(item.tokens) else "?"
        self.setToolTip(f"{item.name}  unit {u}, token {t + 1} '{word}': {item.values[u, t]:+.3f}"
                        if t < item.filled else f"unit {u}, token {t + 1}: not reached yet")


# name -> (title, colormap, levels; None: symmetric around 0 from the data)
MAP_SPECS = {
    "f": ("forget gate f", "viridis", (0.0, 1.0)),
    "i": ("input gate i", "viridis", (0.0, 1.0)),
    "o": ("output gate o", "viridis", (0.0, 1.0)),
    "g": ("candidate g (tanh)", "CET-D1", (-1.0, 1.0)),
    "c": ("cell state c", "CET-D1", None),
    "h": ("hidden state h", "CET-D1", (-1.0, 1.0)),
    "r": ("reset gate r", "viridis", (0.0, 1.0)),
    "z": ("update gate z", "viridis", (0.0, 1.0)),
    "n": ("candidate n (tanh)", "CET-D1", (-1.0, 1.0)),
    "pre_x": ("W_x x_t + b_x", "CET-D1", None),
    "pre_h": ("W_h h_(t-1) + b_h", "CET-D1", None),
}
SHOWN = {"lstm": ("f", "i", "o", "g", "c", "h"), "gru": ("r", "z", "n", "h"),
         "rnn": ("pre_x", "pre_h", "h")}
COLUMNS = {"lstm": 3, "gru": 2, "rnn": 3}


def map_levels(name: str, values: np.ndarray) -> tuple[float, float]:
    """A map's colour range: fixed for gates (0..1) and tanh outputs, else symmetric."""
    levels = MAP_SPECS[name][2]
    if levels is None:
        m = float(max(np.abs(values).max(), 1e-3))
        levels = (-m, m)
    return levels


def layout_specs(cell: str) -> list[tuple[str, str, str, tuple]]:
    return [(name, MAP_SPECS[name][0], MAP_SPECS[name][1], MAP_SPECS[name][2] or (-1.0, 1.0))
            for name in SHOWN[cell]]
