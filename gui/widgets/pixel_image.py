"""`PixelImage`: a pyqtgraph ImageItem fed pixels that are already colours.

Heatmaps colour their values in numpy (`gray8`, or a colour map's RGBA table) and hand the item
uint8 gray (H, W), uint8 RGBA (H, W, 4) or uint32 ARGB32 (H, W) pixels; everything goes through
pyqtgraph's public `setImage` with fixed levels, so pyqtgraph never rescales or re-levels them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView


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
        self.setImage(np.ascontiguousarray(pixels), autoLevels=False, levels=(0, 255), lut=None)
