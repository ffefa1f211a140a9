"""The Layer sizes tab: one conv layer computed as shapes only, at any size (AlexNet's first
layer: 224×224×3 in, 96 kernels of 11×11, stride 4 → 54×54×96), with the formula filled in, the
parameter count and the equivalent `nn.Conv2d`. Small layers can be animated on the 2-D tab."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget,
)

from engine.codegen import conv2d_code
from engine.geometry import output_size
from gui import style
from gui.bind import Bindings
from gui.widgets.code_panel import CodePanel
from gui.widgets.geometry_form import GeometryForm, WindowGeometry
from gui.widgets.state_parts import BoundPart, PartsState, StateParts
from gui.widgets.step_lab import SidePanel

CUSTOM = "your own"
# name -> (C_in, H, W, filters, kernel, stride, padding)
PRESETS = {
    "AlexNet conv1 (224×224×3, 96 of 11×11, stride 4)": (3, 224, 224, 96, 11, 4, 0),
    "LeNet-5 conv1 (32×32×1, 6 of 5×5)": (1, 32, 32, 6, 5, 1, 0),
    "VGG-16 conv1 (224×224×3, 64 of 3×3, padding 1)": (3, 224, 224, 64, 3, 1, 1),
    CUSTOM: None,
}
CHANNEL_ORDER = ("Channel order: PyTorch writes a tensor C × H × W (channels first, after the "
                 "batch: N × C × H × W); the lecture notes and Keras write H × W × C.")


@dataclass
class LayerInput:
    """The input and the number of kernels of the layer being sized."""
    preset: str = next(iter(PRESETS))   # a key of PRESETS
    channels: int = 3                   # C_in
    height: int = 224
    width: int = 224
    filters: int = 96                   # kernels, i.e. output channels C_out


@dataclass
class LayerShapes:
    """What one conv layer makes of an input: shapes and counts, nothing computed per cell."""
    out_height: int
    out_width: int
    filters: int
    parameters: int          # C_out · (C_in · kH · kW + 1): weights and one bias per kernel
    multiply_adds: int       # H_out · W_out · C_out · C_in · kH · kW


def conv_layer_shapes(c_in: int, h: int, w: int, filters: int, kernel, stride, padding,
                      dilation) -> LayerShapes:
    """Shapes of `nn.Conv2d(c_in, filters, kernel, stride, padding, dilation)` on (c_in, h, w);
    ValueError (from engine.geometry.output_size) when it has no output."""
    h_out = output_size(h, kernel[0], stride[0], padding[0], dilation[0], axis="height")
    w_out = output_size(w, kernel[1], stride[1], padding[1], dilation[1], axis="width")
    taps = c_in * kernel[0] * kernel[1]
    return LayerShapes(h_out, w_out, filters, filters * (taps + 1), h_out * w_out * filters * taps)


def animatable(c_in: int, h: int, w: int, filters: int, kernel) -> bool:
    """What the 2-D tab can animate: 1 or 3 channels, up to 512 × 512, 6 square kernels ≤ 7."""
    return c_in in (1, 3) and max(h, w) <= 512 and filters <= 6 and kernel[0] == kernel[1] <= 7


def _spin(lo: int, hi: int, tip: str) -> QSpinBox:
    spin = QSpinBox(minimum=lo, maximum=hi)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin


class LayerCalculator(PartsState, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = LayerInput()
        self._quiet = False
        self.bind = Bindings(self.settings, self._on_changed)
        self.preset_combo = self.bind.combo("preset", QComboBox(), {k: k for k in PRESETS})
        self.preset_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(14)
        self.preset_combo.setToolTip("A layer from a famous network, or your own")
        box = QGroupBox("Input and kernels")
        form = QFormLayout(box)
        form.addRow(self.preset_combo)
        form.addRow("Channels C", self.bind.spin("channels", _spin(1, 4096, "Input channels C_in")))
        form.addRow("Height H", self.bind.spin("height", _spin(1, 4096, "Input height")))
        form.addRow("Width W", self.bind.spin("width", _spin(1, 4096, "Input width")))
        form.addRow("Kernels", self.bind.spin("filters", _spin(
            1, 4096, "Number of kernels (filters): the output's channels C_out")))
        self.geometry_form = GeometryForm(
            rows=("kernel", "stride", "padding", "dilation"), title="Kernel size, stride, padding",
            defaults=WindowGeometry(kernel=(11, 11), stride=(4, 4)), labels={"kernel": "Kernel"},
            limits={"kernel": (1, 15), "stride": (1, 16), "padding": (0, 16), "dilation": (1, 8)})
        self.geometry_form.changed.connect(self._on_geometry_changed)
        side = SidePanel()
        side.add(box)
        side.add(self.geometry_form)
        self.result = style.set_role(QLabel(), "equation")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.PlainText)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.code_panel = CodePanel("PyTorch code for this layer")
        note = QLabel(CHANNEL_ORDER)
        note.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(style.set_role(QLabel("Shapes only: no numbers are computed"), "title",
                                       bold=True))
        right.addWidget(self.result)
        right.addWidget(note)
        right.addWidget(self.code_panel, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(side)
        layout.addLayout(right, 1)
        self.parts = StateParts({"layer": BoundPart(self.bind), "geometry": self.geometry_form})
        self.recompute()

    def _on_changed(self, name: str) -> None:
        if self._quiet:
            return
        preset = PRESETS.get(self.settings.preset)
        if name == "preset" and preset is not None:
            c, h, w, f, k, s, p = preset
            self._quiet = True
            try:
                self.bind.apply({"channels": c, "height": h, "width": w, "filters": f})
                self.geometry_form.apply_state({"kernel": [k, k], "stride": [s, s],
                                           "padding": [p, p], "dilation": [1, 1]})
            finally:
                self._quiet = False
        elif name != "preset":
            self._mark_custom()
        self.recompute()

    def _on_geometry_changed(self) -> None:
        if not self._quiet:
            self._mark_custom()
            self.recompute()

    def _mark_custom(self) -> None:
        """A value of its own: the preset no longer describes the layer."""
        preset = PRESETS.get(self.settings.preset)
        s, g = self.settings, self.geometry_form
        if preset is None:
            return
        c, h, w, f, k, st, p = preset
        if (s.channels, s.height, s.width, s.filters, g.pair("kernel"), g.pair("stride"),
                g.pair("padding"), g.pair("dilation")) != (c, h, w, f, (k, k), (st, st), (p, p),
                                                           (1, 1)):
            self._quiet = True
            try:
                self.bind.set("preset", CUSTOM)
            finally:
                self._quiet = False

    def recompute(self) -> None:
        s, g = self.settings, self.geometry_form
        kernel = g.pair("kernel")
        g.show_sizes((s.height, s.width), kernel)
        args = (g.pair("stride"), g.pair("padding"), g.pair("dilation"))
        self.code_panel.set_code(conv2d_code((s.channels, s.height, s.width), s.filters, kernel,
                                             *args))
        try:
            out = conv_layer_shapes(s.channels, s.height, s.width, s.filters, kernel, *args)
        except ValueError as e:
            self.result.setText(f"No output: {e}.")
            return
        cells = out.out_height * out.out_width * out.filters
        animate = ("Small enough to animate: set it up on the 2-D convolution tab."
                   if animatable(s.channels, s.height, s.width, s.filters, kernel) else
                   f"Too big to animate ({cells:,} output values): shapes only.")
        self.result.setText(
            f"Output, PyTorch's C × H × W: {out.filters} × {out.out_height} × {out.out_width}\n"
            f"Output, the notes' H × W × C: {out.out_height} × {out.out_width} × {out.filters}\n"
            f"Parameters: {s.filters} × ({s.channels} · {kernel[0]} · {kernel[1]} + 1) = "
            f"{out.parameters:,}\n"
            f"Multiply-adds: {out.multiply_adds:,}\n{animate}")

    # -- state ----------------------------------------------------------------------------------
    def refresh_after_state(self, restored: bool) -> None:
        self.recompute()
