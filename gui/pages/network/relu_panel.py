"""The "Dying ReLU" tab: the share of never-positive units per layer over training, live, for a
ReLU net and the same net with Leaky ReLU, trained side by side with a too-high learning rate.

For ReLU a never-positive unit is dead: its gradient is 0 on every image, so it never learns
again. For Leaky ReLU the same count is the wrong measure of death: such a unit still passes a
gradient of 0.01 and can come back, so its plot is labelled "never positive, still learning"
and its dead (zero-gradient) share is 0. The page runs the job (relu_job.DyingReluJob); this
panel only draws what the events carry.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from engine.dying_relu import DeadUnitCurve
from gui import style
from gui.pages.network.relu_job import ACTIVATIONS, PAGE_CONFIG

LAYER_COLORS = ("#1f77b4", "#e6550d", "#2ca02c", "#9467bd", "#8c564b", "#d62728")
PLOT_TITLES = {
    "relu": "ReLU: dead (never positive, gradient 0)",
    "leaky_relu": "Leaky ReLU: never positive, still learning",
}
LAYER_NAMES = {"features.1": "conv 1", "features.4": "conv 2", "classifier.2": "fc 120",
               "classifier.5": "fc 84"}


class DeadSharePlot(pg.PlotWidget):
    """One activation's curves: % of never-positive units per layer against the training step."""

    def __init__(self, activation: str, parent=None):
        super().__init__(parent, enableMenu=False)
        self.activation = activation
        self.setMinimumSize(300, 220)
        plot = self.getPlotItem()
        plot.setTitle(PLOT_TITLES[activation])
        plot.setLabel("bottom", "training step")
        plot.setLabel("left", "% of units")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMouseEnabled(x=False, y=False)
        plot.setYRange(0, 100, padding=0.02)
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.addLegend(offset=(-5, -5), labelTextSize=f"{style.px('small')}px", verSpacing=-6)
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self._items: dict[str, pg.PlotDataItem] = {}
        plot.setXRange(0, PAGE_CONFIG.steps, padding=0.02)

    def clear_curves(self, steps: int) -> None:
        """Empty every layer's curve for a new run (reused, never destroyed: gui/__init__.py)."""
        for item in self._items.values():
            item.setData([], [])
        self.points.clear()
        self.getPlotItem().setXRange(0, steps, padding=0.02)

    def add(self, step: int, dead: dict[str, float]) -> None:
        for layer, share in dead.items():
            xs, ys = self.points.setdefault(layer, ([], []))
            xs.append(float(step))
            ys.append(100.0 * share)
            self._item(layer).setData(xs, ys)

    def show_curve(self, curve: DeadUnitCurve) -> None:
        """The whole run (step 0 included) in place of the live points."""
        for layer, shares in curve.dead.items():
            self.points[layer] = ([float(s) for s in curve.steps], [100.0 * v for v in shares])
            self._item(layer).setData(*self.points[layer])

    def _item(self, layer: str) -> pg.PlotDataItem:
        if layer not in self._items:
            color = LAYER_COLORS[len(self._items) % len(LAYER_COLORS)]
            self._items[layer] = self.getPlotItem().plot(
                [], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                symbolBrush=color, name=LAYER_NAMES.get(layer, layer))
        return self._items[layer]


class DyingReluPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.lr = QDoubleSpinBox(minimum=0.01, maximum=1.0, singleStep=0.05, decimals=2)
        self.lr.setToolTip("SGD learning rate (momentum 0.9) of both runs; too high on purpose. "
                           "Above about 0.25 the Leaky run's loss becomes NaN")
        self.start = QPushButton("Start")
        self.start.setToolTip("Train LeNet-5 with ReLU, then with Leaky ReLU (same seed, data and "
                              "learning rate), measuring the never-positive units as it goes")
        self.stop = QPushButton("Stop")
        self.stop.setToolTip("Stop the run at its next measurement")
        self.stop.setEnabled(False)
        self.plots = {a: DeadSharePlot(a) for a in ACTIVATIONS}
        for plot in self.plots.values():
            plot.setToolTip("Share of the layer's units (a conv unit: one channel at one "
                            "position) that are ≤ 0 on every one of 500 training images")
        self.results = {a: style.set_role(QLabel(""), "body", bold=True) for a in ACTIVATIONS}
        self.status = style.set_role(QLabel("Press Start."), "body")
        self.status.setWordWrap(True)
        self.note = style.set_role(QLabel(
            "A ReLU unit whose input is never positive outputs 0 with gradient 0 for every "
            "image: it is <b>dead</b> and never learns again. Leaky ReLU's gradient is never 0 "
            "(0.01 below zero), so “never positive” does not mean dead: its units keep learning "
            "and can come back; its dead share is 0."), "small")
        self.note.setWordWrap(True)
        self._layout()

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Learning rate"))
        controls.addWidget(self.lr)
        controls.addWidget(self.start)
        controls.addWidget(self.stop)
        controls.addWidget(self.status, 1)
        plots = QHBoxLayout()
        for activation in ACTIVATIONS:
            column = QVBoxLayout()
            column.addWidget(self.plots[activation], 1)
            column.addWidget(self.results[activation])
            plots.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)
        layout.addWidget(self.note)

    def set_running(self, running: bool) -> None:
        self.start.setEnabled(not running)
        self.stop.setEnabled(running)
        self.lr.setEnabled(not running)

    def begin(self, steps: int) -> None:
        for activation, plot in self.plots.items():
            plot.clear_curves(steps)
            self.results[activation].setText("")
        self.status.setText("Training with ReLU, then with Leaky ReLU…")

    def add_events(self, events) -> None:
        for event in events:
            plot = self.plots[event.activation]
            if event.kind == "curve":
                plot.show_curve(event.curve)
                self.results[event.activation].setText(result_text(event.curve))
            else:
                plot.add(event.step, event.dead)


def result_text(curve: DeadUnitCurve) -> str:
    """How one run ended, under its plot."""
    if curve.status == "diverged":
        return f"the loss became NaN after step {curve.steps[-1]}: lower the learning rate"
    last = max(curve.dead, key=lambda k: curve.dead[k][-1])
    share = 100 * curve.dead[last][-1]
    word = "dead" if curve.activation == "relu" else "never positive (still learning)"
    acc = "" if curve.test_accuracy != curve.test_accuracy else \
        f"test accuracy {curve.test_accuracy:.0%}; "
    return f"{acc}{share:.0f}% of {LAYER_NAMES.get(last, last)} {word}"
