"""`SignalDemoPanel`: a small net learns a signal in the background; prediction vs truth moves.

Tasks (engine.signals.TASKS): forecasting the next sample at every step (many-to-many), the same
with a feed-forward net that sees one sample at a time (one-to-one, for contrast: on a sine it
cannot tell rising from falling), and tagging every sample as rising or falling (many-to-many).
Training runs in `TrainRunner`; every few steps a snapshot of the model's outputs over the whole
signal redraws the prediction curve, so the fit is seen improving.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from engine.signals import SIGNAL_KINDS, TASKS, SignalConfig, make_signal_task, make_task_model
from engine.train import TrainConfig, fit
from gui import style
from gui.workers import TrainRunner

TAG_BRUSHES = [pg.mkBrush(40, 110, 220), pg.mkBrush(220, 70, 40)]  # falling, rising


class SignalDemoPanel(QWidget):
    def __init__(self, page, tasks=("forecast", "tag"), intro: str = ""):
        super().__init__()
        self.page = page
        self.task = None
        self.last_snapshot: dict | None = None
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)

        self.task_combo = QComboBox()
        for key in tasks:
            self.task_combo.addItem(TASKS[key], key)
        self.task_combo.setVisible(len(tasks) > 1)
        self.task_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.task_combo.setToolTip("Forecast: guess the next sample at every step; tag: say at "
                                   "every step whether the wave rises or falls next")
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(SIGNAL_KINDS)
        self.noise_spin = QDoubleSpinBox(minimum=0.0, maximum=0.5, singleStep=0.02, value=0.03)
        self.kind_combo.setToolTip("The wave the net learns")
        self.noise_spin.setToolTip("Standard deviation of the Gaussian noise added to every sample")
        self.cell_combo = QComboBox()
        for key, label in (("gru", "GRU"), ("lstm", "LSTM"), ("rnn", "RNN")):
            self.cell_combo.addItem(label, key)
        self.hidden_spin = QSpinBox(minimum=2, maximum=64, value=16)
        self.steps_spin = QSpinBox(minimum=20, maximum=3000, value=300, singleStep=50)
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.cell_combo.setToolTip("The recurrent layer that reads the signal (the one-to-one "
                                   "net has none)")
        self.hidden_spin.setToolTip("Hidden units: the length of h_t (the one-to-one net: units "
                                    "of its hidden layer)")
        self.steps_spin.setToolTip("Training steps, one batch of 8 windows each")
        self.train_button.setToolTip("Train from random weights (seeded); the prediction is "
                                     "redrawn as it learns")
        self.stop_button.setToolTip("Stop training; the last prediction stays")
        self.score_label = style.set_role(
            QLabel("Press Train: the net starts from random weights."), "title")
        self.score_label.setWordWrap(True)

        self.plot = pg.PlotWidget(enableMenu=False)
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.plot.setLabel("bottom", "time step t")
        self.truth_curve = self.plot.plot(pen=pg.mkPen((90, 90, 90), width=2), name="truth")
        self.pred_curve = self.plot.plot(pen=pg.mkPen((230, 120, 20), width=2.5), name="prediction")
        self.tag_points = pg.ScatterPlotItem(size=7, pen=None)    # (not in the legend)
        self.plot.addItem(self.tag_points)
        self.split_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((0, 150, 0), width=2, style=Qt.DashLine),
                                          label="test part →", labelOpts={"position": 0.95, "color": (0, 120, 0)})
        self.plot.addItem(self.split_line)

        row = QHBoxLayout()
        for label, w in (("signal", self.kind_combo), ("noise", self.noise_spin),
                         ("cell", self.cell_combo), ("hidden", self.hidden_spin),
                         ("steps", self.steps_spin)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.train_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        if intro:
            text = QLabel(intro)
            text.setWordWrap(True)
            layout.addWidget(text)
        layout.addWidget(self.task_combo, 0, Qt.AlignLeft)
        layout.addLayout(row)
        layout.addWidget(self.score_label)
        layout.addWidget(self.plot, 1)

        self.train_button.clicked.connect(self.train)
        self.stop_button.clicked.connect(self.runner.stop)
        self.task_combo.currentIndexChanged.connect(self._on_settings_changed)
        self.kind_combo.currentIndexChanged.connect(self._on_settings_changed)
        self.noise_spin.valueChanged.connect(self._on_settings_changed)
        self._on_settings_changed()

    def _make_task(self):
        cfg = SignalConfig(self.kind_combo.currentText(), 400, period=32.0,
                           noise=self.noise_spin.value(), seed=0)
        return make_signal_task(self.task_combo.currentData(), cfg, seq_len=40)

    def _on_settings_changed(self, *_args) -> None:
        if self.runner.running:
            self.runner.stop_and_wait()
        self.task = self._make_task()
        # the legend names the curve only when it is drawn; its entry is hidden, not removed
        # (a removed entry would be destroyed: see gui/__init__.py)
        for sample, label in self.legend.items:
            if sample.item is self.pred_curve:
                sample.setVisible(self.task.task != "tag")
                label.setVisible(self.task.task != "tag")
        self.last_snapshot = None
        self.cell_combo.setEnabled(self.task.task != "one_sample")
        t = np.arange(len(self.task.signal))
        self.truth_curve.setData(t, self.task.signal)
        self.pred_curve.setData([], [])
        self.tag_points.setData([], [])
        self.split_line.setValue(self.task.split)
        self.score_label.setText("Press Train: the net starts from random weights.")

    def train(self) -> bool:
        if self.runner.running:
            return False
        self.task = self._make_task()
        model = make_task_model(self.task.task, self.cell_combo.currentData(), self.hidden_spin.value())
        cfg = TrainConfig(lr=1e-2, batch_size=8, epochs=10_000, max_steps=self.steps_spin.value(),
                          loss=self.task.loss, snapshot_every=10, seed=0, device="cpu")
        self.model = model
        self.runner.start(functools.partial(fit, cfg, model, self.task.train_data(), None,
                                            snapshot_fn=self.task.snapshot))
        return True

    def _on_progress(self, events) -> None:
        snaps = [e for e in events if e.snapshot is not None]
        if snaps:
            self.show_snapshot(snaps[-1].snapshot, snaps[-1].step, snaps[-1].total_steps)

    def show_snapshot(self, snap: dict, step: int, total: int) -> None:
        self.last_snapshot = snap
        t = np.arange(1, len(self.task.signal))  # output t is about sample t+1
        pred = snap["pred"]
        if self.task.task == "tag":
            self.pred_curve.setData([], [])
            self.tag_points.setData(t, self.task.signal[1:], brush=[TAG_BRUSHES[int(k)] for k in pred])
            what = (f"tag accuracy on the test part: {snap['test_score']:.1%} "
                    "(each sample coloured by the guess for the move into it: red rising, "
                    "blue falling)")
        else:
            self.tag_points.setData([], [])
            self.pred_curve.setData(t, pred)
            what = f"mean squared error on the test part: {snap['test_score']:.4f}"
        self.score_label.setText(f"step {step} / {total}: {what}")

    def _on_finished(self, result) -> None:
        if result.status == "diverged":
            self.page.notify(result.message, "error")
        elif self.last_snapshot is not None and math.isfinite(self.last_snapshot["test_score"]):
            self.page.notify(f"{result.message} {self.score_label.text()}")

    def _on_failed(self, message: str) -> None:
        self.page.notify(message, "error")

    def _on_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()
