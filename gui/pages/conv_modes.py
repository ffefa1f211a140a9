"""The Convolution page's extra modes, shown as tabs there.

`Conv1dPanel`: a kernel sliding along a signal (the temporal case): the taps it reads, their
products and sum, and the output signal growing step by step (numbers from `F.conv1d`).
`TransposedConvPanel`: transposed convolution as scattering: each input cell times the kernel is
stamped into a larger canvas at stride offsets, overlaps add up, and padding crops the canvas
(numbers from `F.conv_transpose2d`). Both use the shared step player and code panel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
    QHeaderView, QLabel, QPushButton, QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from engine.codegen import conv1d_code, conv_transpose2d_code
from engine.conv_modes import (
    KERNELS_1D, SIGNALS, Conv1dTrace, TransposedTrace, conv1d_output_size, conv1d_trace,
    conv_transpose2d_trace, make_signal, transposed_output_size,
)
from gui.widgets.code_panel import CodePanel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.step_player import StepPlayer, StepPlayerBar

CUSTOM = "Custom"
ORANGE = "#ff8c00"
GREEN = "#2e7d32"


# -- small shared pieces -------------------------------------------------------------------------

class NumberGrid(QTableWidget):
    """An editable grid of numbers (a kernel, a small input). A cell that is not a finite number
    is put back to its previous value and `invalidEntry(message)` says why."""

    valuesEdited = Signal()
    invalidEntry = Signal(str)

    def __init__(self, rows: int = 1, cols: int = 3, cell_width: int = 58, parent=None):
        super().__init__(rows, cols, parent)
        self.cell_width = cell_width
        self._values = np.zeros((rows, cols), np.float32)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        self.itemChanged.connect(self._on_item_changed)
        self.set_values(self._values)

    def set_values(self, values) -> None:
        values = np.atleast_2d(np.asarray(values, dtype=np.float32))
        self._values = values.copy()
        self.blockSignals(True)
        self.setRowCount(values.shape[0])
        self.setColumnCount(values.shape[1])
        for r in range(values.shape[0]):
            self.setRowHeight(r, 30)
            for c in range(values.shape[1]):
                item = QTableWidgetItem(f"{values[r, c]:.4g}")
                item.setTextAlignment(Qt.AlignCenter)
                self.setItem(r, c, item)
        for c in range(values.shape[1]):
            self.setColumnWidth(c, self.cell_width)
        self.blockSignals(False)
        self.setFixedSize(self.cell_width * values.shape[1] + 4, 30 * values.shape[0] + 4)

    def values(self) -> np.ndarray:
        return self._values.copy()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        r, c = item.row(), item.column()
        text = item.text().strip()
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            value = None
        if value is None or not np.isfinite(value):
            self.blockSignals(True)
            item.setText(f"{self._values[r, c]:.4g}")
            self.blockSignals(False)
            self.invalidEntry.emit(f"'{text}' is not a number (cell {r + 1}, {c + 1}); "
                                   f"kept {self._values[r, c]:.4g}.")
            return
        self._values[r, c] = value
        self.valuesEdited.emit()


class _ModePanel(QWidget):
    """What both panels share: an inline error line that also reaches the window's status bar."""

    def _build_error_label(self) -> QLabel:
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error_label.hide()
        return self.error_label

    def report_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        parent = self.parentWidget()
        while parent is not None and not hasattr(parent, "notify"):
            parent = parent.parentWidget()
        if parent is not None:  # the page owning this tab
            parent.notify(text, "error")

    def clear_error(self) -> None:
        self.error_label.hide()


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


# -- 1-D convolution -----------------------------------------------------------------------------

@dataclass
class Conv1dSettings:
    """What the 1-D panel's controls say."""

    signal: str = "noisy mixture"   # one of engine.conv_modes.SIGNALS
    length: int = 32                # samples in the signal
    seed: int = 0                   # noise of the "noisy mixture"
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    bias: float = 0.0


