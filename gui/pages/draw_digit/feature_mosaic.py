"""`FeatureMapMosaic`: every conv layer's feature maps, each layer tiled into ONE image with
thin gaps between its maps, under a title naming the layer.

One image per layer (not one view per map) keeps the per-stroke update to one `set_pixels` a
layer; the tiling is one gather through an index made when the model changes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from gui.widgets.pixel_image import PixmapImage, crisp_pixels, gray8

GAP_VALUE = 90        # gap colour (of 255): visible between black map backgrounds
TITLE_HEIGHT = 22     # pixels for each layer's title
EMPTY_GRAY = 232      # the maps while nothing is drawn


def columns_for(channels: int) -> int:
    return 3 if channels <= 6 else 4 if channels <= 16 else 8


def mosaic_index(c: int, h: int, w: int, cols: int, gap: int) -> np.ndarray:
    """(mh, mw) indices into a layer's flattened (C, H, W) values, laid out `cols` maps a row
    with `gap` pixels between them; the gaps index one past the end (the gap colour)."""
    rows = -(-c // cols)
    mh, mw = rows * (h + gap) - gap, cols * (w + gap) - gap
    index = np.full((mh, mw), c * h * w, np.intp)
    for m in range(c):
        r, q = divmod(m, cols)
        y, x = r * (h + gap), q * (w + gap)
        index[y:y + h, x:x + w] = np.arange(m * h * w, (m + 1) * h * w).reshape(h, w)
    return index


class FeatureMapMosaic(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        crisp_pixels(self)
        self._pool: list[tuple[pg.LabelItem, pg.ViewBox, PixmapImage]] = []
        self.boxes: list[pg.ViewBox] = []
        self.labels: list[pg.LabelItem] = []
        self.images: list[PixmapImage] = []
        self._shapes: list[tuple[int, int, int]] = []   # (C, H, W) of each layer
        self._index: list[np.ndarray] = []               # each layer's mosaic_index
        self._tiles: list[np.ndarray] = []               # the (C, H, W) maps last shown

    def _parts(self, i: int) -> tuple[pg.LabelItem, pg.ViewBox, PixmapImage]:
        """Layer i's title, box and image: made once and reused by every later model, never
        destroyed (see gui/__init__.py)."""
        while len(self._pool) <= i:
            label = pg.LabelItem(size="9pt")
            label.setMaximumHeight(TITLE_HEIGHT)
            box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
            image = PixmapImage()
            box.addItem(image)
            self._pool.append((label, box, image))
        return self._pool[i]

    def set_layers(self, layers: list[tuple[str, tuple[int, int, int]]]) -> None:
        """Lay out one titled mosaic per (name, (C, H, W)); called when the model changes."""
        rows_before = 2 * len(self.boxes) + 1
        self.ci.clear()                       # out of the layout; the pool keeps them alive
        self.boxes, self.labels, self.images, self._shapes, self._index, self._tiles = (
            [], [], [], [], [], [])
        for i, (name, (c, h, w)) in enumerate(layers):
            gap = max(1, round(max(h, w) / 12))     # about a twelfth of a map between maps
            index = mosaic_index(c, h, w, columns_for(c), gap)
            label, box, image = self._parts(i)
            label.setText(f"<b>{name}</b> · {c} maps of {h}×{w}", size="9pt")
            self.ci.addItem(label, row=2 * i, col=0)
            self.ci.addItem(box, row=2 * i + 1, col=0)
            box.setRange(QRectF(0, 0, index.shape[1], index.shape[0]), padding=0.01)
            self.boxes.append(box)
            self.labels.append(label)
            self.images.append(image)
            self._shapes.append((c, h, w))
            self._index.append(index)
            self._tiles.append(np.zeros((c, h, w), np.float32))
        for row in range(max(rows_before, 2 * len(layers) + 1)):
            self.ci.layout.setRowStretchFactor(row, 1 if row == 2 * len(layers) else 0)
        self._fit_rows()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Each mosaic's box exactly as tall as its image at the full width (all shrunk alike
        when they do not fit), so every title sits right above its maps and the space left
        over goes below the last one instead of between them."""
        if not getattr(self, "boxes", None):     # (also called while the view is being built)
            return
        left, top, right, bottom = self.ci.layout.getContentsMargins()
        width = self.viewport().width() - left - right
        spacing = self.ci.layout.verticalSpacing() * 2 * len(self.boxes)
        room = self.viewport().height() - top - bottom - TITLE_HEIGHT * len(self.labels) - spacing
        ratios = [index.shape[0] / index.shape[1] for index in self._index]
        scale = min(1.0, max(room, 0) / max(width * sum(ratios), 1))
        for box, ratio in zip(self.boxes, ratios):
            box.setFixedHeight(max(10.0, width * ratio * scale))

    def set_maps(self, maps: list[np.ndarray] | None) -> None:
        """One (C, H, W) array per layer, each layer on its own 0..peak scale; None: nothing
        to show (light tiles between the gaps, not the black of maps that do not fire)."""
        for k, (shape, image, index) in enumerate(zip(self._shapes, self.images, self._index)):
            if maps is None:
                self._tiles[k] = np.zeros(shape, np.float32)
                gray = np.full(shape[0] * shape[1] * shape[2] + 1, EMPTY_GRAY, np.uint8)
                gray[-1] = GAP_VALUE
                image.set_pixels(gray[index])
                continue
            tiles = maps[k]
            self._tiles[k] = tiles
            peak = float(tiles.max()) if tiles.size else 0.0
            gray = np.append(gray8(tiles.reshape(-1), 0.0, peak if peak > 0 else 1.0),
                             np.uint8(GAP_VALUE))
            image.set_pixels(gray[index])

    def layer_count(self) -> int:
        return len(self._shapes)

    def mosaic(self, layer: int) -> np.ndarray:
        """The float values last shown for `layer`, NaN in the gaps."""
        values = np.append(self._tiles[layer].reshape(-1).astype(np.float32), np.nan)
        return values[self._index[layer]]
