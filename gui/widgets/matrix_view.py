"""`MatrixView`: a 2-D array as a heatmap, with numbers in the cells when they fit.

Used for inputs, kernels, feature maps, pooling windows and gate heatmaps. Animations update it
every step, so (pyqtgraph's performance notes):
- the image, the cover and the highlight rectangles are made once; an update colours the values
  through the colour map in numpy and hands the cells to one premultiplied QImage (`CellImage`);
- all the cell numbers are drawn by ONE graphics item in one paint call (not one TextItem per
  cell), with the font sized to the cell on screen (within the presenter scale's limits), so
  they stay readable on a projector, and none drawn where a cell is too small to read one;
- cells not computed yet are hidden under a neutral cover (`mask=` / `set_filled`), so an
  animation step only uncovers a cell instead of re-rendering the map;
- the image, the tint and the numbers are painted from Qt's device-coordinate cache (a pixmap)
  unless `cache_image=False`: a step that moves a highlight over them blits the pixmap instead
  of scaling the image and laying out the numbers again; views whose values change every step
  pass False.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem
from shiboken6 import isValid

from gui import style
from gui.widgets.cell_items import CellCover, CellImage, CellNumbers, cell_text
from gui.widgets.colour_bar import ColourBar
from gui.widgets.pixel_image import argb_lut, rgba_lut

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
                 colorbar: bool = False, title: str | None = None, axes: bool = False,
                 cache_image: bool = True):
        super().__init__(parent)
        self.setMinimumSize(120, 120)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.plot = self.addPlot(title=title, enableMenu=False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        for name in ("left", "bottom"):
            self.plot.showAxis(name, axes)
        self.image = CellImage()
        self.image.clicked.connect(self._on_image_click)
        self.plot.addItem(self.image)
        self.overlay = CellImage()                           # RGBA tint (e.g. padding cells)
        self.overlay.setZValue(1)
        self.plot.addItem(self.overlay)
        self.cover = CellCover()                             # hides cells not computed yet
        self.cover.setZValue(2)
        self.plot.addItem(self.cover)
        self.numbers = CellNumbers()
        self.plot.addItem(self.numbers)
        if cache_image:
            for item in (self.image, self.overlay, self.numbers):
                item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._colormap_name = colormap
        self._cmap = COLORMAPS[colormap]()
        self._set_luts()
        self.colorbar = None
        if colorbar:  # beside the plot, showing the levels (not tied to the RGB image)
            self.colorbar = ColourBar(self._cmap, (0.0, 1.0), width=12)
            self.addItem(self.colorbar)
        self.show_numbers = show_numbers      # None: automatic (when the grid is small)
        self.max_number_cells = max_number_cells
        self.number_format = number_format
        self._shape: tuple[int, int] | None = None
        self._levels = (0.0, 1.0)
        self._values = np.zeros((0, 0), np.float32)
        self._highlights: dict[str, QGraphicsRectItem] = {}
        self._marks: list[QGraphicsRectItem] = []
        style.presenter().scaleChanged.connect(self._on_scale_changed)

    def _on_scale_changed(self, _factor: float) -> None:
        # the numbers read the presenter scale when painted: redraw them, cache included (their
        # item may be gone already when a closing page's view hears the signal last)
        if isValid(self.numbers):
            self.numbers.update()

    # -- data ----------------------------------------------------------------------------------
    def set_matrix(self, values, levels: tuple[float, float] | None = None,
                   mask: np.ndarray | None = None) -> None:
        """Show `values` (H, W). `levels` fixes the colour scale (default: symmetric for the
        diverging map, else min/max). Cells where `mask` is False are covered (not computed yet)."""
        values = np.ascontiguousarray(values, dtype=np.float32)
        if values.ndim != 2:
            raise ValueError(f"MatrixView needs a 2-D array, got shape {values.shape}")
        shown = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        if levels is None:
            levels = self._auto_levels(shown)
        levels = (float(levels[0]), float(levels[1]))
        self._values = values
        self._show_values(shown, levels)
        if self.colorbar is not None and levels != self._levels:
            self.colorbar.set_levels(levels)
        self._levels = levels
        if values.shape != self._shape:
            self._shape = values.shape
            self.plot.setRange(QRectF(0, 0, values.shape[1], values.shape[0]), padding=0.02)
        self._update_numbers()
        self.set_filled(mask)

    def set_filled(self, mask: np.ndarray | None) -> None:
        """Cover the cells where `mask` is False (an animation's cells not reached yet); None
        uncovers all. Cheap: the image itself is not touched."""
        if mask is None or self._shape is None:
            self.cover.set_mask(np.ones(self._shape or (0, 0), bool))
            self.numbers.set_shown(np.ones(self._values.size, bool) if self.numbers.texts
                                   else np.zeros(0, bool))
            return
        mask = np.asarray(mask, bool)
        self.cover.set_mask(mask)
        if self.numbers.texts:
            self.numbers.set_shown(mask.ravel().copy())

    def set_rgb(self, rgb: np.ndarray) -> None:
        """Show an (H, W, 3) colour image in [0, 1] (no numbers)."""
        rgba = np.full(rgb.shape[:2] + (4,), 255, np.uint8)
        rgba[..., :3] = np.round(np.clip(np.nan_to_num(rgb), 0, 1) * 255)
        self.image.set_rgba(rgba)
        self.numbers.set_cells((0, 0), [], np.zeros(0, bool), np.zeros(0, bool))
        self.cover.set_mask(np.ones(rgb.shape[:2], bool))
        if rgb.shape[:2] != self._shape:
            self._shape = rgb.shape[:2]
            self.plot.setRange(QRectF(0, 0, rgb.shape[1], rgb.shape[0]), padding=0.02)

    def _show_values(self, values: np.ndarray, levels: tuple[float, float]) -> None:
        """Colour (H, W) finite values through the colour map at fixed levels, in numpy."""
        lo, hi = levels
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        index = np.clip((values - lo) * scale, 0, 255).astype(np.uint8)
        self.image.set_argb32(self._argb_lut[index])

    def _auto_levels(self, values: np.ndarray) -> tuple[float, float]:
        if values.size == 0:
            return (0.0, 1.0)
        lo, hi = float(values.min()), float(values.max())
        if self._colormap_name == "diverging":
            m = max(abs(lo), abs(hi), 1e-6)
            return (-m, m)
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def _set_luts(self) -> None:
        # the colour map as (256,) ARGB32 words, what the cells are painted with, and as
        # (256, 4) RGBA bytes, which tell the numbers that need dark text
        self._lut = rgba_lut(self._cmap)
        self._argb_lut = argb_lut(self._cmap)

    def set_colormap(self, name: str) -> None:
        self._colormap_name = name
        self._cmap = COLORMAPS[name]()
        self._set_luts()
        if self.colorbar is not None:
            self.colorbar.setColorMap(self._cmap)
        if self._values.size:
            self._show_values(np.nan_to_num(self._values, nan=0.0, posinf=0.0, neginf=0.0),
                              self._levels)
            self._update_numbers()

    def set_overlay(self, mask: np.ndarray | None, rgba=(120, 120, 120, 110)) -> None:
        """Tint the cells where `mask` is True (e.g. the zero padding around an input)."""
        if mask is None or not mask.any():
            self.overlay.set_rgba(None)
            return
        pixels = np.zeros(mask.shape + (4,), np.uint8)
        pixels[mask] = rgba
        self.overlay.set_rgba(pixels)

    # -- numbers in cells ----------------------------------------------------------------------
    def _numbers_wanted(self) -> bool:
        if self._shape is None:
            return False
        if self.show_numbers is not None:
            return self.show_numbers
        return self._shape[0] * self._shape[1] <= self.max_number_cells

    def _update_numbers(self) -> None:
        if not self._numbers_wanted():
            if self.numbers.texts:
                self.numbers.set_cells((0, 0), [], np.zeros(0, bool), np.zeros(0, bool))
            return
        flat = self._values.ravel()
        fmt = self.number_format
        texts = [cell_text(fmt, v) for v in flat.tolist()]
        lo, hi = self._levels
        span = hi - lo if hi > lo else 1.0
        idx = (np.clip((np.nan_to_num(flat, nan=lo, posinf=hi, neginf=lo) - lo) / span, 0, 1) * 255).astype(int)
        rgb = self._lut[idx][:, :3].astype(np.float32)
        dark_text = rgb @ np.array([0.299, 0.587, 0.114], np.float32) > 140  # light cell
        self.numbers.set_cells(self._values.shape, texts, dark_text, np.ones(flat.size, bool))

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
    def _on_image_click(self, pos) -> None:
        if self._shape is None:
            return
        r, c = int(np.floor(pos.y())), int(np.floor(pos.x()))
        if 0 <= r < self._shape[0] and 0 <= c < self._shape[1]:
            self.cellClicked.emit(r, c)

    def marks(self) -> list[tuple[int, int]]:
        """The cells marked by `set_marks` that are shown, (row, col)."""
        return [(int(m.rect().y()), int(m.rect().x())) for m in self._marks if m.isVisible()]

    def highlight(self, key: str = "main") -> tuple[int, int, int, int] | None:
        """The outlined cells (r0, c0, h, w) of a highlight, or None when hidden."""
        item = self._highlights.get(key)
        if item is None or not item.isVisible():
            return None
        r = item.rect()
        return (round(r.y()), round(r.x()), round(r.height()), round(r.width()))

    def values(self) -> np.ndarray:
        """The array last shown (what tests compare against)."""
        return self._values

    def cell_texts(self) -> list[str]:
        """The number shown in each cell, row-major ("" where a cell is blank or covered)."""
        n = self.numbers
        return [t if s else "" for t, s in zip(n.texts, n.shown)]
