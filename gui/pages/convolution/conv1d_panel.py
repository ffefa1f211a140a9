"""The 1-D tab: a kernel sliding along a signal (the temporal case), one output sample a step:
the taps it reads, their products and sum, and the output signal growing (numbers from
`F.conv1d` through `engine.conv_modes.conv1d_trace`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from engine.codegen import conv1d_code
from engine.conv_modes import KERNELS_1D, SIGNALS, Conv1dTrace, conv1d_trace, make_signal
from gui import style
from gui.bind import Bindings, StateError
from gui.widgets.geometry_form import GeometryForm, WindowGeometry
from gui.widgets.live_label import LiveLabel
from gui.widgets.number_grid import NumberGrid
from gui.widgets.state_parts import BoundPart, PartsState, StateParts
from gui.widgets.step_lab import StepLab, check_step

CUSTOM = "Custom"
ORANGE = "#ff8c00"
INTRO = ("A 1-D convolution slides a kernel along a signal (audio, sensor readings, a time "
         "series): each output sample is the sum of the kernel's taps times the samples under "
         "them. Smoothing kernels average noise away; difference kernels respond to change.")


@dataclass
class Conv1dSettings:
    """The signal and the kernel of the 1-D tab."""
    signal: str = "noisy mixture"         # one of engine.conv_modes.SIGNALS
    length: int = 32                      # samples in the signal
    seed: int = 0                         # the noise of the "noisy mixture"
    preset: str = "moving average (3)"    # a key of KERNELS_1D, or CUSTOM
    taps: tuple = tuple(KERNELS_1D["moving average (3)"])   # the kernel's values
    bias: float = 0.0
    step: int = 0                         # the step shown


def _check_taps(value):
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 9:
        raise StateError("taps", "needs 1 to 9 numbers")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
               for v in value):
        raise StateError("taps", f"needs finite numbers, got {value!r}")
    return tuple(float(v) for v in value)


def _plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(title=title, enableMenu=False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=0.2)
    return plot


class Conv1dPanel(PartsState, StepLab):
    def __init__(self, parent=None):
        super().__init__(step_name="output sample", steps_per_second=4.0, intro=INTRO,
                         parent=parent)
        self.settings = Conv1dSettings()
        self.trace: Conv1dTrace | None = None
        self.signal = make_signal(self.settings.signal, self.settings.length, self.settings.seed)
        self._quiet = False
        self.bind = Bindings(self.settings, self._on_changed)
        self._build_controls()
        self._build_views()
        self.parts = StateParts({"signal": BoundPart(self.bind), "geometry": self.geometry_form})
        self.player.stepChanged.connect(self._show_step)
        self.rebuild()

    def _build_controls(self) -> None:
        signal_box = QGroupBox("Signal")
        form = QFormLayout(signal_box)
        shape = self.bind.combo("signal", QComboBox(), {s: s for s in SIGNALS})
        shape.setToolTip("The test signal")
        length = self.bind.spin("length", QSpinBox(minimum=4, maximum=128))
        length.setToolTip("Number of samples L in the signal")
        form.addRow("Shape", shape)
        form.addRow("Length", length)
        self.noise_button = QPushButton("New noise")
        self.noise_button.setToolTip("Draw new noise for the noisy mixture")
        self.noise_button.clicked.connect(lambda: self.bind.set("seed", self.settings.seed + 1))
        form.addRow(self.noise_button)
        kernel_box = QGroupBox("Kernel")
        form = QFormLayout(kernel_box)
        self.kernel_combo = self.bind.combo("preset", QComboBox(),
                                            {**{k: k for k in KERNELS_1D}, CUSTOM: CUSTOM})
        self.kernel_combo.setToolTip("A classic 1-D kernel")
        self.taps_spin = QSpinBox(minimum=1, maximum=9)
        self.taps_spin.setToolTip("Kernel size k (number of taps)")
        self.taps_spin.valueChanged.connect(self._on_taps_count)
        self.kernel_grid = NumberGrid(1, 3)
        self.kernel_grid.setToolTip("The kernel's taps: click a cell and type a number")
        self.kernel_grid.valuesEdited.connect(self._on_taps_edited)
        self.kernel_grid.invalidEntry.connect(lambda where: self.report_error(
            f"Kernel tap {where}. The kernel in use is unchanged."))
        self.bind.field("taps", _check_taps, self._show_taps)
        self._show_taps(self.settings.taps)
        bias = self.bind.spin("bias", QDoubleSpinBox(decimals=2, minimum=-10, maximum=10,
                                                     singleStep=0.1))
        bias.setToolTip("Bias b, added to every output sample")
        form.addRow("Preset", self.kernel_combo)
        form.addRow("Taps", self.taps_spin)
        form.addRow(self.kernel_grid)
        form.addRow("Bias", bias)
        self.bind.field("step", check_step, lambda _v: None)
        self.geometry_form = GeometryForm(defaults=WindowGeometry(), axes=("L",), title="Sliding",
                                     limits={"dilation": (1, 6)})
        self.geometry_form.changed.connect(self._on_geometry_changed)
        self.add_controls(signal_box, kernel_box, self.geometry_form)

    def _build_views(self) -> None:
        self.signal_plot = _plot("Signal (padding in grey); the kernel's taps in orange")
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
        self.output_plot = _plot("Output: each sample under the centre of its window")
        self.output_plot.setXLink(self.signal_plot)
        self.output_curve = pg.PlotDataItem(pen=pg.mkPen("#b03060", width=2), symbol="s",
                                            symbolSize=7, symbolBrush="#b03060", symbolPen=None)
        self.output_plot.addItem(self.output_curve)
        self.current_dot = pg.ScatterPlotItem(size=15, brush=pg.mkBrush(ORANGE), pen=pg.mkPen("k"))
        self.current_dot.setZValue(5)
        self.output_plot.addItem(self.current_dot)
        self.output_plot.setToolTip("Click near an output sample to jump to its step")
        self.output_plot.scene().sigMouseClicked.connect(self._on_output_plot_clicked)
        views = QWidget()
        column = QVBoxLayout(views)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.signal_plot, 3)
        column.addWidget(self.output_plot, 2)
        self.set_views(views)
        self.products = style.set_role(LiveLabel(lines=4), "equation")
        self.products.setTextFormat(Qt.RichText)
        self.add_extra("This step", self.products, "The taps, the samples under them, products, sum")

    # -- slots ----------------------------------------------------------------------------------
    def _on_changed(self, name: str) -> None:
        if self._quiet or name == "step":
            return
        s = self.settings
        if name == "preset" and s.preset in KERNELS_1D and tuple(KERNELS_1D[s.preset]) != s.taps:
            self.bind.apply({"taps": tuple(KERNELS_1D[s.preset])})   # rebuilds through here
            return
        self.rebuild()

    def _on_geometry_changed(self) -> None:
        if not self._quiet:
            self.rebuild()

    def _show_taps(self, taps) -> None:
        self.kernel_grid.set_values([taps])
        with QSignalBlocker(self.taps_spin):
            self.taps_spin.setValue(len(taps))

    def _on_taps_count(self, k: int) -> None:
        old = np.array(self.settings.taps)
        new = np.zeros(k)
        new[:min(k, old.size)] = old[:k]
        self.bind.apply({"taps": tuple(new.tolist()), "preset": CUSTOM})

    def _on_taps_edited(self) -> None:
        self.bind.apply({"taps": tuple(self.kernel_grid.values()[0].tolist()), "preset": CUSTOM})

    def _on_output_plot_clicked(self, event) -> None:
        if self.trace is not None:
            x = self.output_plot.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
            self.jump_to_position(x)

    def jump_to_position(self, x: float) -> None:
        """Go to the output sample drawn nearest to signal position x."""
        self.player.go_to(int(np.argmin(np.abs(self.output_positions() - x))))

    # -- trace -> views -------------------------------------------------------------------------
    def kernel(self) -> np.ndarray:
        return np.array(self.settings.taps, np.float32)

    def rebuild(self, step: int = 0) -> bool:
        s, g = self.settings, self.geometry_form
        self.noise_button.setEnabled(s.signal == "noisy mixture")
        self.signal = make_signal(s.signal, s.length, s.seed)
        w = self.kernel()
        stride, padding, dilation = g.pair("stride")[0], g.pair("padding")[0], g.pair("dilation")[0]
        g.show_sizes((self.signal.size,), (w.size,))
        try:
            trace = conv1d_trace(self.signal, w, s.bias, stride, padding, dilation)
        except ValueError as exc:
            self.report_error(f"No output: {exc}. Showing the previous result.")
            return False
        self.clear_error()
        self.trace = trace
        self.code_panel.set_code(conv1d_code(1, 1, self.signal.size, w.size, stride, padding,
                                             dilation))
        n = self.signal.size
        self.signal_curve.setData(np.arange(n), self.signal)
        pads = np.r_[np.arange(-padding, 0), np.arange(n, n + padding)]
        self.padding_dots.setData(pads, np.zeros(pads.size))
        lo, hi = min(0.0, float(self.signal.min())), max(0.0, float(self.signal.max()))
        margin = 0.1 * (hi - lo or 1.0)
        self.signal_plot.setXRange(-padding - 1, n + padding, padding=0)
        self.signal_plot.setYRange(lo - margin, hi + margin, padding=0)
        out = trace.output[0]
        olo, ohi = min(0.0, float(out.min())), max(0.0, float(out.max()))
        margin = 0.1 * (ohi - olo or 1.0)
        self.output_plot.setYRange(olo - margin, ohi + margin, padding=0)
        self.player.set_count(len(trace.steps), index=min(step, len(trace.steps) - 1))
        return True

    def output_positions(self) -> np.ndarray:
        """Where each output sample is drawn: the centre of its window, in signal coordinates."""
        t = self.trace
        span = t.dilation * (t.weight.shape[2] - 1)
        return np.arange(t.output.shape[1]) * t.stride - t.padding + span / 2

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        self.settings.step = index
        step = t.steps[index]
        taps = step.positions - t.padding          # signal coordinates (negative: left padding)
        self.window_region.setRegion((taps[0] - 0.4, taps[-1] + 0.4))
        self.tap_dots.setData(taps, step.window[0])
        xs = self.output_positions()[:index + 1]
        self.output_curve.setData(xs, t.output[0, :index + 1])
        self.current_dot.setData([xs[-1]], [step.value])
        self.products.setText(self._products_html(step))
        self.caption.setText(f"output[{step.out_index[1]}] = Σ kernel × samples under it "
                             f"+ bias = {step.value:.3f}")

    def _products_html(self, step) -> str:
        """The taps as a small table: sample, kernel, product; then the sum."""
        w = self.trace.weight[0, 0]
        cell = "<td align='right' style='padding: 0 8px'>{}</td>"
        rows = [("x", step.window[0]), ("w", w), ("x·w", step.products[0])]
        html = ["<table cellspacing='0'>"]
        for name, values in rows:
            html.append(f"<tr><td><b>{name}</b></td>" +
                        "".join(cell.format(f"{v + 0.0:.3f}") for v in values) + "</tr>")
        html.append("</table>")
        bias = self.settings.bias
        bias_text = f" + bias {bias:.2f}" if bias else ""
        return ("".join(html) + f"sum of products {float(step.products.sum()):.3f}{bias_text} = "
                f"<b>{step.value:.3f}</b>")

    # -- state ----------------------------------------------------------------------------------
    def refresh_after_state(self, restored: bool) -> None:
        self.rebuild(step=self.settings.step if restored else 0)
