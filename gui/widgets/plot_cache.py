"""Caching for plot parts that stay still while an animation moves markers over them.

pyqtgraph's AxisItem replays its ticks (and, with showGrid, the grid lines across the whole
plot) from a QPicture on every repaint; a marker line moving over the plot exposes the axes each
step, which costs several ms. A device-coordinate cache turns that into a pixmap blit; Qt redraws
the cache only when the axis itself changes (new range, resize).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem


def cache_axes(plot: pg.PlotItem | pg.PlotWidget) -> None:
    """Paint the plot's four axes (their ticks and grid lines) from a pixmap between changes."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

