"""`MatrixView`: a 2-D array as a heatmap, with numbers in the cells when they fit.

Used for inputs, kernels, feature maps, pooling windows and gate heatmaps. Following
pyqtgraph's performance notes, the image, the text items and the highlight rectangles are made
once (text items again only when the shape changes); an update only calls `setImage` with fixed
levels and `setText`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem

COLORMAPS = {
    "gray": lambda: pg.colormap.get("CET-L1"),       # black -> white, for images
    "diverging": lambda: pg.colormap.get("CET-D1"),  # blue -> white -> red, for signed values
    "viridis": lambda: pg.colormap.get("viridis"),
    "magma": lambda: pg.colormap.get("magma"),
}


class MatrixView(pg.GraphicsLayoutWidget):
    """A heatmap of a 2-D array (rows top to bottom), optional cell numbers, highlights, marks.

    Signals: `cellClicked(row, col)` in array coordinates.
    """

    cellClicked = Signal(int, int)

    def __init__(self, parent=None, colormap: str = "gray", show_numbers: bool | None = None,
                 max_number_cells: int = 256, number_format: str = "{:.2f}",
                 colorbar: bool = False, title: str | None = None, axes: bool = False):
        super().__init__(parent)
        self.setMinimumSize(120, 120)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.plot = self.addPlot(title=title)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        for name in ("left", "bottom"):
            self.plot.showAxis(name, axes)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.overlay = pg.ImageItem(axisOrder="row-major")  # RGBA tint (e.g. padding cells)
        self.overlay.setZValue(1)
        self.plot.addItem(self.overlay)
        self._colormap_name = colormap
        self._cmap = COLORMAPS[colormap]()
        self.image.setColorMap(self._cmap)
        self.colorbar = None
        if colorbar:
            self.colorbar = pg.ColorBarItem(colorMap=self._cmap, interactive=False, width=12)
            self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.show_numbers = show_numbers      # None: automatic (when the grid is small)
        self.max_number_cells = max_number_cells
        self.number_format = number_format
        self._texts: list[pg.TextItem] = []
        self._shape: tuple[int, int] | None = None
        self._levels = (0.0, 1.0)
        self._values = np.zeros((0, 0), np.float32)
        self._highlights: dict[str, QGraphicsRectItem] = {}
        self._marks: list[QGraphicsRectItem] = []
        self.image.mouseClickEvent = self._on_image_click

    # -- data ----------------------------------------------------------------------------------
    def set_matrix(self, values, levels: tuple[float, float] | None = None,
                   mask: np.ndarray | None = None) -> None:
        """Show `values` (H, W). `levels` fixes the colour scale (default: symmetric or min/max).
        Cells where `mask` is False are left blank (not yet computed)."""
        values = np.ascontiguousarray(values, dtype=np.float32)
        if values.ndim != 2:
            raise ValueError(f"MatrixView needs a 2-D array, got shape {values.shape}")
        finite = np.isfinite(values)
        shown = np.where(finite, values, 0.0).astype(np.float32)
        if levels is None:
            levels = self._auto_levels(shown)
        self._levels = (float(levels[0]), float(levels[1]))
        self._values = values
        if mask is not None:
            lo = self._levels[0]
            shown = np.where(mask, shown, lo).astype(np.float32)
        self.image.setImage(shown, levels=self._levels, autoLevels=False)
        if self.colorbar is not None:
            self.colorbar.setLevels(self._levels)
        if values.shape != self._shape:
            self._shape = values.shape
            self._rebuild_texts()
            self.plot.setRange(QRectF(0, 0, values.shape[1], values.shape[0]), padding=0.02)
        self._update_texts(mask)

    def set_rgb(self, rgb: np.ndarray) -> None:
        """Show an (H, W, 3) colour image in [0, 1] (no numbers)."""
        rgb = np.ascontiguousarray(np.clip(rgb, 0, 1) * 255, dtype=np.uint8)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        if rgb.shape[:2] != self._shape:
            self._shape = rgb.shape[:2]
            self._clear_texts()
            self.plot.setRange(QRectF(0, 0, rgb.shape[1], rgb.shape[0]), padding=0.02)

    def _auto_levels(self, values: np.ndarray) -> tuple[float, float]:
        if values.size == 0:
            return (0.0, 1.0)
        lo, hi = float(values.min()), float(values.max())
        if self._colormap_name == "diverging":
            m = max(abs(lo), abs(hi), 1e-6)
            return (-m, m)
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def set_colormap(self, name: str) -> None:
        self._colormap_name = name
        self._cmap = COLORMAPS[name]()
        self.image.setColorMap(self._cmap)
        if self.colorbar is not None:
            self.colorbar.setColorMap(self._cmap)

    def set_overlay(self, mask: np.ndarray | None, rgba=(120, 120, 120, 110)) -> None:
        """Tint the cells where `mask` is True (e.g. the zero padding around an input)."""
        if mask is None or not mask.any():
            self.overlay.clear()
            return
        over = np.zeros(mask.shape + (4,), np.uint8)
        over[mask] = rgba
        self.overlay.setImage(over, autoLevels=False, levels=(0, 255))

    # -- numbers in cells ----------------------------------------------------------------------
    def _numbers_wanted(self) -> bool:
        if self._shape is None:
            return False
        if self.show_numbers is not None:
            return self.show_numbers
        return self._shape[0] * self._shape[1] <= self.max_number_cells

    def _clear_texts(self) -> None:
        for t in self._texts:
            self.plot.removeItem(t)
        self._texts = []

    def _rebuild_texts(self) -> None:
        self._clear_texts()
        if not self._numbers_wanted():
            return
        h, w = self._shape
        font = QFont()
        font.setPointSizeF(max(6.0, min(11.0, 90.0 / max(h, w))))
        for r in range(h):
            for c in range(w):
                t = pg.TextItem(anchor=(0.5, 0.5))
                t.setFont(font)
                t.setPos(c + 0.5, r + 0.5)
                t.setZValue(3)
                self.plot.addItem(t)
                self._texts.append(t)

    def _update_texts(self, mask: np.ndarray | None) -> None:
        if not self._texts:
            return
        lo, hi = self._levels
        span = hi - lo if hi > lo else 1.0
        flat = self._values.ravel()
        flat_mask = None if mask is None else np.asarray(mask).ravel()
        lut = self._cmap.getLookupTable(nPts=256, alpha=False)
        for k, t in enumerate(self._texts):
            v = flat[k]
            if flat_mask is not None and not flat_mask[k]:
                t.setText("")
                continue
            t.setText(self.number_format.format(v) if np.isfinite(v) else str(v))
            idx = int(np.clip((v - lo) / span, 0, 1) * 255) if np.isfinite(v) else 0
            r, g, b = lut[idx][:3]
            light = 0.299 * r + 0.587 * g + 0.114 * b > 140
            t.setColor(QColor(0, 0, 0) if light else QColor(255, 255, 255))

    # -- highlights ----------------------------------------------------------------------------
    def set_highlight(self, rect: tuple[int, int, int, int] | None, color="#ff8c00",
                      key: str = "main", width: float = 3.0) -> None:
        """Outline cells rows r0..r0+h-1, cols c0..c0+w-1 given as (r0, c0, h, w); None hides."""
        item = self._highlights.get(key)
        if item is None:
            item = QGraphicsRectItem()
            pen = QPen(QColor(color))
            pen.setWidthF(width)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(5)
            self.plot.addItem(item)
            self._highlights[key] = item
        if rect is None:
            item.setVisible(False)
            return
        r0, c0, h, w = rect
        item.setRect(QRectF(c0, r0, w, h))
        item.setVisible(True)

    def set_marks(self, cells: list[tuple[int, int]], color="#d00000") -> None:
        """Small squares inside the given cells (e.g. the maximum a pooling window picked)."""
        while len(self._marks) < len(cells):
            item = QGraphicsRectItem()
            pen = QPen(QColor(color))
            pen.setWidthF(2.5)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(6)
            self.plot.addItem(item)
            self._marks.append(item)
        for k, item in enumerate(self._marks):
            if k < len(cells):
                r, c = cells[k]
                item.setRect(QRectF(c + 0.1, r + 0.1, 0.8, 0.8))
                item.setVisible(True)
            else:
                item.setVisible(False)

    # -- interaction ---------------------------------------------------------------------------
    def _on_image_click(self, event) -> None:
        if event.button() != Qt.LeftButton or self._shape is None:
            return
        pos = event.pos()
        r, c = int(np.floor(pos.y())), int(np.floor(pos.x()))
        if 0 <= r < self._shape[0] and 0 <= c < self._shape[1]:
            event.accept()
            self.cellClicked.emit(r, c)

    def values(self) -> np.ndarray:
        """The array last shown (what tests compare against)."""
        return self._values

    def cell_texts(self) -> list[str]:
        return [t.toPlainText() for t in self._texts]
