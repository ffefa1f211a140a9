"""The side panels of the whole-network page: one unit's arithmetic, and the softmax.

`UnitPanel` shows what engine.network says about a clicked unit: for a Conv2d or Linear unit
the inputs, the weights and Σ inputs·weights + bias (then batch norm / activation), for a
pooling, flatten or elementwise unit which cells of the layer below it comes from.
`SoftmaxPanel` shows softmax(z / T) as bars with a temperature slider and the arithmetic of
the top class, in a `SteadyLabel`: its text changes with every stroke, and a plain word-wrapped
label would relayout (and repaint) the whole window each time.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout,
                               QWidget)

from engine.feature_grid import tile_output
from engine.network import NetworkTrace, UnitExplanation, UnitWindow
from engine.softmax import softmax_text, softmax_with_temperature
from gui import style
from gui.widgets.matrix_view import MatrixView
from gui.widgets.prob_bars import ProbabilityBars

STEPS_PER_DECADE = 20     # the temperature slider: T = 10 ** (step / 20), from 0.1 to 10


def temperature(step: int) -> float:
    return float(10 ** (step / STEPS_PER_DECADE))


def _index_text(index: tuple) -> str:
    return "(" + ", ".join(str(v) for v in index) + ")"


class UnitPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("The unit you clicked", parent)
        self.heading = style.set_role(QLabel("Click a unit in any layer above."), "body")
        self.heading.setWordWrap(True)
        self.inputs = MatrixView(colormap="diverging", max_number_cells=25,
                                 title="inputs")
        self.weights = MatrixView(colormap="diverging", max_number_cells=25,
                                  title="weights")
        for view in (self.inputs, self.weights):
            view.setMinimumSize(100, 100)
        self.sum_text = style.set_role(QLabel(""), "equation")
        self.sum_text.setWordWrap(True)
        self.sum_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.explanation: UnitExplanation | None = None
        views = QHBoxLayout()
        views.addWidget(self.inputs)
        views.addWidget(self.weights)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.heading)
        layout.addLayout(views, 1)
        layout.addWidget(self.sum_text)

    def show_explanation(self, e: UnitExplanation) -> None:
        """A Conv2d or Linear unit: its window and filter (one channel, or summed over the
        channels when there are several), and the sum spelled out."""
        self.explanation = e
        if e.kind == "Conv2d":
            channels = e.inputs.shape[0]
            if channels == 1:
                inputs, weights = e.inputs[0], e.weights[0]
                what = "its window of the layer below and the filter"
            else:
                inputs, weights = e.inputs.sum(0), e.products.sum(0)
                what = (f"its window summed over the {channels} channels, and Σ over channels "
                        "of inputs·weights per tap")
                self.weights.plot.setTitle("Σ_c inputs·weights")
        else:
            inputs, weights = tile_output(e.inputs).image, tile_output(e.weights).image
            what = f"all {e.inputs.size} inputs (the vector below) and the weight row"
        if e.kind != "Conv2d" or e.inputs.shape[0] == 1:
            self.weights.plot.setTitle("weights")
        self.inputs.set_matrix(inputs)
        self.weights.set_matrix(weights)
        self.heading.setText(f"<b>{e.layer}</b> ({e.kind}) unit {_index_text(e.index)}: "
                             f"{what}.")
        self.sum_text.setText(self.sum_line(e))

    @staticmethod
    def sum_line(e: UnitExplanation) -> str:
        products = float(e.products.astype(np.float64).sum())
        text = (f"Σ of {e.products.size} inputs·weights = {products:.4g}, "
                f"+ bias {e.bias:.4g} = <b>{e.value:.4g}</b>")
        if e.following:
            text += "<br>" + ", ".join(f"{step.kind} → <b>{step.value:.4g}</b>"
                                       for step in e.following)
        return text

    def show_window(self, trace: NetworkTrace, window: UnitWindow) -> None:
        """A pooling, flatten or elementwise unit: where its value comes from."""
        self.explanation = None
        layer = trace.layer(window.layer)
        value = float(layer.output[window.index])
        source = (trace.input if window.source == "input"
                  else trace.layer(window.source).output)
        if window.kind == "window":
            cells = source[window.channels[0], window.rows[0]:window.rows[-1] + 1,
                           window.cols[0]:window.cols[-1] + 1]
            rule = "max" if layer.kind == "MaxPool2d" else "mean"
            detail = (f"{rule} of rows {window.rows[0]}–{window.rows[-1]}, columns "
                      f"{window.cols[0]}–{window.cols[-1]} of channel {window.channels[0]} "
                      f"of {window.source} = <b>{value:.4g}</b>")
            self.inputs.set_matrix(cells)
        else:
            src = float(source[window.source_index])
            detail = (f"{layer.kind} of {window.source} {_index_text(window.source_index)} = "
                      f"{src:.4g} → <b>{value:.4g}</b>")
            self.inputs.set_matrix(np.array([[src]], np.float32))
        self.weights.set_matrix(np.array([[value]], np.float32))
        self.weights.plot.setTitle("output")
        self.heading.setText(f"<b>{window.layer}</b> ({layer.kind}) unit "
                             f"{_index_text(window.index)}: no weights, it reads "
                             f"{window.source}.")
        self.sum_text.setText(detail)


class SteadyLabel(QWidget):
    """A word-wrapped label in a box of fixed height, placed by hand (no layout): a new text
    relayouts nothing unless it needs more lines than the box has. The box holds at least
    `lines` lines; it grows for a longer text and shrinks back only when its width or font
    changes (a resize, the presenter scale)."""

    def __init__(self, role: str = "body", lines: int = 2, parent=None):
        super().__init__(parent)
        self.lines = lines
        self.label = style.set_role(QLabel("", self), role)
        self.label.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self._floor = 0          # the tallest text's height since the last width or font change
        self._font = self.label.font()
        self._fit()

    def setText(self, text: str) -> None:
        self.label.setText(text)
        self._fit()

    def text(self) -> str:
        return self.label.text()

    def _fit(self) -> None:
        width = max(self.width(), 1)
        need = self.label.heightForWidth(width) if self.label.text() else 0
        self._floor = max(self._floor, need, self.lines * self.label.fontMetrics().lineSpacing())
        if self.height() != self._floor or self.minimumHeight() != self._floor:
            self.setFixedHeight(self._floor)

    def resizeEvent(self, event) -> None:
        if event.size().width() != event.oldSize().width():
            self._floor = 0
        self.label.setGeometry(self.rect())
        self._fit()
        super().resizeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest:     # the label's font (or text) changed
            if self.label.font() != self._font:
                self._font, self._floor = self.label.font(), 0
            self._fit()
        return super().event(event)


class SoftmaxPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Softmax with a temperature", parent)
        self.bars = ProbabilityBars()
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(-STEPS_PER_DECADE, STEPS_PER_DECADE)
        self.slider.setPageStep(5)
        self.slider.setToolTip("T < 1 sharpens the probabilities, T > 1 flattens them")
        self.t_label = style.set_role(QLabel("T = 1"), "body")
        self.t_label.setMinimumWidth(70)
        self.formula = SteadyLabel("body", lines=2)
        self.logits = np.zeros(10, np.float64)
        row = QHBoxLayout()
        row.addWidget(style.set_role(QLabel("Temperature"), "body"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.t_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.bars, 1)
        layout.addLayout(row)
        layout.addWidget(self.formula)

    def temperature(self) -> float:
        return temperature(self.slider.value())

    def show_logits(self, logits: np.ndarray) -> None:
        self.logits = np.asarray(logits, np.float64)
        self.refresh()

    def refresh(self) -> None:
        t = self.temperature()
        probs = softmax_with_temperature(self.logits, t)
        self.bars.set_probabilities(probs)
        self.t_label.setText(f"T = {t:.2g}")
        top = int(probs.argmax())
        self.formula.setText(softmax_text(self.logits, top, t, max_terms=3))
