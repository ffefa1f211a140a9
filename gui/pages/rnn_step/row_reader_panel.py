"""`RowReaderPanel`: the row-reading RNN reads a digit top to bottom, one row per step.

The digit comes from the "Draw a digit" page, which publishes every drawing in the shared
`AppState.drawn_digit` (a 28x28 array, or None while nothing is drawn), or from a generated
sample (`engine.row_reader.sample_digits`). The view shows the image with the current row
outlined and the rows not yet read dimmed, the class probabilities after this row as bars, and
the probabilities and hidden state over all rows read so far as heatmaps.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from gui import style
from gui.widgets.matrix_view import MatrixView
from gui.widgets.step_player import StepPlayer, StepPlayerBar

BAR_COLOR = (70, 110, 190)
UNREAD = (30, 30, 70, 115)         # tint over the image rows not read yet
TOP_COLOR = (230, 120, 20)


class RowReaderPanel(QWidget):
    def __init__(self, page):
        super().__init__()
        self.page = page
        self.model = None
        self.meta: dict = {}
        self.reading = None
        self.samples: np.ndarray | None = None   # (10, 28, 28) generated digits 0-9, made on first use

        self.drawn_button = QPushButton("Read the digit drawn on the “Draw a digit” page")
        self.drawn_button.setToolTip("Feed your drawing to the trained model, one row of 28 "
                                     "pixels per time step")
        self.sample_combo = QComboBox()
        self.sample_combo.addItem("sample digit …", None)
        for d in range(10):
            self.sample_combo.addItem(f"sample {d}", d)
        self.sample_combo.setToolTip("Read a generated sample of this digit instead of a drawing")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.verdict = style.set_role(QLabel(), "big")
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color:#555")

        self.image_view = MatrixView(colormap="gray", show_numbers=False)
        self.image_view.setMinimumSize(260, 260)
        self.bars = pg.PlotWidget(enableMenu=False)
        self.bars.setMouseEnabled(False, False)
        self.bars.hideButtons()
        self.bars.setYRange(0, 1, padding=0.02)
        self.bars.setXRange(-0.6, 9.6, padding=0)
        self.bars.getAxis("bottom").setTicks([[(d, str(d)) for d in range(10)]])
        self.bars.setLabel("left", "P(digit)")
        self.bar_item = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7,
                                        brushes=[pg.mkBrush(BAR_COLOR)] * 10)
        self.bars.addItem(self.bar_item)
        self.prob_view = MatrixView(colormap="viridis", show_numbers=False, axes=True)
        self.hidden_view = MatrixView(colormap="diverging", show_numbers=False, axes=True)
        row_ticks = [(t + 0.5, str(t + 1)) for t in range(0, 28, 3)]
        for view in (self.prob_view, self.hidden_view):
            view.plot.setAspectLocked(False)
            view.plot.getAxis("bottom").setTicks([row_ticks, []])
        # every other digit: ten labels do not fit the map's height at 1280x720
        self.prob_view.plot.getAxis("left").setTicks([[(d + 0.5, str(d)) for d in range(0, 10, 2)],
                                                      [(d + 0.5, "") for d in range(1, 10, 2)]])
        self.prob_view.plot.setLabel("bottom", "rows read")

        self.player = StepPlayer(self, steps_per_second=4)
        self.player_bar = StepPlayerBar(self.player, step_name="row")

        top = QHBoxLayout()
        top.addWidget(self.drawn_button)
        top.addWidget(self.sample_combo)
        top.addWidget(self.model_label, 1)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>The image, read one row (28 pixels) per step</b>"), 0, 0)
        grid.addWidget(self.image_view, 1, 0, 3, 1)
        grid.addWidget(QLabel("<b>Prediction after this row</b>"), 0, 1)
        grid.addWidget(self.bars, 1, 1)
        grid.addWidget(QLabel("<b>P(digit) after each row</b> (rows = digits 0-9, columns = rows read)"), 2, 1)
        grid.addWidget(self.prob_view, 3, 1)
        grid.addWidget(QLabel("<b>Hidden state after each row</b> (rows = units, columns = rows read)"), 4, 0, 1, 2)
        grid.addWidget(self.hidden_view, 5, 0, 1, 2)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setRowStretch(1, 2)
        grid.setRowStretch(3, 3)
        grid.setRowStretch(5, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.player_bar)
        layout.addWidget(self.verdict)
        layout.addLayout(grid, 1)

        self.drawn_button.clicked.connect(self.read_drawn_digit)
        self.sample_combo.activated.connect(self._on_sample_chosen)
        self.player.stepChanged.connect(self.show_row)
        self._load_model()
        if self.model is not None:
            self.read_sample(3)

    def _load_model(self) -> None:
        from engine.models import CheckpointError
        from engine.row_reader import load_row_model
        try:
            self.model, self.meta = load_row_model()
        except CheckpointError as exc:
            self.model = None
            self._set_status(f"The row-reading model is missing: {exc} Run scripts/make_row_model.py.",
                             "error")
            for w in (self.drawn_button, self.sample_combo):
                w.setEnabled(False)
            return
        acc = self.meta.get("heldout_accuracy")
        cell = self.meta.get("kwargs", {}).get("cell", "lstm").upper()
        hidden = self.meta.get("kwargs", {}).get("hidden_size", "?")
        self.model_label.setText(
            f"{cell}, hidden {hidden}, 28 steps of 28 pixels"
            + (f"; {acc:.1%} on held-out MNIST digits" if isinstance(acc, float) else ""))

    def _set_status(self, text: str, level: str = "info") -> None:
        colour = {"error": "#b00020", "warning": "#8a5a00"}.get(level, "#333")
        self.status.setStyleSheet(f"color:{colour}")
        self.status.setText(text)
        if level != "info":
            self.page.notify(text, level)

    # -- inputs ------------------------------------------------------------------------------
    def read_drawn_digit(self) -> bool:
        """Read the digit drawn on the Draw a digit page; a sample is offered when there is none."""
        image = self.page.app_state.drawn_digit
        if image is None:
            self._set_status("Nothing is drawn on the “Draw a digit” page yet: draw a digit there, "
                             "or pick a sample digit here.", "warning")
            return False
        return self.read_image(image, "your drawn digit")

    def _on_sample_chosen(self, _index: int) -> None:
        digit = self.sample_combo.currentData()
        if digit is not None:
            self.read_sample(int(digit))

    def read_sample(self, digit: int) -> bool:
        from engine.row_reader import sample_digits
        if self.samples is None:
            self.samples = sample_digits()
        return self.read_image(self.samples[digit], f"a generated {digit}")

    def read_image(self, image, what: str) -> bool:
        from engine.row_reader import read_rows
        if self.model is None:
            return False
        try:
            self.reading = read_rows(self.model, image)
        except ValueError as exc:
            self._set_status(str(exc), "error")
            return False
        self._set_status(f"Reading {what}. Step through the rows (Right / Space) and watch the "
                         "guess form.")
        r = self.reading
        self.image_view.set_matrix(r.image, levels=(0, 1))
        self.player.set_count(28, index=0)
        self.show_row(self.player.index)
        return True

    # -- views ---------------------------------------------------------------------------------
    def show_row(self, t: int) -> None:
        r = self.reading
        if r is None:
            return
        unread = np.zeros((28, 28), bool)
        unread[t + 1:] = True
        self.image_view.set_overlay(unread, rgba=UNREAD)
        self.image_view.set_highlight((t, 0, 1, 28), color="#ff8c00")
        probs = r.probs[t]
        best = int(probs.argmax())
        self.bar_item.setOpts(height=probs, brushes=[pg.mkBrush(TOP_COLOR if d == best else BAR_COLOR)
                                                     for d in range(10)])
        mask = np.zeros((10, 28), bool)
        mask[:, : t + 1] = True
        self.prob_view.set_matrix(r.probs.T, levels=(0, 1), mask=mask)
        self.prob_view.set_filled(mask)
        self.prob_view.set_highlight((0, t, 10, 1))
        hidden = r.hidden.T  # (H, 28)
        hmask = np.zeros(hidden.shape, bool)
        hmask[:, : t + 1] = True
        self.hidden_view.set_matrix(hidden, levels=(-1, 1), mask=hmask)
        self.hidden_view.set_filled(hmask)
        self.hidden_view.set_highlight((0, t, hidden.shape[0], 1))
        self.verdict.setText(f"After row {t + 1} of 28: it looks like a <b>{best}</b> "
                             f"({probs[best]:.0%})" + ("" if t < 27 else "  — final answer"))
