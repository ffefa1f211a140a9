"""The Convolution page: a kernel sliding over a padded input, one output cell per step.

Tabs: "2-D convolution" (this module's `Conv2dPanel`), "1-D signal" and "Transposed" (from
`gui.pages.conv_modes`). The 2-D panel keeps a `ConvSettings`; any control change asks
`engine.conv.conv2d_trace` for a new trace (the whole output from one `F.conv2d` call) and hands
it to the views; the `StepPlayer` then picks steps, each built on demand by the trace.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QGraphicsEllipseItem,
    QGraphicsItem, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
    QRadioButton, QScrollArea, QSpinBox, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout,
    QWidget,
)

from engine.activations import ACTIVATIONS, activation_curve, apply_activation
from engine.codegen import conv2d_code
from engine.conv import ConvTrace, conv2d_trace, output_size_formula
from engine.images import (SAMPLE_GRIDS, SAMPLE_PHOTOS, WORKED_KERNEL, ImageLoadError, gray_to_rgb_grid,
                           load_image, sample_grid, sample_photo)
from gui.app import app_settings, read_setting
from gui.pages.base import Page
from gui.pages.conv_modes import Conv1dPanel, TransposedConvPanel
from gui.widgets.code_panel import CodePanel
from gui.widgets.kernel_editor import CHANNEL_NAMES, KernelEditor
from gui.widgets.live_label import LiveLabel
from gui.widgets.map_grid import MapGrid
from gui.widgets.plot_cache import cache_axes
from gui.widgets.matrix_view import MatrixView
from gui.widgets.step_player import StepPlayer, StepPlayerBar

GRID_PREFIX, PHOTO_PREFIX = "Numbers: ", "Photo: "
PAD_SOURCE, TYPED_SOURCE, FILE_SOURCE = "Drawing pad", "Type a grid", "Image file"
PADDING_TINT = (255, 190, 60, 90)   # warm orange: padding cells look different from real input
MAX_TYPED = 32                      # rows/cols a typed grid may have
EXPAND_CELLS = 64                   # products spelled out as "a×b + ..." up to this many terms


@dataclass
class ConvSettings:
    """What the 2-D panel computes, as the controls set it."""
    stride: tuple[int, int] = (1, 1)      # (height, width)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    activation: str = "none"              # a key of engine.activations.ACTIVATIONS
    slope: float = 0.1                    # Leaky ReLU's negative slope
    rgb: bool = False                     # 3 input channels instead of 1


class PaintableMatrixView(MatrixView):
    """A MatrixView the user can paint on with the mouse (the drawing pad): left button draws,
    right button (or Shift) erases. Emits `cellPainted(row, col, erase)` in image coordinates.
    (Candidate for the shared MatrixView: a `paintable` flag.)"""

    cellPainted = Signal(int, int, bool)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.painting_enabled = False
        self._erase = False
        self._last: tuple[int, int] | None = None

    def _cell_at(self, pos) -> tuple[int, int] | None:
        p = self.image.mapFromScene(self.mapToScene(pos))
        r, c = int(np.floor(p.y())), int(np.floor(p.x()))
        shape = self.image.image.shape[:2] if self.image.image is not None else None
        if shape and 0 <= r < shape[0] and 0 <= c < shape[1]:
            return r, c
        return None

    def _paint(self, pos) -> None:
        cell = self._cell_at(pos)
        if cell is not None and cell != self._last:
            self._last = cell
            self.cellPainted.emit(cell[0], cell[1], self._erase)

    def mousePressEvent(self, event):
        if not self.painting_enabled:
            return super().mousePressEvent(event)
        self._erase = event.button() == Qt.RightButton or bool(event.modifiers() & Qt.ShiftModifier)
        self._last = None
        self._paint(event.position().toPoint())
        event.accept()

    def mouseMoveEvent(self, event):
        if self.painting_enabled and event.buttons() & (Qt.LeftButton | Qt.RightButton):
            self._paint(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self.painting_enabled:
            self._last = None
            event.accept()
            return
        super().mouseReleaseEvent(event)


def parse_grid(text: str) -> np.ndarray:
    """Numbers typed one row per line (spaces, commas or semicolons between them) -> (H, W).
    ValueError says what is wrong."""
    rows = [r for r in (line.strip() for line in text.strip().splitlines()) if r]
    if not rows:
        raise ValueError("the grid is empty: type one row of numbers per line")
    values = []
    for n, row in enumerate(rows, 1):
        cells = [c for c in re.split(r"[\s,;]+", row.replace("−", "-")) if c]
        out = []
        for c in cells:
            try:
                v = float(c)
            except ValueError:
                raise ValueError(f"row {n}: '{c}' is not a number") from None
            if not np.isfinite(v):
                raise ValueError(f"row {n}: '{c}' is not a finite number")
            out.append(v)
        values.append(out)
    widths = {len(r) for r in values}
    if len(widths) != 1:
        raise ValueError(f"rows have different lengths ({', '.join(str(len(r)) for r in values)}): "
                         "every row needs the same number of values")
    grid = np.array(values, np.float32)
    if max(grid.shape) > MAX_TYPED:
        raise ValueError(f"at most {MAX_TYPED}×{MAX_TYPED} numbers, got {grid.shape[0]}×{grid.shape[1]}")
    return grid


class ProductsView(QWidget):
    """The current window ⊙ kernel: one small MatrixView of products per input channel, each
    with its partial sum, then "sum + bias = value" (and the terms spelled out when short)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.views: list[MatrixView] = []
        self.titles: list[QLabel] = []
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        # Plain text in two labels, the sum in bold: rich text costs five times as much to
        # lay out, and these change on every step.
        self.terms = LiveLabel(lines=2)           # the products spelled out, when short
        self.equation = LiveLabel(lines=2)        # sum + bias = value
        bold = QFont(self.equation.font())
        bold.setBold(True)
        self.equation.setFont(bold)
        for label in (self.terms, self.equation):
            label.setTextFormat(Qt.PlainText)
            label.setWordWrap(True)
            label.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row, 1)
        layout.addWidget(self.terms)
        layout.addWidget(self.equation)
        self.set_channels(1)

    def set_channels(self, n: int) -> None:
        while len(self.views) > n:
            self.views.pop().deleteLater()
            self.titles.pop().deleteLater()
            item = self.row.takeAt(self.row.count() - 1)
            if item.layout():
                item.layout().deleteLater()
        while len(self.views) < n:
            box = QVBoxLayout()
            title = LiveLabel()
            title.setAlignment(Qt.AlignCenter)
            view = MatrixView(colormap="diverging", number_format="{:.2f}", max_number_cells=49)
            view.setMinimumSize(110, 110)
            box.addWidget(title)
            box.addWidget(view, 1)
            self.row.addLayout(box, 1)
            self.views.append(view)
            self.titles.append(title)

    def show_step(self, step, kernel: np.ndarray, levels: tuple[float, float]) -> None:
        """kernel: (C_in, kH, kW), the filter this step applies."""
        n = step.products.shape[0]
        for c in range(n):
            self.views[c].set_matrix(step.products[c], levels=levels)
            # one channel: its Σ is in the equation below, so the title stays put (a label
            # that changes costs a repaint every step)
            self.titles[c].setText(f"{CHANNEL_NAMES[c]}: window ⊙ kernel, Σ = "
                                   f"{step.channel_sums[c]:.3f}" if n > 1 else "window ⊙ kernel")
        bias = f" {'+' if step.bias >= 0 else '−'} {abs(step.bias):.3f} (bias)"
        if n > 1:
            parts = " + ".join(f"{s:.3f} ({CHANNEL_NAMES[c]})" for c, s in enumerate(step.channel_sums))
            self.terms.setText("")
            self.equation.setText(f"{parts}{bias} = {step.value:.3f}")
            return
        if step.products.size <= EXPAND_CELLS and step.products.shape[-1] <= 3:
            self.terms.setText(" + ".join(
                f"{a:.2f}×{b:.2f}".replace("×-", "×(−") + (")" if b < 0 else "")
                for a, b in zip(step.window.ravel(), kernel.ravel())))
        else:
            self.terms.setText("")
        self.equation.setText(f"Σ = {step.channel_sums[0]:.3f}{bias} = {step.value:.3f}")


