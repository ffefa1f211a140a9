"""The two plots of the Gradients-through-time page.

`GradientCurves`: ‖∂L/∂hₜ‖ against t on a log y-axis, one curve per cell (plain RNN grey, LSTM
orange, GRU green, as on the RNN page's memory race), with a legend. `ClipPlot`: every training
step's total gradient norm before clipping (thin) and after (thick), per cell, and the threshold
as a dashed line. Curves are made once; updates only call setData. Values that a log axis cannot
draw (0, NaN, ±inf) become gaps; `shown()` hands back exactly the numbers given.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt

from gui import style

CELL_COLORS = {"rnn": "#787878", "lstm": "#e67814", "gru": "#28963c"}
CELL_NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU"}
TITLE = "‖∂L/∂hₜ‖ on one sequence (log scale)"
MAX_CLIP_POINTS = 4000      # training steps the clipping plot keeps (the latest)


def drawable(values) -> np.ndarray:
    """float64 copy with everything a log axis cannot show (<= 0, NaN, inf) as NaN (a gap)."""
    v = np.array(values, dtype=np.float64)
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def _plot_style(plot: pg.PlotItem, title: str, bottom: str) -> None:
    plot.setTitle(title)
    plot.setLabel("bottom", bottom)
    plot.setLogMode(x=False, y=True)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.getAxis("bottom").enableAutoSIPrefix(False)


class GradientCurves(pg.PlotWidget):
    """‖∂L/∂hₜ‖₂ for t = 1..T, all cells on one log plot."""

    def __init__(self, cells=("rnn", "lstm", "gru"), parent=None):
        super().__init__(parent, enableMenu=False)
        self.setMinimumSize(300, 170)
        self.setToolTip("How much gradient of the loss (read at the last step T) reaches each "
                        "hidden state hₜ, on a log scale: a straight falling line to the left "
                        "is a gradient shrinking by the same factor at every step back")
        plot = self.getPlotItem()
        _plot_style(plot, TITLE, "time step t")
        # bottom right: vanishing curves rise to the right, exploding ones fall to ~1 there
        plot.addLegend(offset=(-8, -8), labelTextSize=f"{style.px('small')}px")
        self._values: dict[str, np.ndarray] = {}
        self._items = {cell: plot.plot([], [], pen=pg.mkPen(CELL_COLORS[cell], width=3),
                                       name=CELL_NAMES[cell], connect="finite")
                       for cell in cells}

    def sizeHint(self) -> QSize:
        # modest: the page's height for its width (word-wrapped labels) adds up the hints, and
        # in the window's scroll area a taller sum would scroll instead of fitting
        return QSize(600, 230)

    def set_norms(self, norms: dict[str, np.ndarray]) -> None:
        """{cell: (T,) norms}: each curve drawn over t = 1..T."""
        for cell, values in norms.items():
            values = np.asarray(values, dtype=np.float64).copy()
            self._values[cell] = values
            t = np.arange(1, len(values) + 1, dtype=np.float64)
            self._items[cell].setData(t, drawable(values))
        if norms:
            steps = max(len(v) for v in norms.values())
            self.getPlotItem().setXRange(1, max(steps, 2), padding=0.02)
        self.getPlotItem().setTitle(TITLE + self.overflow_note(), size=f"{style.px('title')}px")

    def overflow_note(self) -> str:
        """A red note naming the cells whose gradient is infinite / NaN somewhere (the log
        axis shows those steps as gaps), or ""."""
        notes = [f"{CELL_NAMES[c]} ∞ at {int(np.sum(~np.isfinite(v)))} of {len(v)} steps"
                 for c, v in self._values.items() if not np.isfinite(v).all()]
        return f' · <span style="color:#d62728">{", ".join(notes)}</span>' if notes else ""

    def shown(self, cell: str) -> np.ndarray:
        """The norms last given for `cell` (empty before any)."""
        return self._values.get(cell, np.zeros(0)).copy()

    def drawn(self, cell: str) -> tuple[np.ndarray, np.ndarray]:
        """(t, norm) as the curve item draws them (gaps as NaN)."""
        x, y = self._items[cell].getData()        # y in log10 units: the axis is logarithmic
        if x is None:
            return np.zeros(0), np.zeros(0)
        return np.asarray(x, dtype=np.float64), 10.0 ** np.asarray(y, dtype=np.float64)


class ClipPlot(pg.PlotWidget):
    """Total gradient norm of every update, before (thin) and after clipping (thick)."""

    def __init__(self, cells=("rnn", "lstm", "gru"), parent=None):
        super().__init__(parent, enableMenu=False)
        self.setMinimumSize(300, 120)
        self.setToolTip("Every training step's total gradient norm ‖g‖: thin before clipping, "
                        "thick after; the dashed line is the clipping threshold. Without "
                        "clipping both are the same")
        plot = self.getPlotItem()
        _plot_style(plot, "‖g‖ per update: thin before, thick after clipping", "training step")
        self._steps: list[int] = []
        self._before = {cell: [] for cell in cells}
        self._after = {cell: [] for cell in cells}
        self._items = {}
        for cell in cells:
            color = CELL_COLORS[cell]
            self._items[cell] = (
                plot.plot([], [], pen=pg.mkPen(color, width=1), connect="finite"),
                plot.plot([], [], pen=pg.mkPen(color, width=3), connect="finite"))
        self.threshold_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#d62728", width=2,
                                                                    style=Qt.DashLine))
        plot.addItem(self.threshold_line, ignoreBounds=True)

    def sizeHint(self) -> QSize:
        return QSize(600, 150)     # see GradientCurves.sizeHint

    def clear_steps(self, steps: int = 100) -> None:
        """No points; the axes show `steps` training steps and norms 10⁻² … 10² until data come."""
        self._steps.clear()
        for cell in self._items:
            self._before[cell].clear()
            self._after[cell].clear()
        self._redraw()
        plot = self.getPlotItem()
        plot.setXRange(0, max(steps, 2), padding=0.02)
        plot.setYRange(-2, 2, padding=0)          # log10 units
        plot.enableAutoRange(x=True, y=True)      # the first points take over

    def add_steps(self, events) -> None:
        """Append the BpttEvents of one batch from the worker."""
        for event in events:
            self._steps.append(event.step)
            for cell, result in event.results.items():
                self._before[cell].append(result.grad_norm)
                self._after[cell].append(result.grad_norm_clipped)
        if len(self._steps) > MAX_CLIP_POINTS:
            cut = len(self._steps) - MAX_CLIP_POINTS
            del self._steps[:cut]
            for cell in self._items:
                del self._before[cell][:cut]
                del self._after[cell][:cut]
        self._redraw()

    def _redraw(self) -> None:
        steps = np.array(self._steps, dtype=np.float64)
        for cell, (before, after) in self._items.items():
            before.setData(steps, drawable(self._before[cell]))
            after.setData(steps, drawable(self._after[cell]))

    def set_threshold(self, threshold: float | None) -> None:
        """Draw the threshold (None: clipping off, no line)."""
        self.threshold_line.setVisible(threshold is not None)
        if threshold is not None:
            self.threshold_line.setValue(np.log10(threshold))   # the axis is in log10 units

    def norms(self, cell: str) -> tuple[list[int], list[float], list[float]]:
        """(steps, norms before clipping, after) as plotted."""
        return list(self._steps), list(self._before[cell]), list(self._after[cell])
