"""`PixelImage`: a pyqtgraph ImageItem fed pixels that are already colours.

Heatmaps colour their values in numpy (`gray8`, or a colour map's RGBA table) and hand the item
uint8 gray (H, W), uint8 RGBA (H, W, 4) or uint32 ARGB32 (H, W) pixels; everything goes through
pyqtgraph's public `setImage` with levels None, so pyqtgraph never rescales or re-levels them:
uint8 pixels are its pass-through case, wrapped in a QImage as they are (Grayscale8 or
RGBA8888). (Levels (0, 255) give the same picture, but cost a 256-entry colour table per
render for gray and a full `makeARGB` pass for RGBA.)

`PixmapImage` takes the same pixels for views repainted on every input event (the Draw page's):
a plain QGraphicsPixmapItem, which Qt draws several times faster than an ImageItem's QImage.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsView


def gray8(values: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Float values -> uint8 gray (lo black, hi white)."""
    scale = 255.0 / (hi - lo if hi > lo else 1.0)
    return np.ascontiguousarray(np.clip((values - lo) * scale, 0, 255), dtype=np.uint8)


def rgba_lut(colormap: pg.ColorMap) -> np.ndarray:
    """(256, 4) uint8 opaque RGBA colours of `colormap`, for `rgba_lut(cmap)[gray8(values)]`."""
    return colormap.getLookupTable(nPts=256, alpha=True).astype(np.uint8)


def argb_lut(colormap: pg.ColorMap) -> np.ndarray:
    """(256,) uint32 opaque ARGB32 colours of `colormap`."""
    rgb = colormap.getLookupTable(nPts=256, alpha=False).astype(np.uint32)
    return (np.uint32(0xFF000000) | rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]).astype(np.uint32)


def rgb_to_argb32(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) whole channel values 0-255 -> (...) uint32 opaque ARGB32."""
    c = rgb.astype(np.uint32)
    return np.uint32(0xFF000000) | c[..., 0] << 16 | c[..., 1] << 8 | c[..., 2]


def to_argb32(pixels: np.ndarray) -> np.ndarray:
    """uint8 gray (H, W) or RGBA (H, W, 4) -> (H, W) uint32 ARGB32 (uint32 pixels are that
    already)."""
    if pixels.dtype == np.uint32:
        return pixels
    if pixels.ndim == 2:
        return np.uint32(0xFF000000) | pixels.astype(np.uint32) * np.uint32(0x010101)
    p = pixels.astype(np.uint32)
    return p[..., 3] << 24 | p[..., 0] << 16 | p[..., 1] << 8 | p[..., 2]


def argb32_to_rgba(argb: np.ndarray) -> np.ndarray:
    """(H, W) uint32 ARGB32 -> (H, W, 4) uint8 RGBA."""
    a = np.asarray(argb, np.uint32)
    return np.stack([(a >> 16) & 255, (a >> 8) & 255, a & 255, a >> 24], axis=-1).astype(np.uint8)


def crisp_pixels(view: pg.GraphicsView) -> None:
    """Images in `view` drawn with nearest-neighbour scaling and no antialiasing: each pixel of
    a small image (a 28x28 digit, a feature map) a sharp square, as students should see it.
    For views repainted many times a second (the Draw page's, on every stroke), the background
    is also filled where repainted instead of copied from a cached pixmap, and that fill covers
    the area, so Qt need not clear it first."""
    view.setAntialiasing(False)
    view.setRenderHint(QPainter.SmoothPixmapTransform, False)
    view.setCacheMode(QGraphicsView.CacheNone)
    view.viewport().setAttribute(Qt.WA_OpaquePaintEvent)


class PixelImage(pg.ImageItem):
    """An ImageItem for uint8 gray (H, W), uint8 RGBA (H, W, 4) or uint32 ARGB32 (H, W)."""

    def set_pixels(self, pixels: np.ndarray) -> None:
        if pixels.dtype == np.uint32:
            pixels = argb32_to_rgba(pixels)
        if pixels.dtype != np.uint8:
            raise ValueError(f"PixelImage needs uint8 or uint32 pixels, got {pixels.dtype}")
        self.setImage(np.ascontiguousarray(pixels), autoLevels=False, levels=None, lut=None)


class PixmapImage(QGraphicsPixmapItem):
    """`set_pixels` as PixelImage's, drawn from a QPixmap (row 0 at y = 0, one unit a pixel).

    A pixmap holds the raster engine's own formats (RGB32, or premultiplied ARGB32 where there
    is alpha), which it scales with a plain nearest-neighbour blit: about 3x faster than the
    Grayscale8 or RGBA8888 image an ImageItem draws (measured: a 58x88 mosaic shown 350 px
    wide). No levels, lookup tables or mouse handling: pixels in, the same pixels on screen."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setShapeMode(QGraphicsPixmapItem.BoundingRectShape)   # (no mask from the pixels)
        self._pixels: np.ndarray | None = None   # as given: uint8 gray or RGBA, or uint32 ARGB32
        self._argb: np.ndarray | None = None    # their ARGB32 copy, which the QImage reads

    @property
    def image(self) -> np.ndarray | None:
        """The pixels shown, as ImageItem.image holds them: uint8 gray (H, W) or RGBA."""
        if self._pixels is not None and self._pixels.dtype == np.uint32:
            return argb32_to_rgba(self._pixels)
        return self._pixels

    def set_pixels(self, pixels: np.ndarray) -> None:
        if pixels.dtype not in (np.uint8, np.uint32):
            raise ValueError(f"PixmapImage needs uint8 or uint32 pixels, got {pixels.dtype}")
        gray = pixels.ndim == 2 and pixels.dtype == np.uint8
        argb = np.ascontiguousarray(to_argb32(pixels))
        h, w = argb.shape
        image = QImage(argb.data, w, h, 4 * w, QImage.Format_RGB32 if gray else QImage.Format_ARGB32)
        self.setPixmap(QPixmap.fromImage(image))
        self._argb, self._pixels = argb, pixels