class Conv2dPanel(QWidget):
    """The 2-D convolution lab: input, kernels, settings, animation, activation, code."""

    message = Signal(str, str)  # (text, level) for the page's status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = ConvSettings()
        self.trace: ConvTrace | None = None
        self.activated: np.ndarray | None = None    # (C_out, H_out, W_out) after the activation
        self._input = sample_grid("worked example 4×4")  # (H, W) gray or (3, H, W) RGB
        self._source = GRID_PREFIX + "worked example 4×4"
        self._file_path: str | None = None
        self._pad = np.zeros((10, 10), np.float32)  # the drawing pad (gray)
        self._typed = sample_grid("worked example 4×4")
        self._shown_filter = -1
        self._levels_out = (-1.0, 1.0)
        self._levels_act = (-1.0, 1.0)
        self._levels_prod = (-1.0, 1.0)
        self.player = StepPlayer(self, steps_per_second=2)
        self.player.stepChanged.connect(self.show_step)

        self._build_controls()
        self._build_views()
        self._build_layout()
        self.kernel_editor.set_kernel(WORKED_KERNEL)  # the lecture's worked example first
        self._sync_source_widgets()
        self.restore_settings()
        self.recompute()

    # -- building ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.source_combo = QComboBox()
        self.source_combo.addItems([GRID_PREFIX + n for n in SAMPLE_GRIDS])
        self.source_combo.addItems([PHOTO_PREFIX + n for n in SAMPLE_PHOTOS])
        self.source_combo.addItems([PAD_SOURCE, TYPED_SOURCE, FILE_SOURCE])
        self.source_combo.setMaxVisibleItems(20)
        self.source_combo.activated.connect(self._on_source_chosen)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Load a PNG or JPEG from disk")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.gray_radio = QRadioButton("Grayscale")
        self.rgb_radio = QRadioButton("RGB (3 channels)")
        self.gray_radio.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.gray_radio)
        self.mode_group.addButton(self.rgb_radio)
        self.rgb_radio.toggled.connect(self._on_rgb_toggled)
        self.show_channel_combo = QComboBox()
        self.show_channel_combo.addItems(["colour", "R", "G", "B"])
        self.show_channel_combo.setToolTip("Which input channel the big view shows (numbers need one channel)")
        self.show_channel_combo.currentIndexChanged.connect(self._on_show_channel)

        # drawing pad
        self.pad_size_spin = QSpinBox(minimum=3, maximum=20, value=10, prefix="size ")
        self.pad_size_spin.valueChanged.connect(self._on_pad_size)
        self.pad_clear_button = QPushButton("Clear")
        self.pad_clear_button.clicked.connect(self.clear_pad)
        pad_box = QWidget()
        pad_row = QHBoxLayout(pad_box)
        pad_row.setContentsMargins(0, 0, 0, 0)
        pad_row.addWidget(QLabel("Paint on the input: left draws, right erases"), 1)
        pad_row.addWidget(self.pad_size_spin)
        pad_row.addWidget(self.pad_clear_button)
        # typed grid
        self.grid_edit = QPlainTextEdit()
        self.grid_edit.setPlaceholderText("one row per line, e.g.\n0 1 0\n1 1 1\n0 1 0")
        self.grid_edit.setPlainText("\n".join(" ".join(f"{v:g}" for v in row) for row in self._typed))
        self.grid_edit.setMaximumHeight(110)
        self.use_grid_button = QPushButton("Use these numbers")
        self.use_grid_button.clicked.connect(self.apply_typed_grid)
        typed_box = QWidget()
        typed_col = QVBoxLayout(typed_box)
        typed_col.setContentsMargins(0, 0, 0, 0)
        typed_col.addWidget(self.grid_edit)
        typed_col.addWidget(self.use_grid_button)
        self.source_extra = QStackedWidget()
        self.source_extra.addWidget(QWidget())
        self.source_extra.addWidget(pad_box)
        self.source_extra.addWidget(typed_box)
        self.input_error = QLabel()
        self.input_error.setWordWrap(True)
        self.input_error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.input_error.hide()
        self.input_info = QLabel()
        self.input_info.setWordWrap(True)

        self.kernel_editor = KernelEditor(size=3)
        self.kernel_editor.kernelChanged.connect(self.recompute)
        self.kernel_editor.invalidInput.connect(self._on_bad_kernel)
        self.kernel_editor.filter_tabs.currentChanged.connect(self._on_editor_filter)

        def spin(lo, hi, value, tip):
            s = QSpinBox(minimum=lo, maximum=hi, value=value)
            s.setToolTip(tip)
            s.valueChanged.connect(self._on_geometry_changed)
            return s
        self.stride_h = spin(1, 8, 1, "Stride: how many cells the window moves each step")
        self.stride_w = spin(1, 8, 1, "Stride along the width")
        self.padding_h = spin(0, 8, 0, "Zero padding added on each side")
        self.padding_w = spin(0, 8, 0, "Zero padding on the left and right")
        self.dilation_h = spin(1, 5, 1, "Dilation: gaps between the kernel's taps")
        self.dilation_w = spin(1, 5, 1, "Dilation along the width")
        self.separate_hw = QCheckBox("separate height / width")
        self.separate_hw.toggled.connect(self._on_separate_toggled)
        self.formula_label = QLabel()
        self.formula_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.formula_label.setWordWrap(True)
        self.settings_error = QLabel()
        self.settings_error.setWordWrap(True)
        self.settings_error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.settings_error.hide()

        self.activation_combo = QComboBox()
        for key, label in ACTIVATIONS.items():
            self.activation_combo.addItem(label, key)
        self.activation_combo.currentIndexChanged.connect(self._on_activation_changed)
        self.slope_spin = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=3,
                                         value=self.settings.slope, prefix="slope ")
        self.slope_spin.setToolTip("Leaky ReLU: output = slope × x for x < 0")
        self.slope_spin.valueChanged.connect(self._on_activation_changed)

        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("Which filter's output map the animation fills")
        self.filter_combo.activated.connect(self._on_filter_chosen)
        self.reveal_check = QCheckBox("show the whole output")
        self.reveal_check.setToolTip("Show every output cell now instead of filling them step by step")
        self.reveal_check.toggled.connect(self._on_reveal_toggled)

    def _build_views(self) -> None:
        self.input_view = PaintableMatrixView(colormap="gray", number_format="{:.2f}",
                                              max_number_cells=400)
        self.input_view.cellPainted.connect(self._on_cell_painted)
        self.output_view = MatrixView(colormap="diverging", number_format="{:.2f}",
                                             max_number_cells=400, colorbar=True)
        self.output_view.cellClicked.connect(self.jump_to_cell)
        self.products_view = ProductsView()
        self.activated_view = MatrixView(colormap="diverging", number_format="{:.2f}",
                                                max_number_cells=144)
        self.activated_view.cellClicked.connect(self.jump_to_cell)
        self.activated_view.setMinimumHeight(280)
        # The activation's curve lives in the map's own view, under it: both change every step,
        # and one pyqtgraph view repaints for about the cost of one (not two).
        self.activated_view.nextRow()
        self.curve_plot = self.activated_view.addPlot()
        self.activated_view.ci.layout.setRowStretchFactor(0, 3)
        self.activated_view.ci.layout.setRowStretchFactor(1, 2)
        self.curve_plot.setMenuEnabled(False)
        self.curve_plot.setMouseEnabled(False, False)
        self.curve_plot.hideButtons()
        self.curve_plot.showGrid(x=True, y=True, alpha=0.3)
        self.curve_plot.setLabel("bottom", "x")
        self.curve_plot.setLabel("left", "f(x)")
        self.curve_plot.setMinimumHeight(120)
        cache_axes(self.curve_plot)  # the marker moves every step; the axes and grid do not
        self.curve = self.curve_plot.plot(pen=pg.mkPen("#1f5fbf", width=2.5))
        # The current cell on the curve: a dot of fixed pixel size. Moving it repaints a few
        # pixels (cross-hair lines across the plot repainted the whole curve every step).
        self.marker = QGraphicsEllipseItem(-6, -6, 12, 12)
        self.marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.marker.setBrush(QColor("#ff8c00"))
        self.marker.setPen(QPen(QColor("#000000"), 1))
        self.marker.setZValue(10)
        self.curve_plot.addItem(self.marker, ignoreBounds=True)
        self.map_grid = MapGrid(columns=3, colormap="diverging")
        self.map_grid.setMinimumHeight(110)
        self.code_panel = CodePanel("PyTorch")
        self.code_panel.setMinimumHeight(185)
        self.player_bar = StepPlayerBar(self.player)
        self.step_label = LiveLabel()
        self.step_label.label.setTextInteractionFlags(Qt.TextSelectableByMouse)

    @staticmethod
    def _titled(title: str, widget: QWidget, extra: QWidget | None = None) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel(f"<b>{title}</b>"))
        head.addStretch(1)
        if extra is not None:
            head.addWidget(extra)
        col.addLayout(head)
        col.addWidget(widget, 1)
        return box

    def _build_layout(self) -> None:
        # left: controls in a scroll area
        input_group = QGroupBox("Input")
        form = QVBoxLayout(input_group)
        form.addWidget(self.source_combo)
        row = QHBoxLayout()
        row.addWidget(self.gray_radio)
        row.addWidget(self.rgb_radio)
        form.addLayout(row)
        row = QHBoxLayout()
        self.show_channel_label = QLabel("Show")
        row.addWidget(self.show_channel_label)
        row.addWidget(self.show_channel_combo, 1)
        row.addWidget(self.open_button)
        form.addLayout(row)
        form.addWidget(self.source_extra)
        form.addWidget(self.input_info)
        form.addWidget(self.input_error)

        kernel_group = QGroupBox("Kernels (filters)")
        QVBoxLayout(kernel_group).addWidget(self.kernel_editor)

        geometry_group = QGroupBox("Stride, padding, dilation")
        grid = QGridLayout(geometry_group)
        grid.addWidget(QLabel("height"), 0, 1)
        self.width_header = QLabel("width")
        grid.addWidget(self.width_header, 0, 2)
        for r, (name, h, w) in enumerate([("Stride", self.stride_h, self.stride_w),
                                          ("Padding", self.padding_h, self.padding_w),
                                          ("Dilation", self.dilation_h, self.dilation_w)], 1):
            grid.addWidget(QLabel(name), r, 0)
            grid.addWidget(h, r, 1)
            grid.addWidget(w, r, 2)
        grid.addWidget(self.separate_hw, 4, 0, 1, 3)
        grid.addWidget(self.formula_label, 5, 0, 1, 3)
        grid.addWidget(self.settings_error, 6, 0, 1, 3)

        activation_group = QGroupBox("Activation")
        arow = QHBoxLayout(activation_group)
        arow.addWidget(self.activation_combo, 1)
        arow.addWidget(self.slope_spin)

        left = QWidget()
        lcol = QVBoxLayout(left)
        for g in (input_group, kernel_group, geometry_group, activation_group):
            lcol.addWidget(g)
        lcol.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(350)
        scroll.setMaximumWidth(420)

        # centre: input | output on top, products below, player at the bottom
        out_head = QWidget()
        oh = QHBoxLayout(out_head)
        oh.setContentsMargins(0, 0, 0, 0)
        self.filter_label = QLabel("filter")
        oh.addWidget(self.filter_label)
        oh.addWidget(self.filter_combo)
        oh.addWidget(self.reveal_check)
        top = QSplitter(Qt.Horizontal)
        top.addWidget(self._titled("Padded input (orange: zero padding)", self.input_view))
        top.addWidget(self._titled("Output (feature map)", self.output_view, out_head))
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        centre_split = QSplitter(Qt.Vertical)
        centre_split.addWidget(top)
        centre_split.addWidget(self._titled("This step", self.products_view))
        centre_split.addWidget(self.code_panel)
        centre_split.setStretchFactor(0, 4)
        centre_split.setStretchFactor(1, 3)
        centre_split.setStretchFactor(2, 1)
        centre = QWidget()
        ccol = QVBoxLayout(centre)
        ccol.setContentsMargins(0, 0, 0, 0)
        ccol.addWidget(centre_split, 1)
        ccol.addWidget(self.step_label)
        ccol.addWidget(self.player_bar)

        # right: activation, all maps, code
        right = QSplitter(Qt.Vertical)
        right.addWidget(self._titled("After the activation, and its curve", self.activated_view))
        right.addWidget(self._titled("All output maps (after activation)", self.map_grid))
        right.setStretchFactor(0, 5)
        right.setStretchFactor(1, 2)
        right.setMinimumWidth(300)

        main = QSplitter(Qt.Horizontal)
        main.addWidget(scroll)
        main.addWidget(centre)
        main.addWidget(right)
        main.setStretchFactor(1, 3)
        main.setStretchFactor(2, 1)
        main.setSizes([370, 760, 340])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(main)
        self._on_separate_toggled(False)
        self._on_rgb_toggled(False)

    # -- inputs ------------------------------------------------------------------------------
    def _notify(self, text: str, level: str = "info") -> None:
        self.message.emit(text, level)

    def _show_input_error(self, text: str) -> None:
        self.input_error.setText(text)
        self.input_error.setVisible(bool(text))

    def set_source(self, name: str) -> bool:
        """Switch to an input: a combo text (e.g. "Photo: coins"). False if it failed."""
        rgb = self.settings.rgb
        info = ""
        if name.startswith(GRID_PREFIX):
            x = sample_grid(name[len(GRID_PREFIX):], rgb)
        elif name.startswith(PHOTO_PREFIX):
            photo = sample_photo(name[len(PHOTO_PREFIX):], rgb)
            x, info = photo.pixels, photo.notice
        elif name == PAD_SOURCE:
            x = gray_to_rgb_grid(self._pad) if rgb else self._pad.copy()
        elif name == TYPED_SOURCE:
            x = gray_to_rgb_grid(self._typed) if rgb else self._typed.copy()
        elif name == FILE_SOURCE:
            if not self._file_path:
                return self._on_open_clicked()
            try:
                loaded = load_image(self._file_path, rgb)
            except ImageLoadError as e:
                self._fail_input(str(e))
                return False
            x, info = loaded.pixels, loaded.notice
        else:
            return False
        big = max(x.shape[-2:]) > 48
        self._source = name
        self._input = x
        self._sync_source_widgets()
        self.input_info.setText(info)
        self._show_input_error("")
        if info:
            self._notify(info, "warning")
        self.reveal_check.setChecked(big)  # photos: the whole map at once; grids fill in
        self.recompute()
        return True

    def _fail_input(self, text: str) -> None:
        self._show_input_error(text + " The previous input is kept.")
        self._notify(text, "error")
        self._sync_source_widgets()

    def _sync_source_widgets(self) -> None:
        self.source_combo.blockSignals(True)
        self.source_combo.setCurrentText(self._source)
        self.source_combo.blockSignals(False)
        page = {PAD_SOURCE: 1, TYPED_SOURCE: 2}.get(self._source, 0)
        self.source_extra.setCurrentIndex(page)
        self.source_extra.setVisible(page != 0)
        self.input_view.painting_enabled = self._source == PAD_SOURCE

    # -- kept between sessions ----------------------------------------------------------------
    def save_settings(self) -> None:
        """Remember the input, grey/RGB, stride/padding/dilation and activation (the window
        calls this when it closes). Kernels are not kept: each session starts from the
        worked example's."""
        store = app_settings()
        store.setValue("convolution/source", self._source)
        store.setValue("convolution/file", self._file_path or "")
        store.setValue("convolution/typed", self.grid_edit.toPlainText())
        store.setValue("convolution/rgb", self.settings.rgb)
        store.setValue("convolution/separate_hw", self.separate_hw.isChecked())
        for name, spin in self._geometry_spins().items():
            store.setValue(f"convolution/{name}", spin.value())
        store.setValue("convolution/activation", self.settings.activation)
        store.setValue("convolution/slope", self.settings.slope)

    def restore_settings(self) -> None:
        """The last session's choices; a value that is missing or unreadable keeps the default."""
        def read(key, default):
            return read_setting(f"convolution/{key}", default)
        if read("rgb", False):
            self.rgb_radio.setChecked(True)           # reloads the source in RGB
        self.separate_hw.setChecked(read("separate_hw", False))
        spins = self._geometry_spins()
        for spin in spins.values():
            spin.blockSignals(True)
        for name, spin in spins.items():
            spin.setValue(read(name, spin.value()))   # the spin clamps to its range
        for spin in spins.values():
            spin.blockSignals(False)
        self._on_geometry_changed()
        index = self.activation_combo.findData(read("activation", "none"))
        self.slope_spin.setValue(read("slope", self.settings.slope))
        self.activation_combo.setCurrentIndex(max(index, 0))
        typed = read("typed", "")
        try:
            self._typed = parse_grid(typed) if typed.strip() else self._typed
            self.grid_edit.setPlainText(typed or self.grid_edit.toPlainText())
        except ValueError:
            pass
        source = read("source", self._source)
        path = read("file", "")
        if source == FILE_SOURCE:
            if not (path and Path(path).is_file()):
                return                                # the file has gone: keep the default
            self._file_path = path
        if source != self._source and self.source_combo.findText(source) >= 0:
            self.set_source(source)

    def _geometry_spins(self) -> dict[str, QSpinBox]:
        return {"stride_h": self.stride_h, "stride_w": self.stride_w,
                "padding_h": self.padding_h, "padding_w": self.padding_w,
                "dilation_h": self.dilation_h, "dilation_w": self.dilation_w}

    def _on_source_chosen(self, index: int) -> None:
        self.set_source(self.source_combo.itemText(index))

    def _on_open_clicked(self) -> bool:
        start = app_settings().value("convolution/last_dir", "", type=str)
        path, _ = QFileDialog.getOpenFileName(
            self, "Open an image", start,
            "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)")
        if not path:
            self._sync_source_widgets()
            return False
        return self.load_image_file(path)

    def load_image_file(self, path: str) -> bool:
        """Use an image file as the input; on a bad file say why and keep the previous input."""
        try:
            loaded = load_image(path, self.settings.rgb)
        except ImageLoadError as e:
            self._fail_input(str(e))
            return False
        app_settings().setValue("convolution/last_dir", str(Path(path).parent))
        self._file_path = path
        self._source = FILE_SOURCE
        self._input = loaded.pixels
        self._sync_source_widgets()
        self._show_input_error("")
        self.input_info.setText(loaded.notice or f"{Path(path).name}: "
                                f"{loaded.pixels.shape[-1]}×{loaded.pixels.shape[-2]} pixels")
        if loaded.notice:
            self._notify(loaded.notice, "warning")
        self.reveal_check.setChecked(max(loaded.pixels.shape[-2:]) > 48)
        self.recompute()
        return True

    def apply_typed_grid(self) -> bool:
        try:
            grid = parse_grid(self.grid_edit.toPlainText())
        except ValueError as e:
            self._fail_input(f"Typed grid: {e}.")
            return False
        self._typed = grid
        return self.set_source(TYPED_SOURCE)

    def _on_pad_size(self, n: int) -> None:
        old = self._pad
        self._pad = np.zeros((n, n), np.float32)
        m = min(n, old.shape[0])
        self._pad[:m, :m] = old[:m, :m]
        if self._source == PAD_SOURCE:
            self.set_source(PAD_SOURCE)

    def clear_pad(self) -> None:
        self._pad[:] = 0
        if self._source == PAD_SOURCE:
            self.set_source(PAD_SOURCE)

    def paint_cell(self, r: int, c: int, erase: bool = False) -> None:
        """Set a drawing-pad cell (input coordinates) to 1, or 0 when erasing."""
        if 0 <= r < self._pad.shape[0] and 0 <= c < self._pad.shape[1]:
            self._pad[r, c] = 0.0 if erase else 1.0
            if self._source == PAD_SOURCE:
                self.set_source(PAD_SOURCE)

    def _on_cell_painted(self, r: int, c: int, erase: bool) -> None:
        # the view shows the padded input: shift back to input coordinates
        ph, pw = self.settings.padding
        self.paint_cell(r - ph, c - pw, erase)

    def _on_rgb_toggled(self, _checked: bool = False) -> None:
        rgb = self.rgb_radio.isChecked()
        self.show_channel_combo.setVisible(rgb)
        self.show_channel_label.setVisible(rgb)
        if rgb == self.settings.rgb:
            return
        self.settings.rgb = rgb
        self.kernel_editor.blockSignals(True)
        self.kernel_editor.set_in_channels(3 if rgb else 1)
        self.kernel_editor.blockSignals(False)
        if not self.set_source(self._source):
            self.recompute()

    def _on_show_channel(self, _index: int) -> None:
        self._show_input()
        if self.trace is not None:
            self.show_step(self.player.index)

    # -- settings ----------------------------------------------------------------------------
    def _on_separate_toggled(self, on: bool) -> None:
        if on:  # start the width from the shared value, so ticking the box changes nothing
            for h, w in ((self.stride_h, self.stride_w), (self.padding_h, self.padding_w),
                         (self.dilation_h, self.dilation_w)):
                w.blockSignals(True)
                w.setValue(h.value())
                w.blockSignals(False)
        for w in (self.stride_w, self.padding_w, self.dilation_w, self.width_header):
            w.setVisible(on)
        self._on_geometry_changed()

    def _on_geometry_changed(self, _value: int = 0) -> None:
        sep = self.separate_hw.isChecked()
        s = self.settings
        s.stride = (self.stride_h.value(), self.stride_w.value() if sep else self.stride_h.value())
        s.padding = (self.padding_h.value(), self.padding_w.value() if sep else self.padding_h.value())
        s.dilation = (self.dilation_h.value(), self.dilation_w.value() if sep else self.dilation_h.value())
        if hasattr(self, "output_view"):
            self.recompute()

    def _on_activation_changed(self, _value=None) -> None:
        self.settings.activation = self.activation_combo.currentData()
        self.settings.slope = self.slope_spin.value()
        self.slope_spin.setEnabled(self.settings.activation == "leaky_relu")
        self._update_activation()
        self._update_code()
        if self.trace is not None:
            self.show_step(self.player.index)

    def _on_bad_kernel(self, text: str) -> None:
        self._notify(text, "error")

    def _on_editor_filter(self, f: int) -> None:
        # Selecting a filter's tab in the editor also animates that filter.
        if self.trace is not None and 0 <= f < self.trace.output.shape[0]:
            self.select_filter(f)

    def _on_filter_chosen(self, f: int) -> None:
        self.select_filter(f)

    def select_filter(self, f: int) -> None:
        """Animate filter f, staying on the same output cell."""
        if self.trace is None:
            return
        _c, i, j = self.trace.steps[self.player.index].out_index
        self.player.go_to(self.trace.step_index(f, i, j))

    def _on_reveal_toggled(self, _on: bool) -> None:
        if self.trace is not None:
            self.show_step(self.player.index)

    # -- computing ---------------------------------------------------------------------------
    def _channels(self) -> np.ndarray:
        return self._input if self._input.ndim == 3 else self._input[None]

    def recompute(self) -> bool:
        """A new trace for the current input, kernels and settings. On settings with no output,
        say why and keep showing the previous trace."""
        s = self.settings
        x = self._channels()
        w, b = self.kernel_editor.weights(), self.kernel_editor.bias()
        self._update_formula()
        try:
            trace = conv2d_trace(x, w, b, stride=s.stride, padding=s.padding, dilation=s.dilation)
        except ValueError as e:
            text = f"No output: {e}."
            self.settings_error.setText(text + " Showing the last settings that worked.")
            self.settings_error.show()
            self._notify(text, "error")
            self._update_code(str(e))
            return False
        self.settings_error.hide()
        old = self.trace
        self.trace = trace
        # one products view per input channel of the trace shown (not of the radio button: a
        # switch whose settings give no output keeps showing the previous trace)
        self.products_view.set_channels(trace.x.shape[0])
        out = trace.output                                   # (C_out, H_out, W_out)
        peak = max(float(np.abs(out).max()), 1e-6)
        self._levels_out = (-peak, peak)
        # products: |window ⊙ kernel| is at most max|x| · max|w|
        prod = max(float(np.abs(trace.padded).max() * np.abs(trace.weight).max()), 1e-6)
        self._levels_prod = (-prod, prod)
        self._show_input()
        self._update_filter_combo()
        self._update_activation()
        self._update_code()
        self._shown_filter = -1
        index = self.player.index
        if old is not None and old.output.shape[0] == out.shape[0] and self.player.count:
            c, i, j = old.steps[min(index, len(old.steps) - 1)].out_index
            _c, ho, wo = out.shape
            index = trace.step_index(min(c, out.shape[0] - 1), min(i, ho - 1), min(j, wo - 1))
        self.player.set_count(len(trace.steps), index=min(index, len(trace.steps) - 1))
        return True

    def _show_input(self) -> None:
        if self.trace is None:
            return
        padded = self.trace.padded                           # (C_in, H_pad, W_pad)
        ch = self.show_channel_combo.currentIndex() if self.settings.rgb else 1
        if padded.shape[0] == 3 and ch == 0:
            self.input_view.set_rgb(np.moveaxis(padded, 0, -1))
        else:
            plane = padded[max(ch - 1, 0)]
            lo, hi = min(0.0, float(plane.min())), max(1.0, float(plane.max()))
            self.input_view.set_matrix(plane, levels=(lo, hi))
        self.input_view.set_overlay(self.trace.padding_mask(), rgba=PADDING_TINT)

    def _update_formula(self) -> None:
        x = self._channels()
        k = self.kernel_editor.kernel_size
        s = self.settings
        lines = [output_size_formula(x.shape[1], k, s.stride[0], s.padding[0], s.dilation[0], "H"),
                 output_size_formula(x.shape[2], k, s.stride[1], s.padding[1], s.dilation[1], "W")]
        n = self.kernel_editor.filter_count
        self.formula_label.setText("<br>".join(lines) + f"<br>output: {n} map(s), input "
                                   f"{x.shape[0]}×{x.shape[1]}×{x.shape[2]}")

    def _update_code(self, error: str | None = None) -> None:
        x = self._channels()
        s = self.settings
        code = conv2d_code(x.shape, self.kernel_editor.filter_count, self.kernel_editor.kernel_size,
                           s.stride, s.padding, s.dilation, activation=s.activation,
                           slope=s.slope)
        if error:
            code = re.sub(r"print\(y\.shape\).*", f"# RuntimeError: {error}", code)
        self.code_panel.set_code(code)

    def _update_filter_combo(self) -> None:
        n = self.trace.output.shape[0]
        if self.filter_combo.count() != n:
            self.filter_combo.blockSignals(True)
            self.filter_combo.clear()
            self.filter_combo.addItems([f"{k + 1} of {n}" for k in range(n)])
            self.filter_combo.blockSignals(False)
        self.filter_combo.setVisible(n > 1)
        self.filter_label.setVisible(n > 1)

    def _update_activation(self) -> None:
        if self.trace is None:
            return
        s = self.settings
        self.activated = apply_activation(self.trace.output, s.activation, s.slope)
        peak = max(float(np.abs(self.activated).max()), 1e-6)
        self._levels_act = (-peak, peak)
        xs, ys = activation_curve(s.activation, s.slope,
                                  lo=min(-3.0, self._levels_out[0]), hi=max(3.0, self._levels_out[1]))
        self.curve.setData(xs, ys)
        self.curve_plot.setTitle(ACTIVATIONS[s.activation])
        n = self.activated.shape[0]
        self.map_grid.set_maps(self.activated, levels=self._levels_act,
                               titles=[f"map {k + 1}" for k in range(n)])
        self._shown_filter = -1

    # -- one step ----------------------------------------------------------------------------
    def show_step(self, k: int) -> None:
        """Render step k: window, products, the output filled so far."""
        trace = self.trace
        if trace is None or not 0 <= k < len(trace.steps):
            return
        step = trace.steps[k]
        c, i, j = step.out_index
        _c, ho, wo = trace.output.shape
        span_h, span_w = trace.kernel_span
        r0, c0 = step.origin
        self.input_view.set_highlight((r0, c0, span_h, span_w))
        dil = trace.dilation != (1, 1)
        self.input_view.set_marks(trace.window_cells(i, j) if dil else [])
        if self.reveal_check.isChecked():
            mask = None
        else:
            mask = (np.arange(ho * wo) <= i * wo + j).reshape(ho, wo)  # cells done so far
        if c != self._shown_filter:  # a new map: set its image once
            self.output_view.set_matrix(trace.output[c], self._levels_out)
            self.activated_view.set_matrix(self.activated[c], self._levels_act)
        self.output_view.set_filled(mask)
        self.output_view.set_highlight((i, j, 1, 1))
        self.activated_view.set_filled(mask)
        self.activated_view.set_highlight((i, j, 1, 1))
        self.products_view.show_step(step, trace.weight[c], self._levels_prod)
        self.marker.setPos(step.value, float(self.activated[c, i, j]))
        if c != self._shown_filter:
            self._shown_filter = c
            self.filter_combo.blockSignals(True)
            self.filter_combo.setCurrentIndex(c)
            self.filter_combo.blockSignals(False)
        act = self.settings.activation
        after = f" → {ACTIVATIONS[act]} → {self.activated[c, i, j]:.3f}" if act != "none" else ""
        self.step_label.setText(f"filter {c + 1}, output cell (row {i}, col {j}) = "
                                f"{step.value:.3f}{after}   ·   window at padded row {r0}, col {c0}")

    def jump_to_cell(self, r: int, c: int) -> None:
        """Clicking an output cell jumps the animation to the step that computes it."""
        if self.trace is None:
            return
        f = self.trace.steps[self.player.index].out_index[0]
        self.player.pause()
        self.player.go_to(self.trace.step_index(f, r, c))

    def current_feature_map(self) -> np.ndarray | None:
        """The shown output map after the activation, (H_out, W_out); None before any trace."""
        if self.trace is None or self.activated is None:
            return None
        c = self.trace.steps[self.player.index].out_index[0]
        return self.activated[c].copy()


class ConvolutionPage(Page):
    title = "Convolution"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.conv2d = Conv2dPanel()
        self.conv2d.message.connect(self.notify)
        self.conv1d = Conv1dPanel()
        self.transposed = TransposedConvPanel()
        for panel in (self.conv1d, self.transposed):
            if hasattr(panel, "message"):  # the mode panels may report to the status bar too
                panel.message.connect(self.notify)
        self.tabs.addTab(self.conv2d, "2-D convolution")
        self.tabs.addTab(self.conv1d, "1-D signal")
        self.tabs.addTab(self.transposed, "Transposed")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def current_feature_map(self) -> np.ndarray | None:
        """The 2-D tab's shown output map after the activation (for the Pooling page)."""
        return self.conv2d.current_feature_map()

    def shutdown(self) -> None:
        self.conv2d.player.pause()
        self.conv2d.save_settings()
