"""The Gates page's curves: P(positive) after each token, and the selected unit along the
sentence (its gates and states), both with the current token marked."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

from gui import style
from gui.pages.gates.heatmaps import TokenAxis
from gui.widgets.plot_cache import cache_axes   # axes change once per sentence, not per step

CURVE_COLORS = {"f": "#1f77b4", "i": "#2ca02c", "o": "#9467bd", "g": "#8c564b", "c": "#d62728",
                "h": "#111111", "r": "#1f77b4", "z": "#2ca02c", "n": "#8c564b",
                "pre_x": "#1f77b4", "pre_h": "#2ca02c"}


def set_token_ticks(plot: pg.PlotWidget, words: list[str]) -> None:
    plot.getAxis("bottom").setTicks([[(t, f"{t + 1} {w}") for t, w in enumerate(words)]])
    plot.setXRange(-0.5, len(words) - 0.5, padding=0.02)


class PredictionPlot(pg.PlotWidget):
    """P(positive) after each token so far; dashed: without the clamp."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": TokenAxis("bottom")}, enableMenu=False)
        self.setTitle("P(positive) after each token")
        cache_axes(self)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.25)
        self.setMinimumHeight(110)
        self.setYRange(-0.05, 1.15, padding=0)  # room for the value above the point
        self.getAxis("left").setTicks([[(v / 5, f"{v / 5:.1f}") for v in range(6)]])
        self.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("#999", style=Qt.DashLine)))
        self.original = self.plot(pen=pg.mkPen("#999999", width=2, style=Qt.DashLine))
        self.curve = self.plot(pen=pg.mkPen("#1f77b4", width=3), symbol="o", symbolSize=7,
                               symbolBrush="#1f77b4")
        self.point = pg.ScatterPlotItem(size=14, brush=pg.mkBrush("#ff8c00"), pen=pg.mkPen("k"))
        self.addItem(self.point)
        self.value = pg.TextItem(color="#b35900", anchor=(0.5, 1.3))
        self.value_font = None        # set when the presenter scale changes, not every step
        self.addItem(self.value)

    def show_until(self, t: int, probs: np.ndarray, original: np.ndarray | None) -> None:
        xs = np.arange(t + 1)
        self.curve.setData(xs, probs[:t + 1])
        self.original.setData(xs, original[:t + 1]) if original is not None else \
            self.original.setData([], [])
        p = float(probs[t])
        self.point.setData([t], [p])
        self.value.setText(f"{p:.2f}")
        font = style.font("big", bold=True)
        if font != self.value_font:
            self.value_font = font
            self.value.setFont(font)
        self.value.setAnchor((0.5, -0.4) if p > 0.75 else (0.5, 1.3))  # stay inside the plot
        self.value.setPos(t, p)

    def shown_probabilities(self) -> np.ndarray:
        return np.asarray(self.curve.getData()[1])


class UnitPlot(pg.PlotWidget):
    """The selected unit's gates and states along the whole sentence; the current token marked,
    each curve named in its colour in the title."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": TokenAxis("bottom")}, enableMenu=False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.25)
        self.setMinimumHeight(110)
        cache_axes(self)
        self._made: dict[str, pg.PlotCurveItem] = {}    # every curve made, by name
        self.curves: dict[str, pg.PlotCurveItem] = {}   # the cell type's, shown
        self.c_original = self._curve(pg.mkPen("#d62728", width=1.5, style=Qt.DashLine))
        self.line = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#ff8c00", width=2))
        self.addItem(self.line)

    def set_names(self, names: tuple[str, ...]) -> None:
        """Curves for `names` (a cell type's gates and states). Curves of other names are
        hidden and kept for when their cell type comes back (never destroyed: gui/__init__.py)."""
        for name, curve in self._made.items():
            curve.setVisible(name in names)
        for name in names:
            if name not in self._made:
                self._made[name] = self._curve(pg.mkPen(CURVE_COLORS[name], width=2))
        self.curves = {name: self._made[name] for name in names}

    def _curve(self, pen) -> pg.PlotCurveItem:
        """A curve drawn from a pixmap while only the token line moves over it (a step)."""
        curve = pg.PlotCurveItem(pen=pen)
        curve.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.addItem(curve)
        return curve

    def show_unit(self, unit: int, values: dict[str, np.ndarray],
                  c_original: np.ndarray | None) -> None:
        xs = np.arange(len(next(iter(values.values()))))
        for name, curve in self.curves.items():
            curve.setData(xs, values[name])
        shown = list(values.values())
        if c_original is not None:
            self.c_original.setData(xs, c_original)
            shown.append(c_original)
        else:
            self.c_original.setData([], [])
        lo = min(float(np.min(v)) for v in shown)
        hi = max(float(np.max(v)) for v in shown)
        span = max(hi - lo, 0.2)
        self.setYRange(lo - 0.05 * span, hi + 0.05 * span, padding=0)
        self.setTitle(self.title_html(unit, c_original is not None))

    def title_html(self, unit: int, clamped: bool) -> str:
        """The title names each curve in its colour: a legend inside a plot this short would
        cover the curves."""
        names = " ".join(f"<span style='color:{CURVE_COLORS[n]}'>&#9644; {n}</span>"
                         for n in self.curves)
        return (f"unit {unit}: {names}"
                + ("  (dashed: c without the clamp)" if clamped else ""))
