"""`ColourBar`: a vertical colour bar, the colour map's colours from the low level (bottom) to
the high level (top), its values on the right axis.

pyqtgraph's `ColorBarItem` draws the same bar, but its constructor makes a context menu for its
view box and then destroys it (`setMenuEnabled(False)` after the fact). Destroying a menu while
the app runs segfaulted in PySide6 6.11 (gdb: Shiboken's releaseWrapper, freeing a ViewBoxMenu's
actions), so the app's plots are all made with `enableMenu=False`, and this bar too.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem


class ColourBar(pg.PlotItem):
    def __init__(self, colormap: pg.ColorMap, levels=(0.0, 1.0), width: int = 10):
        super().__init__(enableMenu=False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.disableAutoRange()
        self.setRange(xRange=(0, 1), yRange=(0, 256), padding=0)
        self.layout.setColumnFixedWidth(1, width)
        for key in ("left", "right", "top", "bottom"):       # a frame round the bar
            self.showAxis(key)
            axis = self.getAxis(key)
            axis.setZValue(0.5)
            if key != "right":
                axis.setTicks([])
                axis.setStyle(showValues=False)
        self.axis = self.getAxis("right")
        self.axis.setWidth(45)
        self.axis.unlinkFromView()               # it shows the levels, not the bar's 0..256
        self.bar = QGraphicsPixmapItem()
        self.bar.setShapeMode(QGraphicsPixmapItem.BoundingRectShape)
        self.addItem(self.bar)
        self.colormap = colormap
        rgba = np.ascontiguousarray(colormap.getLookupTable(nPts=256, alpha=True), np.uint8)
        image = QImage(rgba.data, 1, 256, 4, QImage.Format_RGBA8888)   # row 0: the low colour
        self.bar.setPixmap(QPixmap.fromImage(image))          # (the pixmap is a copy)
        self._images: list[pg.ImageItem] = []
        self._levels = (0.0, 1.0)
        self.set_levels(levels)

    def attach(self, image: pg.ImageItem, insert_in: pg.PlotItem | None = None) -> None:
        """Colour `image` with this bar's colour map and levels; `insert_in` places the bar in
        that plot's layout, right of its right-hand axis."""
        self._images.append(image)
        image.setColorMap(self.colormap)
        image.setLevels(self._levels)
        if insert_in is not None:
            insert_in.layout.addItem(self, 2, 5)
            insert_in.layout.setColumnFixedWidth(4, 5)

    def set_levels(self, levels) -> None:
        """The values (low, high) at the bottom and the top of the bar (and of its images)."""
        self._levels = (float(levels[0]), float(levels[1]))
        self.axis.setRange(*self._levels)
        for image in self._images:
            image.setLevels(self._levels)

    def levels(self) -> tuple[float, float]:
        return self._levels
