"""What the Train a CNN page shows of a run: curves and the confusion matrix side by side, and
below them, in tabs, the predictions on fixed test images, the first-layer filters and the
feature maps of one test image.

`RunViews.draw(events, staged)` takes the worker's events (numpy copies): the curves now, the
heavier views one per pass of the event loop (`staged`), so no single slot holds the window for
long while the worker trains (benchmarks/train_overhead.py's longest-stall figure).
Earlier runs' curves stay faded under the current one (`CurvePanel.start_run`) until the
"Clear earlier runs" button; a loaded checkpoint shows its own stored curves and confusion
matrix (`show_checkpoint`).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGroupBox, QHBoxLayout, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from engine.cnn_snapshot import first_conv, first_layer_filters
from gui.widgets.compact_map_grid import CompactMapGrid
from gui.widgets.curve_panel import CurvePanel
from gui.widgets.live_label import LiveLabel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.prediction_grid import PredictionGrid

MAX_MAPS = 16      # feature maps shown of the first conv block


def grid_columns(count: int) -> int:
    """Grid columns for `count` small maps: two rows (bigger maps), never more than 8 across."""
    return count if count <= 3 else min(8, math.ceil(count / 2))


def epoch_note(epoch: int, accuracy: float) -> str:
    """What the confusion matrix's note says after `epoch` (counted from 0)."""
    return f"After epoch {epoch + 1}: test accuracy {accuracy:.1%}."


def boxed(title: str, *widgets: QWidget, horizontal: bool = False) -> QGroupBox:
    box = QGroupBox(title)
    lay = QHBoxLayout(box) if horizontal else QVBoxLayout(box)
    lay.setContentsMargins(4, 4, 4, 4)
    for w in widgets:
        lay.addWidget(w, 1 if w is widgets[-1] else 0)
    return box


