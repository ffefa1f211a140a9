"""The graphics items a MatrixView is made of: its image of cells (`CellImage`), the cover over
cells not computed yet (`CellCover`) and every cell's number in one item (`CellNumbers`)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage

from gui import style

NOT_YET_RGBA = (236, 236, 236, 255)   # cells an animation has not reached yet
NOT_YET, UNCOVERED = QColor(*NOT_YET_RGBA), QColor(0, 0, 0, 0)
FEW_CELLS = 16   # a cover change of at most this many cells recolours them in place


def cell_text(fmt: str, v: float) -> str:
    """A cell's number; "-0.00" (a tiny negative rounded away) is shown as "0.00"."""
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    text = fmt.format(v)
    if text.startswith("-") and not any(ch in "123456789" for ch in text.split("e")[0]):
        return text[1:]
    return text


def _changed_rect(old: np.ndarray, new: np.ndarray) -> QRectF | None:
    """The cells (x = column, y = row) spanning every difference of two same-shape masks."""
    if np.array_equal(old, new):       # the usual case for a photo shown whole: no index work
        return None
    rows, cols = np.nonzero(old != new)
    return QRectF(int(cols.min()), int(rows.min()), int(cols.max() - cols.min()) + 1,
                  int(rows.max() - rows.min()) + 1)


class CellCover(pg.GraphicsObject):
    """Covers the cells an animation has not reached yet (mask False) with a neutral colour.

    A new mask repaints only the rectangle of cells that changed (one cell per animation step),
    where re-setting a cover image would repaint the whole map."""

    def __init__(self):
        super().__init__()
        self.mask = np.ones((0, 0), bool)     # (H, W) True: uncovered
        self._image: QImage | None = None

    def set_mask(self, mask: np.ndarray | None) -> None:
        mask = np.ones(self.mask.shape, bool) if mask is None else np.asarray(mask, bool)
        changed = None                          # (n, 2) cells that changed; None: all of them
        if mask.shape != self.mask.shape:
            self.prepareGeometryChange()
        elif np.array_equal(mask, self.mask):   # the usual case for a photo shown whole
            return
        else:
            changed = np.argwhere(mask != self.mask)
        if (changed is not None and len(changed) <= FEW_CELLS and self._image is not None
                and not mask.all()):
            # an animation step: recolour the cells that changed in the image there is
            for row, col in changed.tolist():
                self._image.setPixelColor(col, row, UNCOVERED if mask[row, col] else NOT_YET)
        else:
            rgba = np.zeros(mask.shape + (4,), np.uint8)
            rgba[~mask] = NOT_YET_RGBA
            self._image = None if mask.all() else QImage(
                rgba.data, mask.shape[1], mask.shape[0], 4 * mask.shape[1],
                QImage.Format_RGBA8888).convertToFormat(QImage.Format_ARGB32_Premultiplied)
        self.mask = mask.copy()
        if changed is None:
            self.update()
        else:
            (r0, c0), (r1, c1) = changed.min(0), changed.max(0)
            self.update(QRectF(int(c0), int(r0), int(c1 - c0) + 1, int(r1 - r0) + 1))

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.mask.shape[1], self.mask.shape[0])

    def paint(self, painter, *args) -> None:
        if self._image is not None:
            painter.drawImage(self.boundingRect(), self._image)


