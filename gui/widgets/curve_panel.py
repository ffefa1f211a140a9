"""`CurvePanel`: live loss and accuracy curves of a training run, in epochs along x.

Left plot: the loss of every step (thin) and the test loss at each epoch's end (dots).
Right plot: the running training accuracy within each epoch (thin), and the train and test
accuracy at each epoch's end (dots). Curves are made once; `add_events` only appends to plain
lists and calls `setData` once per plot item per batch of events.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from gui.widgets.plot_cache import cache_axes

TRAIN_COLOR = "#1f77b4"   # blue: training
TEST_COLOR = "#e6550d"    # orange: test set


class CurvePanel(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(300, 180)
        self.loss_plot = self.addPlot(title="Loss")
        self.acc_plot = self.addPlot(title="Accuracy (%)")
        for plot in (self.loss_plot, self.acc_plot):
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # epochs, never "x0.001"
            plot.setClipToView(True)                           # long runs: draw what is visible
            plot.setDownsampling(auto=True, mode="peak")       # ... at most ~one point per pixel
            cache_axes(plot)  # ranges stay put (see _grow_loss_range): axes and grid from a pixmap
            plot.titleLabel.item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # loss falls towards the bottom right, accuracy rises to the top right: keep legends clear
        for legend in (self.loss_plot.addLegend(offset=(-5, 5), labelTextSize="8pt", verSpacing=-6),
                       self.acc_plot.addLegend(offset=(-5, -30), labelTextSize="8pt")):
            legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # The loss axis only grows (never follows every new batch): a moving range would re-lay
        # out the axis, its ticks and the grid at every redraw.
        self.loss_plot.enableAutoRange(y=False)
        self._loss_top = 0.0
        self.acc_plot.setYRange(0, 100, padding=0.02)
        self.acc_plot.getViewBox().setLimits(yMin=-2, yMax=102)
        pen_step = pg.mkPen(TRAIN_COLOR, width=1)
        self.step_loss = self.loss_plot.plot([], [], pen=pen_step, name="train (step)")
        self.test_loss = self.loss_plot.plot([], [], pen=pg.mkPen(TEST_COLOR, width=2),
                                             symbol="o", symbolSize=7, symbolBrush=TEST_COLOR,
                                             name="test (epoch)")
        self.step_acc = self.acc_plot.plot([], [], pen=pen_step, name="train (running)")
        self.epoch_train_acc = self.acc_plot.plot([], [], pen=None, symbol="s", symbolSize=7,
                                                  symbolBrush=TRAIN_COLOR, name="train (epoch)")
        self.test_acc = self.acc_plot.plot([], [], pen=pg.mkPen(TEST_COLOR, width=2), symbol="o",
                                           symbolSize=7, symbolBrush=TEST_COLOR,
                                           name="test (epoch end)")
        # the legends' samples and labels are items of their own (a cache on the legend does
        # not cover them): each would be redrawn, line and symbol, on every update of the curves
        for plot in (self.loss_plot, self.acc_plot):
            for sample, label in plot.legend.items:
                sample.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.clear_curves()

    def clear_curves(self) -> None:
        self._loss_top = 0.0
        self._loss_max, self._loss_min = -math.inf, math.inf
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self._x, self._loss, self._acc = [], [], []
        self._ex, self._test_loss, self._train_acc, self._test_acc = [], [], [], []
        for item in self._items():
            item.setData([], [])

    def set_epochs(self, epochs: int) -> None:
        """Fix the x axis to the whole run, so axes are not re-laid out at every update."""
        for plot in (self.loss_plot, self.acc_plot):
            plot.setXRange(0, max(epochs, 1), padding=0.02)
            plot.enableAutoRange(x=False)

    def _items(self):
        return (self.step_loss, self.test_loss, self.step_acc, self.epoch_train_acc, self.test_acc)

    def add_events(self, events, steps_per_epoch: int) -> None:
        """Append TrainEvents ("step" and "epoch"); x = step / steps_per_epoch."""
        per_epoch = max(steps_per_epoch, 1)
        new_epoch = False
        new_losses = []
        for e in events:
            if e.kind == "step":
                self._x.append(e.step / per_epoch)
                self._loss.append(e.loss if math.isfinite(e.loss) else np.nan)
                new_losses.append(e.loss)
                self._acc.append(100 * e.accuracy)
            elif e.kind == "epoch":
                new_epoch = True
                self._ex.append(e.step / per_epoch)
                self._test_loss.append(e.test_loss)
                new_losses.append(e.test_loss)
                self._train_acc.append(100 * e.train_accuracy)
                self._test_acc.append(100 * e.test_accuracy)
        self._grow_loss_range(new_losses)
        if self._x:
            x = np.asarray(self._x, dtype=np.float64)
            self.step_loss.setData(x, np.asarray(self._loss), connect="finite")
            self.step_acc.setData(x, np.asarray(self._acc))
        if new_epoch:
            ex = np.asarray(self._ex)
            finite = np.isfinite(self._test_loss)
            self.test_loss.setData(ex[finite], np.asarray(self._test_loss)[finite])
            self.epoch_train_acc.setData(ex, np.asarray(self._train_acc))
            finite = np.isfinite(self._test_acc)
            self.test_acc.setData(ex[finite], np.asarray(self._test_acc)[finite])

    def _grow_loss_range(self, new_losses) -> None:
        """Loss axis from 0 to 5 % above the largest finite loss so far, in steps of a tenth.
        Only the new losses are looked at: a long run has tens of thousands of steps."""
        finite = [v for v in new_losses if math.isfinite(v)]
        if not finite:
            return
        self._loss_max = max(self._loss_max, max(finite))
        self._loss_min = min(self._loss_min, min(finite))
        top = math.ceil(self._loss_max * 1.05 * 10) / 10
        if top > self._loss_top:
            self._loss_top = top
            self.loss_plot.setYRange(min(0.0, self._loss_min), top, padding=0.02)

    def point_counts(self) -> dict[str, int]:
        """How many points each curve shows (for tests)."""
        names = ("step_loss", "test_loss", "step_acc", "epoch_train_acc", "test_acc")
        return {n: len(item.getData()[0] if item.getData()[0] is not None else [])
                for n, item in zip(names, self._items())}
