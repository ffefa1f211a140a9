"""`GateHeatmap`: one gate (or state) of a recurrent layer over a sentence, units x tokens.

Rows are hidden units, columns are tokens (their words as x-axis labels). Columns not yet reached
by the step player stay blank, so the map fills in as you step. The current token's column and
the selected unit's row are outlined; hovering a cell tells its value, clicking a row selects
that unit (`unitClicked`). Colours go through a fixed 256-entry lookup table with fixed levels
(no flicker while stepping); items are made once. The image is set once per sentence: a step
only moves a `ColumnCover`, which repaints the two columns that changed, not the whole map.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from gui.widgets.pixel_image import PixelImage

BLANK = np.array([236, 236, 236, 255], np.uint8)  # not yet computed
CURRENT_COLOR = "#ff8c00"                          # outline of the current token's column


class ColumnCover(pg.GraphicsObject):
    """Blanks the token columns not reached yet and outlines the current one (the last shown).

    A step changes the look of two columns only, so `set_count` marks just those dirty
    (`update(rect)`): stepping repaints a sliver of each map instead of all of it.
    """

    def __init__(self):
        super().__init__()
        self.units, self.tokens, self.count = 0, 0, 0
        self._brush = QColor(*BLANK.tolist())
        self._pen = _pen(CURRENT_COLOR, 2.5)

    def set_shape(self, units: int, tokens: int, count: int) -> None:
        self.prepareGeometryChange()
        self.units, self.tokens, self.count = units, tokens, count
        self.update()

    def set_count(self, count: int) -> None:
        old, self.count = self.count, count
        if old == count:
            return
        margin = 4 * max(self.pixelWidth(), 1e-6)    # the outline's width, in columns
        left, right = min(old, count) - 1, max(old, count)
        self.update(QRectF(left - margin, -1, right - left + 2 * margin, self.units + 2))

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, self.tokens + 2, self.units + 2)  # room for the outline

    def paint(self, painter, *args) -> None:
        units, tokens, count = self.units, self.tokens, self.count
        if count < tokens:
            painter.fillRect(QRectF(count, 0, tokens - count, units), self._brush)
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
    """A PlotItem (lives in a GraphicsLayoutWidget) showing a (units, tokens) array."""

    def __init__(self, name: str, title: str, colormap: str, levels=(0.0, 1.0)):
        super().__init__(title=title, axisItems={"bottom": TokenAxis("bottom")})
        self.name = name
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.invertY(True)
        self.getAxis("left").setLabel("unit")
        self.getAxis("left").setWidth(34)
        self.getAxis("bottom").setHeight(22)
        for axis in ("left", "bottom"):  # axes change once per sentence: paint them from a pixmap
            self.getAxis(axis).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.titleLabel.item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.image = PixelImage(axisOrder="row-major")
        self.addItem(self.image)
        self.lut = pg.colormap.get(colormap).getLookupTable(nPts=256, alpha=True)  # (256, 4) uint8
        self.levels = tuple(levels)
        self.values = np.zeros((0, 0), np.float32)   # (units, tokens) of the whole sentence
        self.filled = 0                              # columns shown so far
        self.cover = ColumnCover()                   # blank future columns, current outlined
        self.cover.setZValue(5)
        self.addItem(self.cover)
        self.row_box = QGraphicsRectItem()
        self.row_box.setPen(_pen("#d00000", 1.5))
        self.row_box.setZValue(6)
        self.addItem(self.row_box)
        self.tokens: list[str] = []
        self.unit = 0

    # -- data ----------------------------------------------------------------------------
    def set_values(self, values: np.ndarray, tokens: list[str], levels=None) -> None:
        """A new sentence: values (units, tokens); levels None keeps the fixed ones."""
        self.values = np.ascontiguousarray(values, np.float32)
        if levels is not None:
            self.levels = (float(levels[0]), float(levels[1]))
        lo, hi = self.levels
        idx = np.clip((self.values - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)
        self.image.set_pixels(self.lut[idx])                # (units, tokens, 4) RGBA
        if tokens != self.tokens or self.cover.units != self.values.shape[0]:
            self.tokens = list(tokens)
            units, T = self.values.shape
            self.getAxis("bottom").setTicks([[(t + 0.5, w) for t, w in enumerate(self.tokens)], []])
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
        if 0 <= u < units and 0 <= t < T:
            return u, t
        return None


def _pen(color: str, width: float) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    return pen


class GateHeatmapGrid(pg.GraphicsLayoutWidget):
    """Several `GateHeatmap`s in a grid; emits `unitClicked(unit)` when a row is clicked."""

    unitClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setSpacing(4)
        self.setAntialiasing(False)  # pixel-aligned cells and boxes; halves the paint time
        self.maps: dict[str, GateHeatmap] = {}
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)

    def set_layout(self, specs: list[tuple[str, str, str, tuple]], columns: int) -> None:
        """Rebuild for specs [(name, title, colormap, levels)] (only when the cell type changes)."""
        self.clear()
        self.maps = {}
        for k, (name, title, cmap, levels) in enumerate(specs):
            if k and k % columns == 0:
                self.nextRow()
            item = GateHeatmap(name, title, cmap, levels)
            self.addItem(item)
            self.maps[name] = item

    def _map_at(self, pos):
        for item in self.maps.values():
            if item.sceneBoundingRect().contains(pos):
                cell = item.cell_at(pos)
                if cell is not None:
                    return item, cell
        return None, None

    def _on_click(self, event) -> None:
        item, cell = self._map_at(event.scenePos())
        if cell is not None:
            self.unitClicked.emit(cell[0])

    def _on_move(self, pos) -> None:
        item, cell = self._map_at(pos)
        if cell is None:
            self.setToolTip("")
            return
        u, t = cell
        if t < item.filled:
            word = item.tokens[t] if t < len(item.tokens) else "?"
            self.setToolTip(f"{item.name}  unit {u}, token {t} '{word}': {item.values[u, t]:+.3f}")
        else:
            self.setToolTip(f"unit {u}, token {t}: not reached yet")
