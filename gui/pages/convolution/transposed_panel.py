"""The Transposed tab: transposed convolution as scattering. Each input cell times the kernel is
stamped into a larger canvas at stride offsets, overlaps add up, and padding crops the canvas
(numbers from `F.conv_transpose2d` through `engine.conv_modes.conv_transpose2d_trace`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QLabel, QSpinBox, QWidget,
)

from engine.codegen import conv_transpose2d_code
from engine.conv_modes import TransposedTrace, conv_transpose2d_trace
from engine.geometry import transposed_output_size
from gui import style
from gui.bind import Bindings, StateError
from gui.pages.convolution.upsampling_kernels import KERNEL_PRESETS, kernel_preset
from gui.widgets.matrix_view import MatrixView
from gui.widgets.number_grid import NumberGrid
from gui.widgets.step_lab import StepLab, check_step

CUSTOM = "Custom"
ORANGE, GREEN = "#ff8c00", "#2e7d32"
INTRO = ("Transposed convolution (\"deconvolution\") upsamples: every input cell stamps a copy "
         "of the kernel, scaled by its value, into a larger output, the stamps stride apart. "
         "Where stamps overlap they add up; padding then crops the border. Decoders, U-Nets "
         "and GAN generators use it.")


@dataclass
class TransposedSettings:
    """The input, kernel and layer of the Transposed tab."""
    input: tuple = ((1.0, 2.0), (3.0, 4.0))   # (H, W) input values, H = W from 1 to 4
    preset: str = "ones"                      # one of KERNEL_PRESETS, or CUSTOM
    kernel: tuple = ((1.0,) * 3,) * 3         # (k, k) kernel values, k from 1 to 4
    bias: float = 0.0
    stride: int = 2          # distance between neighbouring stamps
    padding: int = 0         # rows/columns cropped from every side of the canvas
    output_padding: int = 0  # extra rows/columns at the bottom/right
    dilation: int = 1        # the kernel's taps land this many cells apart
    seed: int = 0            # of the "random" kernel
    step: int = 0            # the step shown


def _square(name: str, limit: int):
    def check(value):
        try:
            a = np.asarray(value, np.float64)
        except (TypeError, ValueError):
            raise StateError(name, "needs rows of numbers") from None
        if a.ndim != 2 or a.shape[0] != a.shape[1] or not 1 <= a.shape[0] <= limit:
            raise StateError(name, f"needs a square grid, 1×1 to {limit}×{limit}, got {a.shape}")
        if not np.isfinite(a).all():
            raise StateError(name, "contains NaN or infinity")
        return tuple(tuple(float(v) for v in row) for row in a)
    return check


def _check_seed(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError("seed", f"needs a whole number (0 or more), got {value!r}")
    return value


def _spin(lo: int, hi: int, tip: str) -> QSpinBox:
    spin = QSpinBox(minimum=lo, maximum=hi)
    spin.setToolTip(tip)
    return spin


class TransposedConvPanel(StepLab):
    def __init__(self, parent=None):
        super().__init__(step_name="input cell", steps_per_second=1.0, intro=INTRO, parent=parent)
        self.settings = TransposedSettings()
        self.trace: TransposedTrace | None = None
        self._levels = (-1.0, 1.0)
        self._quiet = False
        self.bind = Bindings(self.settings, self._on_changed)
        self._build_controls()
        self._build_views()
        self.player.stepChanged.connect(self._show_step)
        self.rebuild()

    def _build_controls(self) -> None:
        self.input_size_spin = _spin(1, 4, "Input height and width")
        self.input_size_spin.valueChanged.connect(self._on_input_size)
        self.input_grid = NumberGrid(2, 2)
        self.input_grid.setToolTip("Input values: click a cell and type a number")
        self.input_grid.valuesEdited.connect(
            lambda: self.bind.set("input", tuple(map(tuple, self.input_grid.values().tolist()))))
        self.bind.field("input", _square("input", 4), self._show_input)
        input_box = QGroupBox("Input")
        form = QFormLayout(input_box)
        form.addRow("Size", self.input_size_spin)
        form.addRow(self.input_grid)

        self.kernel_size_spin = _spin(1, 4, "Kernel height and width k")
        self.kernel_size_spin.valueChanged.connect(self._on_kernel_size)
        self.kernel_combo = self.bind.combo("preset", QComboBox(),
                                            {**{k: k for k in KERNEL_PRESETS}, CUSTOM: CUSTOM})
        self.kernel_combo.setToolTip("A kernel to start from")
        self.kernel_grid = NumberGrid(3, 3)
        self.kernel_grid.setToolTip("Kernel values: click a cell and type a number")
        self.kernel_grid.valuesEdited.connect(lambda: self.bind.apply(
            {"kernel": tuple(map(tuple, self.kernel_grid.values().tolist())), "preset": CUSTOM}))
        self.bind.field("kernel", _square("kernel", 4), self._show_kernel)
        for grid in (self.input_grid, self.kernel_grid):
            grid.invalidEntry.connect(lambda where: self.report_error(
                f"Cell {where}. The numbers in use are unchanged."))
        bias = self.bind.spin("bias", QDoubleSpinBox(decimals=2, minimum=-10, maximum=10,
                                                     singleStep=0.5))
        bias.setToolTip("Bias b, added to every output cell")
        kernel_box = QGroupBox("Kernel")
        form = QFormLayout(kernel_box)
        form.addRow("Preset", self.kernel_combo)
        form.addRow("Size", self.kernel_size_spin)
        form.addRow(self.kernel_grid)
        form.addRow("Bias", bias)

        layer_box = QGroupBox("Layer")
        grid = QGridLayout(layer_box)
        rows = [("stride", "Stride", 1, 4, "Stride s: the distance between neighbouring stamps"),
                ("padding", "Padding", 0, 3, "Padding p: rows/columns cropped from every side"),
                ("output_padding", "Output padding", 0, 3, "Extra rows/columns at the bottom/"
                 "right (must be smaller than the stride or the dilation)"),
                ("dilation", "Dilation", 1, 3, "Dilation d: the kernel's taps land d cells "
                 "apart, so a stamp covers d(k − 1) + 1 cells")]
        for r, (name, label, lo, hi, tip) in enumerate(rows):
            grid.addWidget(QLabel(label), r, 0)
            grid.addWidget(self.bind.spin(name, _spin(lo, hi, tip)), r, 1)
        self.formula = style.set_role(QLabel(), "equation")
        self.formula.setWordWrap(True)
        self.formula.setTextFormat(Qt.PlainText)
        grid.addWidget(self.formula, len(rows), 0, 1, 2)
        self.bind.field("seed", _check_seed, lambda _v: None)
        self.bind.field("step", check_step, lambda _v: None)
        self._show_input(self.settings.input)
        self._show_kernel(self.settings.kernel)
        self.add_controls(input_box, kernel_box, layer_box)

    def _build_views(self) -> None:
        self.input_view = MatrixView(colormap="diverging", title="Input (click a cell)",
                                     number_format="{:.3g}")
        self.input_view.cellClicked.connect(self._on_input_clicked)
        self.kernel_view = MatrixView(colormap="diverging", title="Kernel", number_format="{:.3g}")
        self.stamp_view = MatrixView(colormap="diverging", title="This stamp = value × kernel",
                                     number_format="{:.3g}")
        self.canvas_view = MatrixView(colormap="diverging", number_format="{:.3g}",
                                      title="Canvas: the stamps added (green: kept)")
        self.output_view = MatrixView(colormap="diverging", title="Output so far (+ bias)",
                                      number_format="{:.3g}")
        views = QWidget()
        grid = QGridLayout(views)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, view in enumerate((self.input_view, self.kernel_view, self.stamp_view)):
            grid.addWidget(view, 0, col)
        grid.addWidget(self.canvas_view, 1, 0, 1, 2)
        grid.addWidget(self.output_view, 1, 2)
        grid.setRowStretch(0, 2)
        grid.setRowStretch(1, 3)
        self.set_views(views)

    # -- slots ----------------------------------------------------------------------------------
    def _show_input(self, values) -> None:
        self.input_grid.set_values(values)
        with QSignalBlocker(self.input_size_spin):
            self.input_size_spin.setValue(len(values))

    def _show_kernel(self, values) -> None:
        self.kernel_grid.set_values(values)
        with QSignalBlocker(self.kernel_size_spin):
            self.kernel_size_spin.setValue(len(values))

    def _on_input_size(self, n: int) -> None:
        values = np.arange(1, n * n + 1, dtype=float).reshape(n, n)   # 1, 2, 3, ... row by row
        self.bind.set("input", tuple(map(tuple, values.tolist())))

    def _on_kernel_size(self, k: int) -> None:
        s = self.settings
        if s.preset in (CUSTOM, KERNEL_PRESETS[1]):
            old = np.array(s.kernel)       # a resized custom kernel keeps its top-left values
            new = np.zeros((k, k))
            m = min(k, old.shape[0])
            new[:m, :m] = old[:m, :m]
            self.bind.apply({"kernel": tuple(map(tuple, new.tolist())), "preset": CUSTOM})
        else:
            self.bind.set("kernel", tuple(map(tuple, kernel_preset(s.preset, k, s.seed).tolist())))

    def _on_changed(self, name: str) -> None:
        if self._quiet or name == "step":
            return
        s = self.settings
        if name == "preset" and s.preset != CUSTOM:
            values = {"seed": s.seed + 1} if s.preset == "random" else {}
            k = len(s.kernel)
            if s.preset == KERNEL_PRESETS[1]:       # bilinear 4×4, stride 2, padding 1: 2× size
                values.update(stride=2, padding=1, output_padding=0, dilation=1)
                k = 4
            kernel = kernel_preset(s.preset, k, values.get("seed", s.seed))
            self.bind.apply({**values, "kernel": tuple(map(tuple, kernel.tolist()))})
            return                                  # that apply rebuilds through here
        self.rebuild()

    def _on_input_clicked(self, row: int, col: int) -> None:
        if self.trace is not None:
            self.player.go_to(self.trace.step_index(0, row, col))

    # -- trace -> views -------------------------------------------------------------------------
    def rebuild(self, step: int = 0) -> bool:
        s = self.settings
        x, w = np.array(s.input, np.float32), np.array(s.kernel, np.float32)
        n, k = x.shape[0], w.shape[0]
        out = transposed_output_size(n, k, s.stride, s.padding, s.output_padding, s.dilation)
        self.formula.setText(
            f"H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1\n= ({n} − 1)·{s.stride} − "
            f"2·{s.padding} + {s.dilation}·({k} − 1) + {s.output_padding} + 1 = {out}\n"
            f"{n}×{n} → {max(out, 0)}×{max(out, 0)}")
        try:
            trace = conv_transpose2d_trace(x, w, s.bias, s.stride, s.padding, s.output_padding,
                                           s.dilation)
        except ValueError as exc:
            self.report_error(f"No output: {exc}. Showing the previous result.")
            return False
        self.clear_error()
        self.trace = trace
        final = trace.steps[-1].canvas[0]
        m = max(float(np.abs(final).max()), float(np.abs(trace.output).max()), 1e-6)
        self._levels = (-m, m)
        xm, km = float(np.abs(x).max() or 1), float(np.abs(w).max() or 1)
        self.input_view.set_matrix(x, levels=(-xm, xm))
        self.kernel_view.set_matrix(w, levels=(-km, km))
        r0, c0, ho, wo = trace.crop_rect()
        cropped = np.ones(final.shape, bool)
        cropped[r0:r0 + ho, c0:c0 + wo] = False
        self.canvas_view.set_overlay(cropped)
        self.code_panel.set_code(conv_transpose2d_code((1, n, n), 1, k, s.stride, s.padding,
                                                       s.output_padding, s.dilation))
        self.player.set_count(len(trace.steps), index=min(step, len(trace.steps) - 1))
        return True

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        self.settings.step = index
        step = t.steps[index]
        _c, i, j = step.in_index
        span = t.dilation[0] * (t.weight.shape[2] - 1) + 1   # canvas cells a stamp covers
        self.input_view.set_highlight((i, j, 1, 1), color=ORANGE)
        sm = max(float(np.abs(step.contribution).max()), 1e-6)
        self.stamp_view.set_matrix(step.contribution[0], levels=(-sm, sm))
        canvas = step.canvas[0]
        self.canvas_view.set_matrix(canvas, levels=self._levels)
        r, c = step.origin
        self.canvas_view.set_highlight((r, c, span, span), color=ORANGE)
        rows, cols = t.stamp_cells(i, j)                      # with dilation: where taps land
        self.canvas_view.set_marks([(int(a), int(b)) for a in rows for b in cols]
                                   if t.dilation[0] > 1 else [])
        r0, c0, ho, wo = t.crop_rect()
        self.canvas_view.set_highlight((r0, c0, ho, wo), color=GREEN, key="crop", width=2.0)
        bias = 0.0 if t.bias is None else float(t.bias[0])
        self.output_view.set_matrix(canvas[r0:r0 + ho, c0:c0 + wo] + bias, levels=self._levels)
        top, left = max(0, r - r0), max(0, c - c0)            # the stamp in the output, clipped
        bottom, right = min(ho, r - r0 + span), min(wo, c - c0 + span)
        inside = bottom > top and right > left
        self.output_view.set_highlight((top, left, bottom - top, right - left) if inside else None,
                                       color=ORANGE)
        taps = f"; its taps {t.dilation[0]} cells apart (red)" if t.dilation[0] > 1 else ""
        crop = (f"; the green frame keeps rows/cols {r0}–{r0 + ho - 1} (padding "
                f"{t.padding[0]} crops the rest)" if t.padding[0] else "")
        self.caption.setText(
            f"Input ({i}, {j}) = {step.value:.3g} × kernel, added to canvas rows {r}–"
            f"{r + span - 1}, cols {c}–{c + span - 1} (offset = index × stride {t.stride[0]})"
            f"{taps}; overlaps add up{crop}.")

    # -- state ----------------------------------------------------------------------------------
    def state(self) -> dict:
        return self.bind.to_dict()

    def apply_state(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise StateError("transposed", "needs a table of settings")
        self._quiet = True
        try:
            self.bind.apply(state)
        finally:
            self._quiet = False
            self.rebuild(step=self.settings.step)

    def reset(self) -> None:
        self._quiet = True
        try:
            self.bind.reset()
        finally:
            self._quiet = False
            self.rebuild()

    def controls(self) -> dict:
        return self.bind.widgets()