class CellNumbers(pg.GraphicsObject):
    """The numbers of every cell of an (H, W) grid, painted in one go in device pixels."""

    def __init__(self):
        super().__init__()
        # (H, W); not `self.shape`, which would hide QGraphicsItem.shape(), which Qt calls on
        # every mouse press (a tuple there is a segfault)
        self.grid_shape = (0, 0)
        self.texts: list[str] = []
        self.dark_text = np.zeros(0, bool)   # (H*W,) True: black text (light cell)
        self.shown = np.zeros(0, bool)       # (H*W,) False: cell blank (not computed yet)
        self.setZValue(3)

    def set_cells(self, shape, texts, dark_text, shown) -> None:
        self.prepareGeometryChange()
        self.grid_shape, self.texts, self.dark_text, self.shown = shape, texts, dark_text, shown
        self.update()

    def set_shown(self, shown: np.ndarray) -> None:
        """Which cells show their number; repaints only the cells that changed."""
        old, self.shown = self.shown, shown
        if old.shape != shown.shape or self.grid_shape[0] * self.grid_shape[1] != shown.size:
            self.update()
            return
        dirty = _changed_rect(old.reshape(self.grid_shape), shown.reshape(self.grid_shape))
        if dirty is not None:
            self.update(dirty)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.grid_shape[1], self.grid_shape[0])

    def paint(self, painter, *args) -> None:
        h, w = self.grid_shape
        if not self.texts or h * w == 0:
            return
        t = painter.transform()
        cell_w, cell_h = abs(t.m11()), abs(t.m22())
        longest = max((len(s) for s in self.texts), default=1) or 1
        px = int(min(cell_h * 0.5, cell_w / (0.62 * longest + 0.4), style.px("cell_max")))
        if px < style.MIN_READABLE_PX:   # a number this small cannot be read: draw none
            return
        font = QFont()
        font.setPixelSize(px)
        painter.save()
        painter.resetTransform()
        painter.setFont(font)
        black, white = QColor(0, 0, 0), QColor(255, 255, 255)
        for k in np.flatnonzero(self.shown):
            r, c = divmod(int(k), w)
            centre = t.map(QPointF(c + 0.5, r + 0.5))
            painter.setPen(black if self.dark_text[k] else white)
            painter.drawText(QRectF(centre.x() - cell_w / 2, centre.y() - cell_h / 2, cell_w, cell_h),
                             Qt.AlignCenter, self.texts[k])
        painter.restore()


class CellImage(pg.GraphicsObject):
    """An (H, W) grid of colours, one image pixel per cell, kept as a premultiplied ARGB32
    QImage, which Qt's raster engine scales without converting it on every paint (as it must
    pyqtgraph's RGBA8888 or indexed images). `clicked(pos)` on a left click, in cell units."""

    clicked = Signal(object)

    def __init__(self):
        super().__init__()
        self.grid_size = (0, 0)      # (H, W); not `shape`, see CellNumbers
        self._image: QImage | None = None
        self._pixels = np.zeros((0, 0), np.uint32)

    def set_argb32(self, argb: np.ndarray) -> None:
        """(H, W) uint32 opaque ARGB32 colours (`argb_lut(cmap)[gray8(values)]`): no conversion."""
        argb = np.ascontiguousarray(argb, np.uint32)
        h, w = argb.shape
        self._show(QImage(argb.data, w, h, 4 * w, QImage.Format_ARGB32_Premultiplied), argb)

    def set_rgba(self, rgba: np.ndarray | None) -> None:
        """(H, W, 4) uint8 RGBA colours (alpha < 255 tints what is under them); None clears."""
        if rgba is None or rgba.size == 0:
            self._show(None, np.zeros((0, 0), np.uint32))
            return
        rgba = np.ascontiguousarray(rgba, np.uint8)
        h, w = rgba.shape[:2]
        image = QImage(rgba.data, w, h, 4 * w, QImage.Format_RGBA8888)
        self._show(image.convertToFormat(QImage.Format_ARGB32_Premultiplied), rgba)

    def _show(self, image: QImage | None, pixels: np.ndarray) -> None:
        size = tuple(pixels.shape[:2])
        if size != self.grid_size:
            self.prepareGeometryChange()
            self.grid_size = size
        self._image, self._pixels = image, pixels     # the image may read the array's memory
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.grid_size[1], self.grid_size[0])

    def paint(self, painter, *args) -> None:
        if self._image is not None:
            painter.drawImage(self.boundingRect(), self._image)

    def mouseClickEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            event.accept()
            self.clicked.emit(event.pos())