class RunViews(QWidget):
    """Everything the page draws of a run (or of a loaded checkpoint); it computes nothing."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.classes: list[str] = [str(k) for k in range(10)]
        self.confusion: np.ndarray | None = None   # the matrix shown (None: covered, none yet)
        self._tick_classes: list[str] | None = None  # the classes the matrix's axes name
        self.curves = CurvePanel()
        self.clear_runs_button = QPushButton("Clear earlier runs")
        self.clear_runs_button.setToolTip("Remove the faded curves of earlier runs")
        self.clear_runs_button.clicked.connect(self.clear_earlier_runs)
        self.clear_runs_button.setEnabled(False)
        self.confusion_view = MatrixView(colormap="viridis", number_format="{:.0f}", axes=True)
        self.confusion_view.plot.setLabel("left", "true class")
        self.confusion_view.plot.setLabel("bottom", "predicted class")
        self.confusion_view.setToolTip("Row: the true class of a test image; column: what the "
                                       "model said. The diagonal holds the right answers.")
        for side in ("left", "bottom"):
            self.confusion_view.plot.getAxis(side).enableAutoSIPrefix(False)
        # which epoch it shows, in a label that cannot re-lay-out the page (a growing box
        # title resized the curves beside it, whose axes were then drawn anew)
        self.confusion_note = LiveLabel("Appears at the end of epoch 1.", min_width=120)
        self.filter_grid = CompactMapGrid(columns=8)
        self.filter_grid.setToolTip("The first layer's weights, each filter on its own scale "
                                    "(dark: negative, bright: positive)")
        self.sample_view = MatrixView(colormap="gray", show_numbers=False)
        self.sample_view.setMinimumSize(90, 90)
        self.sample_view.setMaximumWidth(140)
        self.sample_view.setToolTip("The test image whose feature maps are shown")
        self.map_grid = CompactMapGrid(columns=6, colormap="magma")
        self.map_grid.setToolTip("The first conv block's output (after ReLU) for the image on "
                                 "the left, all maps on one scale")
        self.prediction_grid = PredictionGrid(columns=8)
        self.prediction_grid.setToolTip("Fixed test images with the model's guess: ✓ green "
                                        "right, ✗ red wrong (then the true class)")

        self.confusion_box = boxed("Confusion matrix (test set)", self.confusion_note,
                                   self.confusion_view)
        self.maps_page = boxed("", self.sample_view, self.map_grid, horizontal=True)
        self.maps_page.setFlat(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.prediction_grid, "Predictions")
        self.tabs.addTab(self.filter_grid, "First-layer filters")
        self.tabs.addTab(self.maps_page, "Feature maps")
        self.tabs.setToolTip("What the network does with test images, updated about once a second")
        curves_box = boxed("Loss and accuracy", self.curves)
        curves_box.layout().insertWidget(0, self.clear_runs_button, 0, Qt.AlignRight)
        top = QSplitter(Qt.Horizontal)
        top.addWidget(curves_box)
        top.addWidget(self.confusion_box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._staged: list = []
        self._stage_timer = QTimer(self, singleShot=True, interval=0, timeout=self.run_stage)

    # -- a run's events -------------------------------------------------------------------------
    def start_run(self, classes: list[str], epochs: int, label: str) -> None:
        """A new run: the last one's curves fade (named by `label`), everything else empties."""
        self._staged.clear()
        self._stage_timer.stop()
        self.curves.start_run(epochs, label)
        self.clear_runs_button.setEnabled(bool(self.curves.previous_runs()))
        self.set_classes(classes)
        self.confusion_note.setText("Appears at the end of epoch 1.")

    def clear_earlier_runs(self) -> None:
        self.curves.clear_previous()
        self.clear_runs_button.setEnabled(False)

    def idle(self) -> bool:
        """Nothing left to draw of the events received."""
        return not self._staged and not self._stage_timer.isActive()

    def draw(self, events, steps_per_epoch: int, staged: bool = True) -> None:
        """The curves now; the snapshot views and the confusion matrix one per event-loop pass
        (`staged`), or all now (the run's end)."""
        if events:
            self.curves.add_events(events, steps_per_epoch)
            snapshots = [e.snapshot for e in events if e.snapshot is not None]
            first = next((snap for snap in snapshots if "info" in snap), None)
            if first is not None:
                self._staged.append(functools.partial(self.show_samples, first))
            if snapshots:
                snap = snapshots[-1]
                self._staged += [functools.partial(self.show_filters, snap["filters"], "maps" in snap),
                                 functools.partial(self.show_maps, snap.get("maps")),
                                 functools.partial(self.prediction_grid.set_predictions,
                                                   snap["predicted"], snap["probability"])]
            for e in events:
                if e.kind == "epoch" and e.confusion is not None:
                    self._staged.append(functools.partial(
                        self.show_confusion, e.confusion, epoch_note(e.epoch, e.test_accuracy)))
        if not staged:
            self._stage_timer.stop()
            while self._staged:
                self._staged.pop(0)()
        elif self._staged and not self._stage_timer.isActive():
            self._stage_timer.start()

    def run_stage(self) -> None:
        """Draw the next staged view (one per pass of the event loop)."""
        if self._staged:
            self._staged.pop(0)()
        if self._staged:
            self._stage_timer.start()

    # -- the single views -----------------------------------------------------------------------
    def show_samples(self, snap: dict) -> None:
        """The first snapshot of a run carries the fixed images and the dataset's info."""
        self.classes = list(snap["info"].classes)
        sample = snap["sample"]
        if sample.shape[0] == 3:
            self.sample_view.set_rgb(sample.transpose(1, 2, 0))
        else:
            self.sample_view.set_matrix(sample[0], levels=(0.0, 1.0))
        self.prediction_grid.set_samples(snap["images"], snap["truth"], self.classes)

    def show_filters(self, filters: np.ndarray, has_maps: bool = True) -> None:
        """(N, k, k) weights, each on its own scale, or (N, k, k, 3) RGB already in [0, 1]."""
        self.filter_grid.columns = grid_columns(len(filters))
        self.filter_grid.set_maps(filters, levels=(0.0, 1.0) if filters.ndim == 4 else "each")
        self.tabs.setTabText(1, "First-layer filters" if has_maps else
                             "Hidden units' weights (an MLP's 'filters')")

    def show_maps(self, maps: np.ndarray | None) -> None:
        if maps is None:
            self.map_grid.set_maps(np.zeros((0, 1, 1), np.float32))
            self.tabs.setTabText(2, "Feature maps (an MLP has none)")
            return
        maps = maps[:MAX_MAPS]
        self.map_grid.columns = grid_columns(len(maps))
        self.map_grid.set_maps(maps, levels="shared")
        self.tabs.setTabText(2, "Feature maps (first conv block)")

    def prepare_for(self, model: torch.nn.Module, input_shape) -> None:
        """Build the filter and map grids for this network now, empty: built by a run's first
        snapshot, they held the window for tens of ms just after Start."""
        count = len(first_layer_filters(model, tuple(input_shape)))
        self.filter_grid.columns = grid_columns(count)
        self.filter_grid.prepare(count)
        conv = first_conv(model)
        maps = min(conv.out_channels, MAX_MAPS) if conv is not None else 0
        self.map_grid.columns = grid_columns(maps)
        self.map_grid.prepare(maps)

    def set_classes(self, classes: list[str]) -> None:
        """Class names on the confusion matrix's axes, every cell covered until an epoch ends."""
        self.classes = list(classes)
        if self.classes != self._tick_classes:   # new ticks: both axes drawn anew
            self._tick_classes = list(self.classes)
            left = [(k + 0.5, c if c == str(k) else f"{c} {k}") for k, c in enumerate(classes)]
            bottom = [(k + 0.5, str(k)) for k in range(len(classes))]
            self.confusion_view.plot.getAxis("left").setTicks([left])
            self.confusion_view.plot.getAxis("bottom").setTicks([bottom])
        k = len(self.classes)
        self.confusion = None
        self.confusion_view.set_matrix(np.zeros((k, k)), levels=(0.0, 1.0),
                                       mask=np.zeros((k, k), bool))

    def show_confusion(self, confusion: np.ndarray, note: str) -> None:
        confusion = np.asarray(confusion)
        self.confusion = confusion.copy()
        self.confusion_view.set_matrix(confusion, levels=(0.0, float(max(confusion.max(), 1))))
        self.confusion_note.setText(note)

    def show_checkpoint(self, model: torch.nn.Module, meta: dict, classes: list[str],
                        input_shape, shown_label: str = "") -> str:
        """A loaded checkpoint: its own curves and last confusion matrix when it stored them
        (else both empty), its filters; predictions and maps empty (they belong to a run).
        The curves shown until now fade as an earlier run named `shown_label` (none: dropped).
        Returns what the confusion note says."""
        self._staged.clear()
        self._stage_timer.stop()
        self.curves.start_run(1, shown_label)
        self.clear_runs_button.setEnabled(bool(self.curves.previous_runs()))
        self.set_classes(classes)
        history = meta.get("history")
        self.curves.show_history(history if isinstance(history, dict) else None)
        confusion = meta.get("confusion")
        k = len(classes)
        try:
            confusion = np.asarray(confusion, dtype=np.int64)
            if confusion.shape != (k, k):
                raise ValueError
        except (TypeError, ValueError):
            confusion = None
        if confusion is not None:
            accuracy = np.trace(confusion) / max(int(confusion.sum()), 1)
            note = f"Checkpoint: test accuracy {accuracy:.1%}."
            self.show_confusion(confusion, note)
        else:
            note = "This checkpoint stores no confusion matrix: train to see one."
            self.confusion_note.setText(note)
        shape = tuple(int(s) for s in input_shape)
        self.prepare_for(model, shape)
        self.show_filters(first_layer_filters(model, shape), first_conv(model) is not None)
        self.prediction_grid.set_samples(np.zeros((0,) + shape, np.float32), np.zeros(0), classes)
        return note
