"""Caching for plot parts that stay still while an animation moves markers over them.

pyqtgraph's AxisItem replays its ticks (and, with showGrid, the grid lines across the whole
plot) from a QPicture on every repaint; a marker line moving over the plot exposes the axes each
step, which costs several ms. A device-coordinate cache turns that into a pixmap blit; Qt redraws
the cache only when the axis itself changes (new range, resize).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView


def cache_axes(plot: pg.PlotItem | pg.PlotWidget) -> None:
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def paint_view(view: pg.GraphicsView, event, boxes) -> None:
    """`view`'s paintEvent, with pyqtgraph's prepare-for-paint step only when it has work.

    pyqtgraph's GraphicsView emits its scene's sigPrepareForPaint before every paint, and each
    ViewBox of the scene answers in Python (a deferred auto-range, a new view matrix). A view
    repainted on every stroke whose boxes have nothing deferred pays for that call chain each
    time (about 0.2 ms a stroke for the Draw page's three views, measured side by side). Only
    for views whose `boxes` are the scene's only listeners (no TextItem: it listens too); a box
    that does not say whether it has work gets the signal, as pyqtgraph would send it."""
    if any(getattr(box, "_matrixNeedsUpdate", True) or getattr(box, "_autoRangeNeedsUpdate", True)
           for box in boxes):
        view.scene().prepareForPaint()
    QGraphicsView.paintEvent(view, event)