class Conv1dPanel(_ModePanel):
    """1-D convolution over a signal, one output sample per step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = Conv1dSettings()
        self.trace: Conv1dTrace | None = None
        self.signal = make_signal(self.settings.signal, self.settings.length, self.settings.seed)
        self.player = StepPlayer(self, steps_per_second=4.0)
        self.player_bar = StepPlayerBar(self.player, step_name="output sample")
        self.player.stepChanged.connect(self._show_step)
        self._build_widgets()
        self._choose_kernel_preset(0)

    def _build_widgets(self) -> None:
        intro = QLabel("A 1-D convolution slides a kernel along a signal (audio, sensor readings, "
                       "a time series): each output sample is the sum of the kernel's taps times "
                       "the samples under them. Smoothing kernels average noise away; difference "
                       "kernels respond to change.")
        intro.setWordWrap(True)

        self.signal_combo = QComboBox()
        self.signal_combo.addItems(SIGNALS)
        self.signal_combo.setCurrentText(self.settings.signal)
        self.signal_combo.currentTextChanged.connect(self._on_signal_changed)
        self.length_spin = _spin(4, 128, self.settings.length, "Number of samples in the signal")
        self.length_spin.valueChanged.connect(self._on_signal_changed)
        self.noise_button = QPushButton("New noise")
        self.noise_button.setToolTip("Draw new noise for the noisy mixture")
        self.noise_button.clicked.connect(self._on_new_noise)
        signal_box = QGroupBox("Signal")
        signal_form = QFormLayout(signal_box)
        signal_form.addRow("Shape", self.signal_combo)
        signal_form.addRow("Length", self.length_spin)
        signal_form.addRow(self.noise_button)

        self.kernel_combo = QComboBox()
        self.kernel_combo.addItems(list(KERNELS_1D) + [CUSTOM])
        self.kernel_combo.currentIndexChanged.connect(self._choose_kernel_preset)
        self.taps_spin = _spin(1, 9, 3, "Kernel size k (number of taps)")
        self.taps_spin.valueChanged.connect(self._on_taps_changed)
        self.kernel_grid = NumberGrid(1, 3, cell_width=52)
        self.kernel_grid.setToolTip("Kernel taps: double-click a cell to edit it")
        self.kernel_grid.valuesEdited.connect(self._on_kernel_edited)
        self.kernel_grid.invalidEntry.connect(self.report_error)
        self.bias_spin = QDoubleSpinBox(decimals=2, minimum=-10, maximum=10, singleStep=0.1)
        self.bias_spin.setToolTip("Added to every output sample")
        self.bias_spin.valueChanged.connect(self._on_geometry_changed)
        kernel_box = QGroupBox("Kernel")
        kernel_form = QFormLayout(kernel_box)
        kernel_form.addRow("Preset", self.kernel_combo)
        kernel_form.addRow("Taps", self.taps_spin)
        kernel_form.addRow(self.kernel_grid)
        kernel_form.addRow("Bias", self.bias_spin)

        self.stride_spin = _spin(1, 8, 1, "Stride s: samples the kernel moves per step")
        self.padding_spin = _spin(0, 8, 0, "Padding p: zeros added at both ends")
        self.dilation_spin = _spin(1, 6, 1, "Dilation d: gap between the taps")
        for spin in (self.stride_spin, self.padding_spin, self.dilation_spin):
            spin.valueChanged.connect(self._on_geometry_changed)
        slide_box = QGroupBox("Sliding")
        slide_form = QFormLayout(slide_box)
        slide_form.addRow("Stride", self.stride_spin)
        slide_form.addRow("Padding", self.padding_spin)
        slide_form.addRow("Dilation", self.dilation_spin)

        self.formula_label = QLabel()
        self.formula_label.setTextFormat(Qt.RichText)
        self.formula_label.setWordWrap(True)

        controls = QWidget()
        controls.setMaximumWidth(330)
        controls.setMinimumWidth(260)
        col = QVBoxLayout(controls)
        col.setContentsMargins(0, 0, 0, 0)
        for w in (signal_box, kernel_box, slide_box, self.formula_label, self._build_error_label()):
            col.addWidget(w)
        col.addStretch(1)

        # plots: the padded signal with the kernel's taps, and the output under it
        self.signal_plot = pg.PlotWidget(title="Signal (padding in grey); the kernel's taps in orange")
        self.signal_plot.setMenuEnabled(False)
        self.signal_plot.setMouseEnabled(False, False)
        self.signal_plot.hideButtons()
        self.signal_plot.showGrid(x=True, y=True, alpha=0.2)
        self.window_region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 140, 0, 50),
                                                 pen=pg.mkPen(ORANGE))
        self.signal_plot.addItem(self.window_region)
        self.signal_curve = pg.PlotDataItem(pen=pg.mkPen("#1f5fa8", width=2), symbol="o",
                                            symbolSize=6, symbolBrush="#1f5fa8", symbolPen=None)
        self.signal_plot.addItem(self.signal_curve)
        self.padding_dots = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(170, 170, 170),
                                               pen=pg.mkPen(120, 120, 120))
        self.signal_plot.addItem(self.padding_dots)
        self.tap_dots = pg.ScatterPlotItem(size=14, brush=pg.mkBrush(ORANGE), pen=pg.mkPen("k"))
        self.tap_dots.setZValue(5)
        self.signal_plot.addItem(self.tap_dots)

        self.output_plot = pg.PlotWidget(title="Output, each sample drawn under the centre of its window")
        self.output_plot.setMenuEnabled(False)
        self.output_plot.setMouseEnabled(False, False)
        self.output_plot.hideButtons()
        self.output_plot.showGrid(x=True, y=True, alpha=0.2)
        self.output_plot.setXLink(self.signal_plot)
        self.output_curve = pg.PlotDataItem(pen=pg.mkPen("#b03060", width=2), symbol="s",
                                            symbolSize=7, symbolBrush="#b03060", symbolPen=None)
        self.output_plot.addItem(self.output_curve)
        self.current_dot = pg.ScatterPlotItem(size=15, brush=pg.mkBrush(ORANGE), pen=pg.mkPen("k"))
        self.current_dot.setZValue(5)
        self.output_plot.addItem(self.current_dot)
        self.output_plot.setToolTip("Click near an output sample to jump to its step")
        self.output_plot.scene().sigMouseClicked.connect(self._on_output_plot_clicked)

        self.products_label = QLabel()
        self.products_label.setTextFormat(Qt.RichText)
        self.products_label.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.code_panel = CodePanel()
        self.code_panel.setFixedHeight(170)

        right = QVBoxLayout()
        right.addWidget(self.signal_plot, 3)
        right.addWidget(self.output_plot, 2)
        right.addWidget(self.products_label)
        right.addWidget(self.player_bar)
        right.addWidget(self.code_panel)
        body = QHBoxLayout()
        body.addWidget(controls)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(body, 1)

    # -- slots ------------------------------------------------------------------------------------
    def _on_signal_changed(self) -> None:
        self.settings.signal = self.signal_combo.currentText()
        self.settings.length = self.length_spin.value()
        self.noise_button.setEnabled(self.settings.signal == "noisy mixture")
        self.signal = make_signal(self.settings.signal, self.settings.length, self.settings.seed)
        self._rebuild()

    def _on_new_noise(self) -> None:
        self.settings.seed += 1
        self._on_signal_changed()

    def _choose_kernel_preset(self, index: int) -> None:
        names = list(KERNELS_1D)
        if index >= len(names):
            return  # "Custom": keep the taps as they are
        taps = KERNELS_1D[names[index]]
        self.taps_spin.blockSignals(True)
        self.taps_spin.setValue(len(taps))
        self.taps_spin.blockSignals(False)
        self.kernel_grid.set_values([taps])
        self._rebuild()

    def _on_taps_changed(self, k: int) -> None:
        old = self.kernel_grid.values()[0]
        new = np.zeros(k, np.float32)
        new[:min(k, old.size)] = old[:k]
        self.kernel_grid.set_values([new])
        self._mark_custom()
        self._rebuild()

    def _on_kernel_edited(self) -> None:
        self._mark_custom()
        self._rebuild()

    def _mark_custom(self) -> None:
        self.kernel_combo.blockSignals(True)
        self.kernel_combo.setCurrentText(CUSTOM)
        self.kernel_combo.blockSignals(False)

    def _on_geometry_changed(self) -> None:
        s = self.settings
        s.stride, s.padding = self.stride_spin.value(), self.padding_spin.value()
        s.dilation, s.bias = self.dilation_spin.value(), self.bias_spin.value()
        self._rebuild()

    def _on_output_plot_clicked(self, event) -> None:
        if self.trace is None:
            return
        x = self.output_plot.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        self.jump_to_position(x)

    def jump_to_position(self, x: float) -> None:
        """Go to the output sample drawn nearest to signal position x."""
        self.player.go_to(int(np.argmin(np.abs(self.output_positions() - x))))

    # -- trace -> views ---------------------------------------------------------------------------
    def kernel(self) -> np.ndarray:
        return self.kernel_grid.values()[0]

    def _rebuild(self) -> bool:
        s = self.settings
        w = self.kernel()
        self._update_formula(w.size)
        try:
            trace = conv1d_trace(self.signal, w, s.bias, s.stride, s.padding, s.dilation)
        except ValueError as exc:
            self.report_error(f"{exc}. Showing the previous result.")
            return False
        self.clear_error()
        self.trace = trace
        self.code_panel.set_code(conv1d_code(1, 1, self.signal.size, w.size, s.stride, s.padding,
                                             s.dilation))
        n, p = self.signal.size, s.padding
        self.signal_curve.setData(np.arange(n), self.signal)
        pads = np.r_[np.arange(-p, 0), np.arange(n, n + p)]
        self.padding_dots.setData(pads, np.zeros(pads.size))
        lo = min(0.0, float(self.signal.min()))
        hi = max(0.0, float(self.signal.max()))
        margin = 0.1 * (hi - lo or 1.0)
        self.signal_plot.setXRange(-p - 1, n + p, padding=0)
        self.signal_plot.setYRange(lo - margin, hi + margin, padding=0)
        out = trace.output[0]
        olo, ohi = min(0.0, float(out.min())), max(0.0, float(out.max()))
        omargin = 0.1 * (ohi - olo or 1.0)
        self.output_plot.setYRange(olo - omargin, ohi + omargin, padding=0)
        self.player.set_count(len(trace.steps), index=0)
        return True

    def _update_formula(self, k: int) -> None:
        s = self.settings
        n = self.signal.size
        out = conv1d_output_size(n, k, s.stride, s.padding, s.dilation)
        self.formula_label.setText(
            "<b>Output length</b><br>L<sub>out</sub> = &lfloor;(L + 2p &minus; d(k&minus;1) &minus; 1)"
            " / s&rfloor; + 1<br>"
            f"= &lfloor;({n} + 2&middot;{s.padding} &minus; {s.dilation}&middot;({k}&minus;1) "
            f"&minus; 1) / {s.stride}&rfloor; + 1 = <b>{out}</b>")

    def output_positions(self) -> np.ndarray:
        """Where each output sample is drawn: the centre of its window, in signal coordinates."""
        t = self.trace
        span = t.dilation * (t.weight.shape[2] - 1)
        return np.arange(t.output.shape[1]) * t.stride - t.padding + span / 2

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        step = t.steps[index]
        taps = step.positions - t.padding  # signal coordinates (negative: left padding)
        self.window_region.setRegion((taps[0] - 0.4, taps[-1] + 0.4))
        self.tap_dots.setData(taps, step.window[0])
        xs = self.output_positions()[:index + 1]
        self.output_curve.setData(xs, t.output[0, :index + 1])
        self.current_dot.setData([xs[-1]], [step.value])
        self.products_label.setText(self._products_html(step))

    def _products_html(self, step) -> str:
        """The taps as a small table: sample, kernel, product; then the sum."""
        w = self.trace.weight[0, 0]
        cell = "<td align='right' style='padding: 0 8px'>{}</td>"
        rows = [("x", step.window[0]), ("w", w), ("x&middot;w", step.products[0])]
        html = ["<table cellspacing='0'>"]
        for name, vals in rows:
            html.append("<tr><td><b>" + name + "</b></td>" +
                        "".join(cell.format(f"{v + 0.0:.3f}") for v in vals) + "</tr>")
        html.append("</table>")
        total = float(step.products.sum())
        bias = self.settings.bias
        bias_text = f" + bias {bias:.2f}" if bias else ""
        i = step.out_index[1]
        return ("".join(html) +
                f"output[{i}] = sum of products {total:.3f}{bias_text} = <b>{step.value:.3f}</b>")


# -- transposed convolution ----------------------------------------------------------------------

INPUT_PRESETS = {2: [[1, 2], [3, 4]], 3: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]}
KERNEL_PRESETS = ["ones", "bilinear 4x4 (2x upsampling)", "ramp 1..k\u00b2", "random"]


def kernel_preset(name: str, k: int, seed: int = 0) -> np.ndarray:
    """A (k, k) kernel for the transposed panel."""
    if name == "ones":
        return np.ones((k, k), np.float32)
    if name.startswith("bilinear"):
        f = np.array([0.25, 0.75, 0.75, 0.25], np.float32)  # stride-2 bilinear taps
        return np.outer(f, f)
    if name.startswith("ramp"):
        return np.arange(1, k * k + 1, dtype=np.float32).reshape(k, k)
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(-1, 1, (k, k)), 1).astype(np.float32)


@dataclass
class TransposedSettings:
    """What the transposed panel's controls say."""

    stride: int = 2
    padding: int = 0
    output_padding: int = 0
    dilation: int = 1        # gap between the kernel's taps as a stamp lands on the canvas
    bias: float = 0.0
    seed: int = 0            # for "random" grids


