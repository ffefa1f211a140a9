"""`MemoryRacePanel`: why LSTMs exist, in half a minute. A plain RNN, an LSTM and a GRU learn the
adding task in turn (engine.signals.AddingRace): T random numbers, two of them marked, and the
answer is the sum of the two marked ones. The first mark sits in the first half of the sequence,
so the net has to carry a number across about T/2 steps. With T = 10 every cell learns it;
with T = 50 the plain RNN's curve stays on the line of "always answer 1" (its gradient fades
across the distance: it learns the average and nothing else) while the LSTM's and GRU's fall.
(Measured: benchmarks/memory_race.py.)

Gradient clipping is a control (`AddingRace.clip_grad_norm`, None = off) with its threshold
shown: clipping stops exploding gradients, but cannot bring back one that has faded. The text
about fading links to the "Gradients through time" page (opened through the main window).

Training runs in `TrainRunner` like every other page; each snapshot adds a point to its cell's
validation curve.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from engine.signals import ADDING_BASELINE_MSE, AddingRace, adding_task
from gui import style
from gui.workers import TrainRunner

COLORS = {"rnn": (120, 120, 120), "lstm": (230, 120, 20), "gru": (40, 150, 60)}
NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU"}
MARK = (230, 120, 20)
PLAIN = (150, 165, 190)
BPTT_PAGE = "bptt"   # the "Gradients through time" page

INTRO = ("<b>The adding task</b> (Hochreiter &amp; Schmidhuber, 1997). Each input is a sequence "
         "of T random numbers; two of them are marked, one in each half. The answer is the sum "
         "of the two marked numbers, so the net must remember a number for about T/2 steps. "
         "Each cell trains on the same data from the same seed. With T = 10 they all learn "
         "it. With T = 50, the plain RNN stays on the dashed line: its gradient fades across the "
         f"gap (watch it fade on the <a href=\"page:{BPTT_PAGE}\">Gradients through time</a> "
         "page), so it only learns to answer the average. Clipping does not help: it only "
         "shrinks gradients that are too large. The LSTM's cell state carries the number "
         "across, and so does the GRU's.")


class MemoryRacePanel(QWidget):
    def __init__(self, page):
        super().__init__()
        self.page = page
        self.race: AddingRace | None = None
        self.scores: dict[str, list[tuple[int, float]]] = {}
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)

        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.RichText)
        self.intro.setTextInteractionFlags(Qt.LinksAccessibleByMouse | Qt.LinksAccessibleByKeyboard)
        self.intro.linkActivated.connect(self.open_link)
        self.length_spin = QSpinBox(minimum=2, maximum=200, value=50, singleStep=10)
        self.length_spin.setToolTip("T: how many numbers each sequence has")
        self.hidden_spin = QSpinBox(minimum=4, maximum=64, value=32)
        self.hidden_spin.setToolTip("Hidden units of each cell: the length of h_t (the same for "
                                    "all three)")
        self.steps_spin = QSpinBox(minimum=50, maximum=5000, value=1200, singleStep=100)
        self.steps_spin.setToolTip("Training steps for each cell (batches of 64)")
        default_clip = AddingRace.clip_grad_norm
        self.clip_check = QCheckBox("clip gradient norm at")
        self.clip_check.setChecked(default_clip is not None)
        self.clip_check.setToolTip("Rescale each step's gradient to at most this norm "
                                   "(torch.nn.utils.clip_grad_norm_)")
        self.clip_spin = QDoubleSpinBox(minimum=0.01, maximum=100.0, decimals=2, singleStep=0.5,
                                        value=default_clip if default_clip is not None else 1.0)
        self.clip_spin.setToolTip("The largest gradient norm a step may have when clipping is on")
        self.clip_spin.setEnabled(self.clip_check.isChecked())
        self.train_button = QPushButton("Race RNN, LSTM and GRU")
        self.stop_button = QPushButton("Stop")
        self.train_button.setToolTip("Train a plain RNN, then an LSTM, then a GRU on the same "
                                     "adding-task data from the same seed, and plot their "
                                     "validation MSE")
        self.stop_button.setToolTip("Stop the race; the curves drawn so far stay")
        self.stop_button.setEnabled(False)
        self.status_label = style.set_role(
            QLabel("Press the button: each cell starts from random weights."), "title")

        # one example sequence: its numbers as bars, the two marked ones highlighted
        self.example_plot = pg.PlotWidget(enableMenu=False)
        self.example_plot.setMouseEnabled(False, False)
        self.example_plot.hideButtons()
        self.example_plot.setLabel("bottom", "time step t")
        self.example_plot.setYRange(0, 1.05, padding=0)
        self.example_plot.getAxis("left").setTicks([[(0, "0"), (1, "1")], []])  # a short plot
        self.example_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(PLAIN),
                                            pen=pg.mkPen(None))
        self.example_marks = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(MARK),
                                             pen=pg.mkPen(None))
        self.example_plot.addItem(self.example_bars)
        self.example_plot.addItem(self.example_marks)
        self.example_plot.setMinimumHeight(110)

        self.plot = pg.PlotWidget(enableMenu=False)
        self.plot.setLogMode(y=True)
        self.plot.setLabel("bottom", "training step")
        self.plot.setLabel("left", "validation MSE (log scale)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(10, -10))   # bottom left: empty early in training
        self.plot.setYRange(-3, 0, padding=0.02)   # log10 of MSE 0.001 .. 1, before any point
        self.curves = {cell: self.plot.plot([], [], pen=pg.mkPen(COLORS[cell], width=2.5),
                                            name=NAMES[cell]) for cell in COLORS}
        self.baseline = pg.InfiniteLine(
            pos=math.log10(ADDING_BASELINE_MSE), angle=0,
            pen=pg.mkPen((200, 40, 40), width=1.5, style=Qt.DashLine),
            label=f"always answer 1: MSE {ADDING_BASELINE_MSE:.3f}",
            labelOpts={"position": 0.8, "color": (200, 40, 40), "anchors": [(0.5, 1), (0.5, 1)]})
        self.plot.addItem(self.baseline)
        self.plot.setXRange(0, self.steps_spin.value(), padding=0.02)

        controls = QHBoxLayout()
        for label, widget in (("sequence length T", self.length_spin),
                              ("hidden units", self.hidden_spin),
                              ("steps per cell", self.steps_spin)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addSpacing(12)
        controls.addWidget(self.clip_check)
        controls.addWidget(self.clip_spin)
        controls.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(controls)
        layout.addLayout(buttons)
        layout.addWidget(self.example_plot, 1)
        layout.addWidget(self.plot, 3)

        self.train_button.clicked.connect(self.train)
        self.stop_button.clicked.connect(self.runner.stop)
        self.length_spin.valueChanged.connect(self._show_example)
        self.clip_check.toggled.connect(self.clip_spin.setEnabled)
        self._show_example()

    # -- the example ---------------------------------------------------------------------------
    def _show_example(self) -> None:
        x, y = adding_task(1, self.length_spin.value(), seed=7)
        values, marks = x[0, :, 0], x[0, :, 1] > 0
        t = np.arange(len(values))
        self.example_bars.setOpts(x=t[~marks], height=values[~marks])
        self.example_marks.setOpts(x=t[marks], height=values[marks])
        self.example_plot.setXRange(-0.6, len(values) - 0.4, padding=0)
        a, b = values[marks]
        self.example_plot.setTitle(f"One sequence (T = {len(values)}): the answer is "
                                   f"{a:.2f} + {b:.2f} = {float(y[0, 0]):.2f}",
                                   size=f"{style.px('title')}px")

    def example_marked_values(self) -> np.ndarray:
        return np.asarray(self.example_marks.opts["height"])

    # -- the link ------------------------------------------------------------------------------
    def open_link(self, link: str) -> bool:
        """Open "page:ID" in the main window; outside it (or if the page is not in this
        version) say so instead."""
        page_id = link.removeprefix("page:")
        window = self.page.property("app_window") if hasattr(self.page, "property") else None
        window = window or self.window()
        try:
            window.show_page(page_id)
        except (AttributeError, ValueError):   # not the main window, or no such page
            self.page.notify("The “Gradients through time” page is not open in this window.",
                             "warning")
            return False
        return True

    @property
    def clip_grad_norm(self) -> float | None:
        """The threshold the next race clips at, or None when clipping is off."""
        return self.clip_spin.value() if self.clip_check.isChecked() else None

    # -- training ------------------------------------------------------------------------------
    def train(self) -> bool:
        if self.runner.running:
            return False
        self.race = AddingRace(seq_len=self.length_spin.value(), hidden_size=self.hidden_spin.value(),
                               steps=self.steps_spin.value(),
                               snapshot_every=max(5, self.steps_spin.value() // 60),
                               clip_grad_norm=self.clip_grad_norm)
        self.scores = {cell: [] for cell in self.race.cells}
        for curve in self.curves.values():
            curve.setData([], [])
        self.plot.setXRange(0, self.race.steps, padding=0.02)
        clip = self.race.clip_grad_norm
        self.status_label.setText(f"Training the {NAMES[self.race.cells[0]]}… (gradients "
                                  + (f"clipped at norm {clip:.2f})" if clip else "not clipped)"))
        self.runner.start(self.race.run)
        return True

    def _on_progress(self, events) -> None:
        changed, last = set(), None
        for e in events:
            if e.snapshot is not None and math.isfinite(e.snapshot["val_mse"]):
                last = e.snapshot["cell"]
                # (floored: a log axis has no place for 0)
                self.scores[last].append((e.step, max(e.snapshot["val_mse"], 1e-6)))
                changed.add(last)
        for cell in changed:
            steps, mse = zip(*self.scores[cell])
            self.curves[cell].setData(np.array(steps), np.array(mse))
        if last is not None:
            cell = last
            step, mse = self.scores[cell][-1]
            self.status_label.setText(f"{NAMES[cell]}: step {step} / {self.race.steps}, "
                                      f"validation MSE {mse:.4f}")

    def latest_scores(self) -> dict[str, float]:
        """Each cell's last validation MSE shown so far."""
        return {cell: points[-1][1] for cell, points in self.scores.items() if points}

    def _on_finished(self, result) -> None:
        if result.status == "finished":
            self.status_label.setText(self._verdict())
            self.page.notify(result.message)
        elif result.status == "stopped":
            self.status_label.setText("Stopped. " + self._verdict())
            self.page.notify(result.message)
        else:
            self.status_label.setText(result.message)
            self.page.notify(result.message, "error")

    def _verdict(self) -> str:
        parts = []
        for cell, mse in self.latest_scores().items():
            note = " (no better than answering 1)" if mse > 0.8 * ADDING_BASELINE_MSE else ""
            parts.append(f"{NAMES[cell]} {mse:.4f}{note}")
        return "Validation MSE: " + ", ".join(parts) if parts else ""

    def _on_failed(self, message: str) -> None:
        self.page.notify(message, "error")

    def _on_running(self, running: bool) -> None:
        for widget in (self.train_button, self.length_spin, self.hidden_spin, self.steps_spin,
                       self.clip_check):
            widget.setEnabled(not running)
        self.clip_spin.setEnabled(not running and self.clip_check.isChecked())
        self.stop_button.setEnabled(running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()
