"""`CurvePanel`: live loss and accuracy curves of a training run, in epochs along x.

Left plot: the loss of every step (thin) and the test loss at each epoch's end (dots).
Right plot: the running training accuracy within each epoch (thin), and the train and test
accuracy at each epoch's end (dots). Curves are made once; `add_events` only appends to plain
lists and calls `setData` once per plot item per batch of events.

Earlier runs stay on the plots, faded, their settings in a legend row under both plots
(`start_run(epochs, label)`; the plots' own legends are too narrow for a recipe), until
`clear_previous()`; `history()` / `show_history()` put a run's curves into a
checkpoint and back.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem, QSizePolicy

from gui import style
from gui.widgets.plot_cache import cache_axes

TRAIN_COLOR = "#1f77b4"   # blue: training
TEST_COLOR = "#e6550d"    # orange: test set
PREVIOUS_COLORS = ("#9aa5b8", "#c7a88f", "#a3b89a")   # faded, one per earlier run
MAX_PREVIOUS = 3          # earlier runs kept on the plots
MAX_STORED_STEPS = 2000   # step points a checkpoint keeps (every k-th when there are more)


class RunsLegend(pg.GraphicsWidget):
    """The earlier runs' lines under the plots, in a box MAX_PREVIOUS lines high that asks for
    no width: a further run's line changes no geometry, so the plots keep theirs and their
    cached axes (pg.LabelItem asks for its text's size at every change: each new line re-laid
    out both plots and drew all four axes anew in the Start click)."""

    def __init__(self, pixel_size: int):
        super().__init__()
        font = QFont()
        font.setPixelSize(pixel_size)
        self.label = QGraphicsTextItem(self)
        self.label.setFont(font)
        self.label.setDefaultTextColor(pg.mkColor(pg.getConfigOption("foreground")))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(0)
        self.setFixedHeight(QFontMetricsF(font).lineSpacing() * MAX_PREVIOUS + 8)
        self._html = ""

    def setText(self, html: str) -> None:
        if html != self._html:
            self._html = html
            self.label.setHtml(html)

    def text(self) -> str:
        return self._html


class CurvePanel(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(300, 180)
        self.loss_plot = self.addPlot(title="Loss", enableMenu=False)
        self.acc_plot = self.addPlot(title="Accuracy (%)", enableMenu=False)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # epochs, never "x0.001"
            plot.setClipToView(True)                           # long runs: draw what is visible
            plot.setDownsampling(auto=True, mode="peak")       # ... at most ~one point per pixel
            cache_axes(plot)  # ranges stay put (see _grow_loss_range): axes and grid from a pixmap
        # loss falls towards the bottom right, accuracy rises to the top right: keep legends clear
        size = f"{style.px('small')}px"
        self.loss_plot.addLegend(offset=(-5, 5), labelTextSize=size, verSpacing=-6)
        self.acc_plot.addLegend(offset=(-5, -30), labelTextSize=size, verSpacing=-6)
        # The loss axis only grows (never follows every new batch): a moving range would re-lay
        # out the axis, its ticks and the grid at every redraw.
        self.loss_plot.enableAutoRange(y=False)
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
        # earlier runs: a colour swatch and the run's settings each, under both plots (added to
        # the layout only while there are any)
        self.runs_legend = RunsLegend(style.px("small"))
        self._previous: list[tuple[str, list]] = []      # (label, its faded items), oldest first
        self._spare: list[list] = []       # faded items of cleared runs, hidden, to reuse
        self._epochs = 1
        self.clear_curves()

    # -- runs -----------------------------------------------------------------------------------
    def clear_curves(self) -> None:
        """Empty the current run's curves (earlier runs stay)."""
        self._loss_top = 0.0
        self._loss_max, self._loss_min = -math.inf, math.inf
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self._x, self._loss, self._acc = [], [], []
        self._ex, self._test_loss, self._train_acc, self._test_acc = [], [], [], []
        for item in self._items():
            item.setData([], [])

    def start_run(self, epochs: int, label: str = "") -> None:
        """A new run of `epochs`: the current curves (if any) become a faded earlier run named
        `label` (e.g. its settings), at most MAX_PREVIOUS are kept."""
        if self._x and label:
            self._keep_as_previous(label)
        self.clear_curves()
        # wide enough for the earlier runs' curves (a run stopped early: as far as it got)
        shown = max((items[0].getData()[0][-1] for _label, items in self._previous
                     if items[0].getData()[0] is not None and len(items[0].getData()[0])),
                    default=1)
        self.set_epochs(max(epochs, math.ceil(shown)))
        self._grow_loss_range([v for _, items in self._previous
                               for v in items[0].getData()[1] if math.isfinite(v)])

    def _keep_as_previous(self, label: str) -> None:
        used = {items[0].opts["pen"].color().name() for _label, items in self._previous[-2:]}
        color = next((c for c in PREVIOUS_COLORS if c not in used), PREVIOUS_COLORS[0])
        pen = pg.mkPen(color, width=1)
        x = np.asarray(self._x)
        if len(self._previous) >= MAX_PREVIOUS:   # the oldest run's items take the new curves
            _old, (loss, acc) = self._previous.pop(0)
            loss.setPen(pen)
            acc.setPen(pen)
            loss.setData(x, np.asarray(self._loss), connect="finite")
            acc.setData(x, np.asarray(self._acc))
        elif self._spare:                            # curves of runs cleared before
            loss, acc = self._spare.pop()
            loss.setPen(pen)
            acc.setPen(pen)
            loss.setData(x, np.asarray(self._loss), connect="finite")
            acc.setData(x, np.asarray(self._acc))
            loss.show()
            acc.show()
        else:
            loss = self.loss_plot.plot(x, np.asarray(self._loss), pen=pen, connect="finite")
            acc = self.acc_plot.plot(x, np.asarray(self._acc), pen=pen)
            for item in (loss, acc):
                item.setZValue(-1)
        for item in (loss, acc):
            item.setObjectName(f"earlier run: {label}")   # its name in a CSV export
        self._previous.append((label, [loss, acc]))
        self._show_runs_legend()

    def _show_runs_legend(self) -> None:
        lines = [f"<span style='color:{items[0].opts['pen'].color().name()}'>━━</span> "
                 f"{label}" for label, items in self._previous]
        self.runs_legend.setText("<br>".join(lines))
        in_layout = self.runs_legend.scene() is not None
        if lines and not in_layout:
            self.addItem(self.runs_legend, row=1, col=0, colspan=2)
        elif not lines and in_layout:
            self.removeItem(self.runs_legend)

    def clear_previous(self) -> None:
        """Remove the faded earlier runs. Their curves are emptied, hidden and kept for the
        next runs (never destroyed: see gui/__init__.py)."""
        for _label, items in self._previous:
            for item in items:
                item.setData([], [])
                item.hide()
            self._spare.append(items)
        self._previous = []
        self._show_runs_legend()

    def runs_legend_text(self) -> str:
        """The legend of the earlier runs as plain text, one line each (for tests)."""
        text = self.runs_legend.text().replace("<br>", "\n")
        return "\n".join(line.split("</span> ", 1)[-1] for line in text.split("\n") if line)

    def previous_runs(self) -> list[str]:
        """The labels of the earlier runs shown, oldest first."""
        return [label for label, _items in self._previous]

    def set_epochs(self, epochs: int) -> None:
        """Fix the x axis to the whole run, so axes are not re-laid out at every update."""
        self._epochs = max(int(epochs), 1)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setXRange(0, self._epochs, padding=0.02)
            plot.enableAutoRange(x=False)

    def _items(self):
        return (self.step_loss, self.test_loss, self.step_acc, self.epoch_train_acc, self.test_acc)

    # -- events ---------------------------------------------------------------------------------
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
            self._show_epochs()

    def _show_epochs(self) -> None:
        ex = np.asarray(self._ex, dtype=np.float64)
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

    # -- checkpoints ----------------------------------------------------------------------------
    def history(self) -> dict:
        """The current run's curves as plain lists (JSON-able, for a checkpoint's metadata);
        at most MAX_STORED_STEPS step points (every k-th)."""
        k = max(1, math.ceil(len(self._x) / MAX_STORED_STEPS))

        def plain(values):
            return [float(v) if math.isfinite(v) else None for v in values]

        return {"epochs": self._epochs, "x": plain(self._x[::k]), "loss": plain(self._loss[::k]),
                "accuracy": plain(self._acc[::k]), "epoch_x": plain(self._ex),
                "test_loss": plain(self._test_loss), "train_accuracy": plain(self._train_acc),
                "test_accuracy": plain(self._test_acc)}

    def show_history(self, history: dict | None) -> bool:
        """Show curves stored by `history()` as the current run (earlier runs stay); None or a
        damaged table empties them. Returns whether curves were shown."""
        self.clear_curves()
        try:
            columns = {key: [math.nan if v is None else float(v) for v in history[key]]
                       for key in ("x", "loss", "accuracy", "epoch_x", "test_loss",
                                   "train_accuracy", "test_accuracy")}
            epochs = int(history.get("epochs", 1))
        except (TypeError, KeyError, ValueError, AttributeError):
            return False
        if len(columns["x"]) != len(columns["loss"]) or len(columns["x"]) != len(columns["accuracy"]):
            return False
        self.set_epochs(epochs)
        self._x, self._loss, self._acc = columns["x"], columns["loss"], columns["accuracy"]
        self._ex, self._test_loss = columns["epoch_x"], columns["test_loss"]
        self._train_acc, self._test_acc = columns["train_accuracy"], columns["test_accuracy"]
        if not len(self._ex) == len(self._test_loss) == len(self._train_acc) == len(self._test_acc):
            self.clear_curves()
            return False
        self._grow_loss_range(self._loss + self._test_loss)
        x = np.asarray(self._x, dtype=np.float64)
        self.step_loss.setData(x, np.asarray(self._loss), connect="finite")
        self.step_acc.setData(x, np.asarray(self._acc))
        self._show_epochs()
        return True

    def point_counts(self) -> dict[str, int]:
        """How many points each curve shows (for tests)."""
        names = ("step_loss", "test_loss", "step_acc", "epoch_train_acc", "test_acc")
        return {n: len(item.getData()[0] if item.getData()[0] is not None else [])
                for n, item in zip(names, self._items())}
