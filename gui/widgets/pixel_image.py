"""`PixelImage`: a pyqtgraph ImageItem for pixels that are already colours, drawn without copies.

pyqtgraph renders every image through its own levels and lookup-table path and hands the painter
a Grayscale8, RGBA8888 or Indexed8 QImage, which the raster engine converts again on every
paint. Every heatmap in the app (MatrixView, MapGrid, the gate heatmaps, the Draw page's
stages) colours its values in numpy instead (`gray8`, or a colour map's `argb_lut`) and gives
this item uint8 gray, RGBA, or ready premultiplied ARGB32 pixels: one way to put an image on
screen. (Photo-sized float maps may still take pyqtgraph's lookup-table path, which is faster
there; the item converts its result to ARGB32 once.)
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage

# (looked up once: each access to a PySide6 enum member runs Python code in the enum module)
ARGB32_PREMULTIPLIED = QImage.Format.Format_ARGB32_Premultiplied


def gray8(values: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Float values -> uint8 gray (lo black, hi white). A uint8 image with no lookup table is the
    fastest thing pyqtgraph can draw (no colour table is built on each render)."""
    scale = 255.0 / (hi - lo if hi > lo else 1.0)
    return np.ascontiguousarray(np.clip((values - lo) * scale, 0, 255), dtype=np.uint8)


def argb_lut(colormap: pg.ColorMap) -> np.ndarray:
    """(256,) uint32 opaque ARGB32 colours of `colormap`, for `argb_lut(cmap)[gray8(values)]`."""
    rgb = colormap.getLookupTable(nPts=256, alpha=False).astype(np.uint32)
    return (np.uint32(0xFF000000) | rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]).astype(np.uint32)


def rgb_to_argb32(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) whole channel values 0-255 -> (...) uint32 opaque ARGB32."""
    c = rgb.astype(np.uint32)
    return np.uint32(0xFF000000) | c[..., 0] << 16 | c[..., 1] << 8 | c[..., 2]


def to_argb32(pixels: np.ndarray) -> np.ndarray:
    """uint8 gray (H, W) or RGBA (H, W, 4) -> (H, W) uint32 premultiplied ARGB (uint32 pixels
    are that already)."""
    if pixels.dtype == np.uint32:
        return pixels
    if pixels.ndim == 2:
        argb = pixels.astype(np.uint32)
        argb *= 0x010101                 # (in place: no temporaries)
        argb |= np.uint32(0xFF000000)
        return argb
    rgba = pixels.astype(np.uint32)
    a = rgba[..., 3]
    return ((a << 24) | ((rgba[..., 0] * a + 127) // 255 << 16)
            | ((rgba[..., 1] * a + 127) // 255 << 8) | (rgba[..., 2] * a + 127) // 255)


def _is_pixels(image: np.ndarray) -> bool:
    """uint8 gray (H, W), uint8 RGBA (H, W, 4) or uint32 ARGB32 (H, W), not empty."""
    if image.size == 0:
        return False
    if image.dtype == np.uint32:
        return image.ndim == 2
    return image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 4))


class PixelImage(pg.ImageItem):
    """An ImageItem for uint8 gray (H, W), uint8 RGBA (H, W, 4) or uint32 premultiplied ARGB32
    (H, W) pixels, drawn from ARGB32: the format the raster painter draws without converting.

    `set_pixels` is the per-stroke update: for an image of the same shape as the last one it
    makes the QImage at once and skips `setImage`'s bookkeeping (geometry, levels, signals);
    a new shape goes through `setImage`. Other data (floats, levels, lookup tables) takes
    pyqtgraph's own path."""

    _bounds = QRectF()
    _bounds_shape: tuple | None = None

    def boundingRect(self) -> QRectF:
        # the stock one makes three Python calls each time Qt asks (several times a paint)
        image = self.image
        if image is None:
            return QRectF()
        if image.shape != self._bounds_shape:
            h, w = image.shape[:2] if self.axisOrder == "row-major" else image.shape[1::-1]
            self._bounds, self._bounds_shape = QRectF(0.0, 0.0, float(w), float(h)), image.shape
        return self._bounds

    def set_pixels(self, pixels: np.ndarray) -> None:
        if (self.image is None or pixels.shape != self.image.shape
                or pixels.dtype != self.image.dtype or not _is_pixels(pixels)):
            # new geometry: let pyqtgraph know (and drop levels or a table set with floats)
            self.setImage(pixels, autoLevels=False, levels=None, lut=None)
            return
        self.image = pixels
        self._make_qimage()
        self.update()

    def _make_qimage(self) -> None:
        self._argb = np.ascontiguousarray(to_argb32(self.image), dtype=np.uint32)  # QImage memory
        h, w = self._argb.shape
        self.qimage = QImage(self._argb.data, w, h, 4 * w, ARGB32_PREMULTIPLIED)
        self._renderRequired = False
        self._unrenderable = False

    def render(self):
        image = self.image
        if image is None or not _is_pixels(image) or self.lut is not None or self.levels is not None:
            super().render()      # pyqtgraph's path (e.g. a photo through a lookup table) ...
            if self.qimage is not None and self.qimage.format() != ARGB32_PREMULTIPLIED:
                # ... whose Indexed8 or RGBA image is converted once here, not at every paint
                self.qimage = self.qimage.convertToFormat(ARGB32_PREMULTIPLIED)
            return
        self._make_qimage()
