"""The 2-D convolution tab: an input, kernels, stride/padding/dilation, an activation, and the
kernel's window sliding over the padded input one output cell per step.

Any change asks `engine.conv.conv2d_trace` for a new trace (the whole output from one
`F.conv2d`; each step built when shown) and hands it to the views. The map shown, after the
activation, is what the Pooling page pools (`featureMapChanged`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QSplitter,
    QVBoxLayout, QWidget,
)

from engine.activations import ACTIVATIONS, activation_curve, apply_activation
from engine.codegen import conv2d_code
from engine.conv import ConvTrace, conv2d_trace
from engine.images import SAMPLE_GRIDS, SAMPLE_PHOTOS, WORKED_EXAMPLE, WORKED_KERNEL
from gui import style
from gui.bind import Bindings
from gui.pages.convolution.conv2d_views import (
    ActivationView, PaddedInputView, ProductsView, WINDOW_COLOUR,
)
from gui.widgets.geometry_form import GeometryForm, WindowGeometry
from gui.widgets.input_source import GRID_PREFIX, InputSourceBox
from gui.widgets.kernel_editor import KernelEditor
from gui.widgets.map_grid import MapGrid
from gui.widgets.matrix_view import MatrixView
from gui.widgets.state_parts import BoundPart, PartsState, StateParts
from gui.widgets.step_lab import StepLab

PADDING_TINT = (255, 190, 60, 90)    # orange tint: the zero padding, unlike the real input
CHANNELS = {"colour": "colour", "R": "R", "G": "G", "B": "B"}
ZOOMS = {0: "whole input", 48: "48 × 48 around the window", 24: "24 × 24 around the window",
         12: "12 × 12 around the window"}


@dataclass
class ConvView:
    """What the 2-D tab shows besides the layer itself."""
    activation: str = "none"     # a key of engine.activations.ACTIVATIONS
    slope: float = 0.1           # Leaky ReLU's negative slope
    reveal: bool = False         # every output cell at once instead of filling them in
    channel: str = "colour"      # the input channel the big view shows (RGB)
    zoom: int = 0                # 0: the whole input; else the side of the area shown
    step: int = 0                # the step shown (the player's position)


def _titled(title: str, widget: QWidget, *extra: QWidget) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    head = QHBoxLayout()
    head.addWidget(style.set_role(QLabel(title), "title", bold=True))
    head.addStretch(1)
    for w in extra:
        head.addWidget(w)
    column.addLayout(head)
    column.addWidget(widget, 1)
    return box


class Conv2dPanel(PartsState, StepLab):
    featureMapChanged = Signal(object)   # (H_out, W_out) float32: the map shown, activated

    def __init__(self, parent=None):
        super().__init__(step_name="output cell", steps_per_second=2.0, parent=parent)
        self.trace: ConvTrace | None = None
        self.activated: np.ndarray | None = None      # (C_out, H_out, W_out) after the activation
        self._shown_filter = -1
        self._levels = {"out": (-1.0, 1.0), "act": (-1.0, 1.0), "prod": (-1.0, 1.0)}
        self._quiet = False
        self.view = ConvView()
        self.bind = Bindings(self.view, self._on_view_changed)
        self._build_controls()
        self._build_views()
        self.parts = StateParts({"input": self.input_box, "kernels": self.kernel_editor,
                                 "geometry": self.geometry_form, "view": BoundPart(self.bind)})
        self.player.stepChanged.connect(self.show_step)
        self.input_box.reload()
        self.recompute()

    # -- building -------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.input_box = InputSourceBox(SAMPLE_GRIDS, SAMPLE_PHOTOS, pad=True, typed=True,
                                        file=True, colour=True,
                                        default=GRID_PREFIX + "worked example 4×4",
                                        typed_default=WORKED_EXAMPLE)
        self.input_box.inputChanged.connect(self._on_input_changed)
        self.input_box.message.connect(self.message)
        self.kernel_editor = KernelEditor(kernel=WORKED_KERNEL)
        self.kernel_editor.kernelChanged.connect(self._on_layer_changed)
        self.kernel_editor.invalidInput.connect(lambda text: self.message.emit(text, "error"))
        self.kernel_editor.filterSelected.connect(self.select_filter)
        kernels = QGroupBox("Kernels (filters) and bias")
        QVBoxLayout(kernels).addWidget(self.kernel_editor)
        self.geometry_form = GeometryForm(defaults=WindowGeometry())
        self.geometry_form.changed.connect(self._on_layer_changed)
        self.activation_combo = self.bind.combo("activation", QComboBox(), ACTIVATIONS)
        self.activation_combo.setToolTip("Applied to every output cell after the sum and bias")
        self.slope_spin = self.bind.spin("slope", QDoubleSpinBox(
            minimum=0.0, maximum=1.0, singleStep=0.05, decimals=3, prefix="slope "))
        self.slope_spin.setToolTip("Leaky ReLU: f(x) = slope · x for x < 0")
        self.add_controls(self.input_box, kernels, self.geometry_form)

    def _build_views(self) -> None:
        self.input_view = PaddedInputView()
        self.input_view.setToolTip("The input with its zero padding (orange tint); the orange "
                                   "frame is the kernel's window")
        self.input_view.cellPainted.connect(self._on_cell_painted)
        self.input_view.zoomRequested.connect(self._on_zoom_requested)
        self.channel_combo = self.bind.combo("channel", QComboBox(), CHANNELS)
        self.channel_combo.setToolTip("Which input channel the view shows (numbers need one)")
        self.zoom_combo = self.bind.combo("zoom", QComboBox(), ZOOMS)
        self.zoom_combo.setToolTip("On a large input: show only the window's neighbourhood "
                                   "(or turn the mouse wheel over the input)")
        self.output_view = MatrixView(colormap="diverging", number_format="{:.2f}",
                                      max_number_cells=400, colorbar=True)
        self.output_view.setToolTip("The output (feature map); click a cell to jump to its step")
        self.output_view.cellClicked.connect(self.jump_to_cell)
        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("Which filter's output map the animation fills")
        self.filter_combo.activated.connect(self.select_filter)
        self.reveal_check = self.bind.check("reveal", QCheckBox("whole output"))
        self.reveal_check.setToolTip("Show every output cell now instead of filling them in")
        self.activated_view = ActivationView()
        self.activated_view.cellClicked.connect(self.jump_to_cell)
        top = QSplitter(Qt.Horizontal)
        top.addWidget(_titled("Padded input", self.input_view, self.channel_combo, self.zoom_combo))
        top.addWidget(_titled("Output", self.output_view, self.filter_combo, self.reveal_check))
        after = _titled("After the activation", self.activated_view)
        choice = QHBoxLayout()          # under the map and its curve: what f is
        choice.addWidget(self.activation_combo, 1)
        choice.addWidget(self.slope_spin)
        after.layout().addLayout(choice)
        top.addWidget(after)
        for k, stretch in enumerate((3, 2, 2)):
            top.setStretchFactor(k, stretch)
        self.set_views(top)
        self.products_view = ProductsView()
        self.map_grid = MapGrid(columns=3, colormap="diverging")
        self.add_extra("This step", self.products_view,
                       "The window's values times the kernel, and their sum")
        self.add_extra("All output maps", self.map_grid, "Every filter's map, after the activation")
        self.legend = QLabel(f"<span style='color:{WINDOW_COLOUR}'>■</span> orange frame: the "
                             "kernel's window · orange tint: zero padding")
        self.views_layout.addWidget(self.legend)

    # -- reacting -------------------------------------------------------------------------------
    def _on_input_changed(self) -> None:
        if self._quiet:
            return
        x = self.input_box.current()
        self.input_view.forget_zoom()
        self._quiet = True                       # photos: the whole map at once; grids fill in
        try:
            self.bind.set("reveal", bool(max(x.shape[-2:]) > 48))
        finally:
            self._quiet = False
        self.recompute()

    def _on_layer_changed(self) -> None:
        if not self._quiet:
            self.recompute()

    def _on_view_changed(self, name: str) -> None:
        if self._quiet or self.trace is None:
            return
        if name in ("activation", "slope"):
            self._update_activation()      # the step shown next publishes the new map
            self._update_code()
        elif name == "*":
            self.recompute()
            return
        elif name == "zoom":
            self.input_view.forget_zoom()
        elif name == "channel":
            self._show_input()
        self.show_step(self.player.index)

    def _on_cell_painted(self, r: int, c: int, erase: bool) -> None:
        ph, pw = self.geometry_form.pair("padding")      # the view shows the padded input
        self.input_box.paint_cell(r - ph, c - pw, erase)

    def _on_zoom_requested(self, direction: int) -> None:
        zooms = list(ZOOMS)
        k = zooms.index(self.view.zoom) + direction
        self.bind.set("zoom", zooms[min(max(k, 0), len(zooms) - 1)])

    # -- computing ------------------------------------------------------------------------------
    def recompute(self, step: int | None = None) -> bool:
        """A new trace for the input, kernels and geometry, shown at `step` (default: the same
        output cell as before). On settings with no output, say why and keep showing the last
        trace that worked."""
        x = self.input_box.current()
        x = x if x.ndim == 3 else x[None]                              # (C_in, H, W)
        if self.kernel_editor.in_channels != x.shape[0]:
            with QSignalBlocker(self.kernel_editor):
                self.kernel_editor.set_in_channels(x.shape[0])
        k = self.kernel_editor.kernel_size
        self.geometry_form.show_sizes(x.shape[1:], (k, k))
        g = self.geometry_form
        try:
            trace = conv2d_trace(x, self.kernel_editor.weights(), self.kernel_editor.bias(),
                                 g.pair("stride"), g.pair("padding"), g.pair("dilation"))
        except ValueError as e:
            self.report_error(f"No output: {e}. Showing the last settings that worked.")
            self._update_code(str(e))
            return False
        self.clear_error()
        old, self.trace = self.trace, trace
        self.products_view.set_channels(trace.x.shape[0])
        out = trace.output                                             # (C_out, H_out, W_out)
        peak = max(float(np.abs(out).max()), 1e-6)
        self._levels["out"] = (-peak, peak)
        # a product is at most max|x| · max|w|
        prod = max(float(np.abs(trace.padded).max() * np.abs(trace.weight).max()), 1e-6)
        self._levels["prod"] = (-prod, prod)
        self.input_view.zoomable = max(trace.padded.shape[1:]) > 48
        self.zoom_combo.setVisible(self.input_view.zoomable)
        self.channel_combo.setVisible(trace.x.shape[0] == 3)
        self._show_input()
        self._update_filter_combo()
        self._update_activation()
        self._update_code()
        index = self._same_cell(old, trace) if step is None else min(step, len(trace.steps) - 1)
        self.player.set_count(len(trace.steps), index=index)   # shows it, and publishes the map
        return True

    def _same_cell(self, old: ConvTrace | None, new: ConvTrace) -> int:
        """The step of the new trace at the cell the old one showed (clamped)."""
        if old is None:
            return min(self.view.step, len(new.steps) - 1)
        c, i, j = old.steps[min(self.player.index, len(old.steps) - 1)].out_index
        co, ho, wo = new.output.shape
        return new.step_index(min(c, co - 1), min(i, ho - 1), min(j, wo - 1))

    def _show_input(self) -> None:
        padded = self.trace.padded                                     # (C_in, H_pad, W_pad)
        channel = self.view.channel if padded.shape[0] == 3 else "R"
        if channel == "colour":
            self.input_view.set_rgb(np.moveaxis(padded, 0, -1))
        else:
            plane = padded["RGB".index(channel)]
            self.input_view.set_matrix(plane, levels=(min(0.0, float(plane.min())),
                                                      max(1.0, float(plane.max()))))
        self.input_view.set_overlay(self.trace.padding_mask(), rgba=PADDING_TINT)
        self.input_view.painting = self.input_box.painting

    def _update_code(self, error: str | None = None) -> None:
        x = self.input_box.current()
        shape = x.shape if x.ndim == 3 else (1, *x.shape)
        g, v = self.geometry_form, self.view
        code = conv2d_code(shape, self.kernel_editor.filter_count, self.kernel_editor.kernel_size,
                           g.pair("stride"), g.pair("padding"), g.pair("dilation"),
                           activation=v.activation, slope=v.slope)
        if error:
            code = re.sub(r"print\(y\.shape\).*", f"# RuntimeError: {error}", code)
        self.code_panel.set_code(code)

    def _update_filter_combo(self) -> None:
        n = self.trace.output.shape[0]
        if self.filter_combo.count() != n:
            with QSignalBlocker(self.filter_combo):
                self.filter_combo.clear()
                self.filter_combo.addItems([f"filter {k + 1} of {n}" for k in range(n)])
        self.filter_combo.setVisible(n > 1)

    def _update_activation(self) -> None:
        v = self.view
        self.slope_spin.setEnabled(v.activation == "leaky_relu")   # only Leaky ReLU has one
        self.activated = apply_activation(self.trace.output, v.activation, v.slope)
        peak = max(float(np.abs(self.activated).max()), 1e-6)
        self._levels["act"] = (-peak, peak)
        lo, hi = self._levels["out"]
        self.activated_view.show_curve(*activation_curve(v.activation, v.slope, lo=min(-3.0, lo),
                                                         hi=max(3.0, hi)), v.activation)
        n = self.activated.shape[0]
        self.map_grid.set_maps(self.activated, levels=self._levels["act"],
                               titles=[f"map {k + 1}" for k in range(n)])
        self._shown_filter = -1

    def _publish(self) -> None:
        fmap = self.current_feature_map()
        if fmap is not None:
            self.featureMapChanged.emit(fmap)

    # -- one step -------------------------------------------------------------------------------
    def show_step(self, k: int) -> None:
        """Step k: the window on the padded input, its products and sum, the output so far."""
        trace = self.trace
        if trace is None or not 0 <= k < len(trace.steps):
            return
        self.view.step = k
        step = trace.steps[k]
        c, i, j = step.out_index
        _c, ho, wo = trace.output.shape
        r0, c0 = step.origin
        self.input_view.show_window((r0, c0, *trace.kernel_span), self.view.zoom)
        self.input_view.set_marks(trace.window_cells(i, j) if trace.dilation != (1, 1) else [])
        mask = None if self.view.reveal else (np.arange(ho * wo) <= i * wo + j).reshape(ho, wo)
        new_map = c != self._shown_filter
        if new_map:                                   # a new map: its image is set once
            self.output_view.set_matrix(trace.output[c], self._levels["out"])
            self.activated_view.set_matrix(self.activated[c], self._levels["act"])
        for view in (self.output_view, self.activated_view):
            view.set_filled(mask)
            view.set_highlight((i, j, 1, 1), color=WINDOW_COLOUR)
        self.products_view.show_step(step, trace.weight[c], self._levels["prod"])
        after = float(self.activated[c, i, j])
        self.activated_view.mark(step.value, after)
        if new_map:
            self._shown_filter = c
            with QSignalBlocker(self.filter_combo):
                self.filter_combo.setCurrentIndex(c)
            self.kernel_editor.select_filter(c)
            self._publish()
        act = self.view.activation
        then = f" → {ACTIVATIONS[act]} → {after:.3f}" if act != "none" else ""
        self.caption.setText(f"Filter {c + 1}, output (row {i}, col {j}) = {step.value:.3f}"
                             f"{then}   ·   window at padded row {r0}, col {c0}")

    def select_filter(self, f: int) -> None:
        """Animate filter f, staying on the same output cell."""
        if self.trace is not None and 0 <= f < self.trace.output.shape[0]:
            _c, i, j = self.trace.steps[self.player.index].out_index
            self.player.go_to(self.trace.step_index(f, i, j))

    def jump_to_cell(self, r: int, c: int) -> None:
        """A click on an output cell jumps the animation to the step that computes it."""
        if self.trace is not None:
            f = self.trace.steps[self.player.index].out_index[0]
            self.player.pause()
            self.player.go_to(self.trace.step_index(f, r, c))

    def current_feature_map(self) -> np.ndarray | None:
        """The map shown, after the activation, (H_out, W_out); None before any trace."""
        if self.trace is None or self.activated is None:
            return None
        return self.activated[self.trace.steps[self.player.index].out_index[0]].copy()

    # -- state ----------------------------------------------------------------------------------
    def refresh_after_state(self, restored: bool) -> None:
        self.recompute(step=self.view.step if restored else 0)
