"""`MapGrid`: many small 2-D maps (filters, feature maps) in one GraphicsLayoutWidget.

One view box and image per map, made once for a given count; updates only call `setImage`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.widgets.matrix_view import COLORMAPS


class MapGrid(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None, columns: int = 8, colormap: str = "gray"):
        super().__init__(parent)
        self.columns = columns
        self._cmap = COLORMAPS[colormap]()
        self._images: list[pg.ImageItem] = []
        self._labels: list[pg.LabelItem] = []
        self._count = -1
        self.setMinimumHeight(80)

    def _rebuild(self, count: int, titles: list[str] | None) -> None:
        self.clear()
        self._images, self._labels = [], []
        for k in range(count):
            if k and k % self.columns == 0:
                self.nextRow()
            cell = self.addLayout()
            label = cell.addLabel(titles[k] if titles else "", size="8pt")
            cell.nextRow()
            box = cell.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
            img = pg.ImageItem(axisOrder="row-major")
            img.setColorMap(self._cmap)
            box.addItem(img)
            self._images.append(img)
            self._labels.append(label)
        self._count = count

    def set_maps(self, maps: np.ndarray, levels: tuple[float, float] | str = "each",
                 titles: list[str] | None = None) -> None:
        """maps: (N, H, W). levels: a fixed (lo, hi), "each" (per map min/max) or "shared"."""
        maps = np.ascontiguousarray(maps, dtype=np.float32)
        maps = np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)
        if maps.shape[0] != self._count:
            self._rebuild(maps.shape[0], titles)
        elif titles:
            for label, t in zip(self._labels, titles):
                label.setText(t, size="8pt")
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
            img.setImage(m, levels=lv, autoLevels=False)

    @property
    def count(self) -> int:
        return max(self._count, 0)