class TransposedConvPanel(_ModePanel):
    """Transposed convolution, one input cell scattered into the output per step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = TransposedSettings()
        self.trace: TransposedTrace | None = None
        self.player = StepPlayer(self, steps_per_second=1.0)
        self.player_bar = StepPlayerBar(self.player, step_name="input cell")
        self.player.stepChanged.connect(self._show_step)
        self._levels = (-1.0, 1.0)
        self._build_widgets()
        self._rebuild()

    def _build_widgets(self) -> None:
        intro = QLabel("Transposed convolution (\"deconvolution\") upsamples: every input cell "
                       "stamps a copy of the kernel, scaled by its value, into a larger output, "
                       "the stamps stride apart. Where stamps overlap they add up. Padding then "
                       "<i>crops</i> the border. Used in decoders, U-Nets and GAN generators.")
        intro.setWordWrap(True)

        self.input_size_spin = _spin(1, 4, 2, "Input height and width")
        self.input_size_spin.valueChanged.connect(self._on_input_size_changed)
        self.input_grid = NumberGrid(2, 2, cell_width=48)
        self.input_grid.set_values(INPUT_PRESETS[2])
        self.input_grid.setToolTip("Input values: double-click a cell to edit it")
        self.input_grid.valuesEdited.connect(self._rebuild)
        self.input_grid.invalidEntry.connect(self.report_error)
        input_box = QGroupBox("Input")
        input_form = QFormLayout(input_box)
        input_form.addRow("Size", self.input_size_spin)
        input_form.addRow(self.input_grid)

        self.kernel_size_spin = _spin(1, 4, 3, "Kernel height and width k")
        self.kernel_size_spin.valueChanged.connect(self._on_kernel_size_changed)
        self.kernel_combo = QComboBox()
        self.kernel_combo.addItems(KERNEL_PRESETS + [CUSTOM])
        self.kernel_combo.currentIndexChanged.connect(self._on_kernel_preset)
        self.kernel_grid = NumberGrid(3, 3, cell_width=58)
        self.kernel_grid.set_values(kernel_preset("ones", 3))
        self.kernel_grid.setToolTip("Kernel values: double-click a cell to edit it")
        self.kernel_grid.valuesEdited.connect(self._on_kernel_edited)
        self.kernel_grid.invalidEntry.connect(self.report_error)
        self.bias_spin = QDoubleSpinBox(decimals=2, minimum=-10, maximum=10, singleStep=0.5)
        self.bias_spin.valueChanged.connect(self._on_settings_changed)
        kernel_box = QGroupBox("Kernel")
        kernel_form = QFormLayout(kernel_box)
        kernel_form.addRow("Preset", self.kernel_combo)
        kernel_form.addRow("Size", self.kernel_size_spin)
        kernel_form.addRow(self.kernel_grid)
        kernel_form.addRow("Bias", self.bias_spin)

        self.stride_spin = _spin(1, 4, 2, "Stride s: distance between neighbouring stamps")
        self.padding_spin = _spin(0, 3, 0, "Padding p: rows/columns cropped from every side")
        self.output_padding_spin = _spin(0, 3, 0, "Output padding: extra rows/columns at the "
                                         "bottom/right (must be smaller than the stride)")
        self.dilation_spin = _spin(1, 3, 1, "Dilation d: the kernel's taps land d cells apart, "
                                   "so a stamp covers d(k-1)+1 cells")
        for spin in (self.stride_spin, self.padding_spin, self.output_padding_spin,
                     self.dilation_spin):
            spin.valueChanged.connect(self._on_settings_changed)
        geometry_box = QGroupBox("Layer")
        geometry_form = QFormLayout(geometry_box)
        geometry_form.addRow("Stride", self.stride_spin)
        geometry_form.addRow("Padding", self.padding_spin)
        geometry_form.addRow("Output padding", self.output_padding_spin)
        geometry_form.addRow("Dilation", self.dilation_spin)

        self.formula_label = QLabel()
        self.formula_label.setTextFormat(Qt.RichText)
        self.formula_label.setWordWrap(True)

        controls = QWidget()
        controls.setMaximumWidth(330)
        controls.setMinimumWidth(260)
        col = QVBoxLayout(controls)
        col.setContentsMargins(0, 0, 0, 0)
        for w in (input_box, kernel_box, geometry_box, self.formula_label,
                  self._build_error_label()):
            col.addWidget(w)
        col.addStretch(1)

        self.input_view = MatrixView(colormap="diverging", title="Input (click a cell)",
                                     number_format="{:.3g}")
        self.input_view.cellClicked.connect(self._on_input_clicked)
        self.kernel_view = MatrixView(colormap="diverging", title="Kernel", number_format="{:.3g}")
        self.stamp_view = MatrixView(colormap="diverging", title="This stamp = value x kernel",
                                     number_format="{:.3g}")
        self.canvas_view = MatrixView(colormap="diverging",
                                      title="Canvas: stamps added up (green: kept after the crop)",
                                      number_format="{:.3g}")
        self.output_view = MatrixView(colormap="diverging", title="Output so far (+ bias)",
                                      number_format="{:.3g}")
        top = QHBoxLayout()
        for v in (self.input_view, self.kernel_view, self.stamp_view):
            top.addWidget(v)
        bottom = QHBoxLayout()
        bottom.addWidget(self.canvas_view, 1)
        bottom.addWidget(self.output_view, 1)

        self.step_label = QLabel()
        self.step_label.setTextFormat(Qt.RichText)
        self.step_label.setWordWrap(True)
        self.code_panel = CodePanel()
        self.code_panel.setFixedHeight(170)

        right = QVBoxLayout()
        right.addLayout(top, 2)
        right.addLayout(bottom, 3)
        right.addWidget(self.step_label)
        right.addWidget(self.player_bar)
        right.addWidget(self.code_panel)
        body = QHBoxLayout()
        body.addWidget(controls)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(body, 1)

    # -- slots ------------------------------------------------------------------------------------
    def _on_input_size_changed(self, n: int) -> None:
        values = INPUT_PRESETS.get(n)
        if values is None:
            values = np.arange(1, n * n + 1, dtype=np.float32).reshape(n, n)
        self.input_grid.set_values(values)
        self._rebuild()

    def _on_kernel_size_changed(self, k: int) -> None:
        name = self.kernel_combo.currentText()
        if name.startswith("bilinear") or name == CUSTOM:
            # a resized custom/bilinear kernel keeps its top-left values, zero-filled
            old = self.kernel_grid.values()
            new = np.zeros((k, k), np.float32)
            m = min(k, old.shape[0])
            new[:m, :m] = old[:m, :m]
            self.kernel_grid.set_values(new)
            self._set_kernel_combo(CUSTOM)
        else:
            self.kernel_grid.set_values(kernel_preset(name, k, self.settings.seed))
        self._rebuild()

    def _on_kernel_preset(self, index: int) -> None:
        if index >= len(KERNEL_PRESETS):
            return
        name = KERNEL_PRESETS[index]
        if name == "random":
            self.settings.seed += 1
        if name.startswith("bilinear"):
            # 4x4 bilinear with stride 2, padding 1 doubles the size exactly
            for spin, v in ((self.kernel_size_spin, 4), (self.stride_spin, 2),
                            (self.padding_spin, 1), (self.output_padding_spin, 0),
                            (self.dilation_spin, 1)):
                spin.blockSignals(True)
                spin.setValue(v)
                spin.blockSignals(False)
            self._read_settings()
        k = self.kernel_size_spin.value()
        self.kernel_grid.set_values(kernel_preset(name, k, self.settings.seed))
        self._rebuild()

    def _on_kernel_edited(self) -> None:
        self._set_kernel_combo(CUSTOM)
        self._rebuild()

    def _set_kernel_combo(self, text: str) -> None:
        self.kernel_combo.blockSignals(True)
        self.kernel_combo.setCurrentText(text)
        self.kernel_combo.blockSignals(False)

    def _read_settings(self) -> None:
        s = self.settings
        s.stride, s.padding = self.stride_spin.value(), self.padding_spin.value()
        s.output_padding, s.bias = self.output_padding_spin.value(), self.bias_spin.value()
        s.dilation = self.dilation_spin.value()

    def _on_settings_changed(self) -> None:
        self._read_settings()
        self._rebuild()

    def _on_input_clicked(self, row: int, col: int) -> None:
        if self.trace is not None:
            self.player.go_to(self.trace.step_index(0, row, col))

    # -- trace -> views ---------------------------------------------------------------------------
    def _rebuild(self) -> bool:
        s = self.settings
        x, w = self.input_grid.values(), self.kernel_grid.values()
        self._update_formula(x.shape[0], w.shape[0])
        try:
            trace = conv_transpose2d_trace(x, w, s.bias, s.stride, s.padding, s.output_padding,
                                           s.dilation)
        except ValueError as exc:
            self.report_error(f"{exc}. Showing the previous result.")
            return False
        self.clear_error()
        self.trace = trace
        final = trace.steps[-1].canvas[0]
        m = max(float(np.abs(final).max()), float(np.abs(trace.output).max()), 1e-6)
        self._levels = (-m, m)
        self.input_view.set_matrix(x, levels=(-float(np.abs(x).max() or 1),
                                              float(np.abs(x).max() or 1)))
        km = float(np.abs(w).max() or 1)
        self.kernel_view.number_format = self.stamp_view.number_format = (
            "{:.3g}" if w.shape[1] <= 3 else "{:.2g}")
        self.kernel_view.set_matrix(w, levels=(-km, km))
        r0, c0, ho, wo = trace.crop_rect()
        cropped = np.ones(final.shape, bool)
        cropped[r0:r0 + ho, c0:c0 + wo] = False
        self.canvas_view.set_overlay(cropped)
        self.code_panel.set_code(conv_transpose2d_code((1, *x.shape), 1, w.shape[0], s.stride,
                                                       s.padding, s.output_padding, s.dilation))
        self.player.set_count(len(trace.steps), index=0)
        return True

    def _update_formula(self, n: int, k: int) -> None:
        s = self.settings
        out = transposed_output_size(n, k, s.stride, s.padding, s.output_padding, s.dilation)
        self.formula_label.setText(
            "<b>Output size</b><br>H<sub>out</sub> = (H&minus;1)&middot;s &minus; 2p + "
            "d(k&minus;1) + output_padding + 1<br>"
            f"= ({n}&minus;1)&middot;{s.stride} &minus; 2&middot;{s.padding} + "
            f"{s.dilation}&middot;({k}&minus;1)"
            f" + {s.output_padding} + 1 = <b>{out}</b><br>"
            f"{n} x {n} &rarr; <b>{max(out, 0)} x {max(out, 0)}</b> (width the same)")

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        step = t.steps[index]
        _c, i, j = step.in_index
        k = t.weight.shape[2]
        span = t.dilation[0] * (k - 1) + 1          # canvas cells a stamp covers (taps d apart)
        self.input_view.set_highlight((i, j, 1, 1), color=ORANGE)
        sm = max(float(np.abs(step.contribution).max()), 1e-6)
        self.stamp_view.set_matrix(step.contribution[0], levels=(-sm, sm))
        canvas = step.canvas[0]
        # wide canvases get shorter numbers so they stay inside their cells
        fmt = "{:.3g}" if canvas.shape[1] <= 6 else "{:.2g}"
        self.canvas_view.number_format = self.output_view.number_format = fmt
        self.canvas_view.set_matrix(canvas, levels=self._levels)
        r, c = step.origin
        self.canvas_view.set_highlight((r, c, span, span), color=ORANGE)
        rows, cols = t.stamp_cells(i, j)            # with dilation, mark where the taps land
        self.canvas_view.set_marks([(int(a), int(b)) for a in rows for b in cols]
                                   if t.dilation[0] > 1 else [])
        r0, c0, ho, wo = t.crop_rect()
        self.canvas_view.set_highlight((r0, c0, ho, wo), color=GREEN, key="crop", width=2.0)
        bias = 0.0 if t.bias is None else float(t.bias[0])
        self.output_view.set_matrix(canvas[r0:r0 + ho, c0:c0 + wo] + bias, levels=self._levels)
        # the stamp's cells as they land in the output (after the crop), clipped to it
        top, left = max(0, r - r0), max(0, c - c0)
        bottom, right = min(ho, r - r0 + span), min(wo, c - c0 + span)
        inside = bottom > top and right > left
        self.output_view.set_highlight((top, left, bottom - top, right - left) if inside else None,
                                       color=ORANGE)
        dilation_note = (f", its taps {t.dilation[0]} cells apart (red marks)"
                         if t.dilation[0] > 1 else "")
        crop_note = (f"; the green frame keeps rows/cols {r0}&ndash;{r0 + ho - 1} "
                     f"(padding {t.padding[0]} crops the rest)" if t.padding[0] else "")
        self.step_label.setText(
            f"Input ({i}, {j}) = <b>{step.value:.3g}</b> &times; kernel, added to canvas rows "
            f"{r}&ndash;{r + span - 1}, cols {c}&ndash;{c + span - 1} (offset = index &times; "
            f"stride {t.stride[0]}){dilation_note}; overlapping cells add up{crop_note}.")
