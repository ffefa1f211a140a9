"""`AccuracyCurves`: test accuracy after every epoch, one curve per run, on one plot.

From scratch (grey), frozen backbone + new head (blue), fine-tuned (orange), and the notes' two
stages, the head trained on the frozen base and then the last block unfrozen (green, its second
stage continuing the frozen curve). Curves are made once per run; events only append points.
The legend is the page's results line under the plot (`legend_html`): inside the plot it hid
the curves where they start.
"""
from __future__ import annotations

import pyqtgraph as pg

from gui import style

RUN_STYLE = {   # run -> (colour, legend text)
    "scratch": ("#7f7f7f", "from scratch"),
    "frozen": ("#1f77b4", "frozen backbone, new head"),
    "finetune": ("#e6550d", "fine-tuned (head + last block)"),
    "frozen+finetune": ("#2ca02c", "head first, then last block"),
}


def legend_html(run: str, text: str = "") -> str:
    color, label = RUN_STYLE.get(run, ("#000000", run))
    return f'<span style="color:{color}">■</span>&nbsp;{label}{text}'


class AccuracyCurves(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, enableMenu=False)
        self.setMinimumSize(260, 200)
        self.setToolTip("Test accuracy on the held-out shapes after every epoch, one curve per "
                        "run; all runs see the same labelled shapes")
        plot = self.getPlotItem()
        plot.setTitle("Test accuracy (%)")
        plot.setLabel("bottom", "epoch")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMouseEnabled(x=False, y=False)
        plot.setYRange(0, 100, padding=0.02)
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        self._points: dict[str, tuple[list[float], list[float]]] = {}
        self._items: dict[str, pg.PlotDataItem] = {}

    def show_epochs(self, epochs: int) -> None:
        """Fix the epoch axis to 1 .. `epochs` (before a run draws anything)."""
        self.getPlotItem().setXRange(0.5, max(epochs, 2) + 0.5, padding=0)

    def clear_runs(self, runs=None) -> None:
        """Take the curves of `runs` (all when None) off the plot."""
        for run in list(self._items if runs is None else runs):
            item = self._items.get(run)
            if item is not None:      # emptied and kept for the run's next curve
                item.setData([], [])  # (never destroyed: gui/__init__.py)
            self._points.pop(run, None)

    def add_epochs(self, events) -> None:
        """Append the epoch events (RunEvent) of a batch; step events are ignored."""
        touched = set()
        for event in events:
            if event.kind != "epoch":
                continue
            xs, ys = self._points.setdefault(event.run, ([], []))
            xs.append(float(event.epoch_offset + event.epoch + 1))
            ys.append(100.0 * event.test_accuracy)
            touched.add(event.run)
        for run in touched:
            self._item(run).setData(*self._points[run])

    def continue_from(self, run: str, source: str) -> None:
        """Start `run`'s curve at `source`'s last point (a second stage continues the first)."""
        xs, ys = self.curve(source)
        self._points[run] = (xs[-1:], ys[-1:])
        if xs:
            self._item(run).setData(xs[-1:], ys[-1:])

    def _item(self, run: str) -> pg.PlotDataItem:
        if run not in self._items:
            color = RUN_STYLE.get(run, ("#000000", run))[0]
            self._items[run] = self.getPlotItem().plot(
                [], [], pen=pg.mkPen(color, width=3), symbol="o", symbolSize=7,
                symbolBrush=color, symbolPen=None)
            style.polish(self)
        return self._items[run]

    def curve(self, run: str) -> tuple[list[float], list[float]]:
        """(epochs, accuracy %) of a run as plotted; empty when it has not run."""
        xs, ys = self._points.get(run, ([], []))
        return list(xs), list(ys)

    def runs(self) -> list[str]:
        """The runs with a curve on the plot."""
        return [run for run in self._items if run in self._points]
