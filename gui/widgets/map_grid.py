"""`MapGrid`: many small 2-D maps (filters, feature maps) in one GraphicsLayoutWidget.

One view box and image per map; cells are made once and reused when the count changes. An update colours each map in numpy
(its own levels, then the colour map's RGBA table) and hands the pixels to a `PixelImage`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui import style
from gui.widgets.matrix_view import COLORMAPS
from gui.widgets.pixel_image import PixelImage, gray8, rgba_lut


class MapGrid(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None, columns: int = 8, colormap: str = "gray"):
        super().__init__(parent)
        self.columns = columns
        self._cmap = COLORMAPS[colormap]()
        self._lut = rgba_lut(self._cmap)            # (256, 4) RGBA colours of the colour map
        # every cell made so far, (cell layout, title, image): made once, never destroyed
        self._pool: list[tuple[pg.GraphicsLayout, pg.LabelItem, PixelImage]] = []
        self._images: list[PixelImage] = []
        self._labels: list[pg.LabelItem] = []
        self._count = -1
        self.setMinimumHeight(80)

    def _cell(self, k: int) -> tuple[pg.GraphicsLayout, pg.LabelItem, PixelImage]:
        while len(self._pool) <= k:
            cell = pg.GraphicsLayout()
            label = cell.addLabel("", size=f"{style.px('small')}px")
            cell.nextRow()
            # no context menu: a map is not for panning, and each menu costs ~5 ms of widgets
            box = cell.addViewBox(lockAspect=True, invertY=True, enableMouse=False,
                                  enableMenu=False)
            img = PixelImage(axisOrder="row-major")
            box.addItem(img)
            self._pool.append((cell, label, img))
        return self._pool[k]

    def _rebuild(self, count: int, titles: list[str] | None) -> None:
        """Lay out `count` cells, `columns` a row. The cells are taken out of the layout and
        put back, never destroyed (see gui/__init__.py; destroying them under "Add a filter"
        was the crash the monkey's soak found)."""
        self.clear()              # out of the layout and the scene; the pool keeps them alive
        self._images, self._labels = [], []
        for k in range(count):
            cell, label, img = self._cell(k)
            self.addItem(cell, row=k // self.columns, col=k % self.columns)
            label.setText(titles[k] if titles else "", size=f"{style.px('small')}px")
            self._images.append(img)
            self._labels.append(label)
        self._count = count

    def prepare(self, count: int) -> None:
        """Make the view boxes for `count` maps now, still empty (the Train page does this when
        a network is picked, so a run's first snapshot only hands over pixels)."""
        if count != self._count:
            self._rebuild(count, None)

    def set_maps(self, maps: np.ndarray, levels: tuple[float, float] | str = "each",
                 titles: list[str] | None = None) -> None:
        """maps: (N, H, W), or (N, H, W, 3) RGB. levels: a fixed (lo, hi), "each" (per map
        min/max) or "shared"."""
        maps = np.ascontiguousarray(maps, dtype=np.float32)
        maps = np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)
        if maps.shape[0] != self._count:
            self._rebuild(maps.shape[0], titles)
        elif titles:
            for label, t in zip(self._labels, titles):
                label.setText(t, size=f"{style.px('small')}px")
        shared = None
        if levels == "shared" and maps.size:
            shared = (float(maps.min()), float(maps.max()) or 1.0)
        for img, m in zip(self._images, maps):
            if isinstance(levels, tuple):
                lv = levels
            elif shared is not None:
                lv = shared
            else:
                lo, hi = float(m.min()), float(m.max())
                lv = (lo, hi if hi > lo else lo + 1.0)
            if m.ndim == 3:        # (H, W, 3) RGB: shown as its own colours, opaque
                rgba = np.full(m.shape[:2] + (4,), 255, np.uint8)
                rgba[..., :3] = gray8(m, *lv)
                img.set_pixels(rgba)
            else:
                img.set_pixels(self._lut[gray8(m, *lv)])

    def image(self, k: int) -> PixelImage:
        """The image item of map `k`."""
        return self._images[k]

    def title(self, k: int) -> str:
        """The title over map `k`."""
        return self._labels[k].text

    def pixels(self, k: int) -> np.ndarray:
        """The pixels map `k` is shown with: (H, W, 4) RGBA."""
        return self._images[k].image

    @property
    def count(self) -> int:
        return max(self._count, 0)
