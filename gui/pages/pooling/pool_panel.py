"""The Pooling panel: a window sliding over a grid (a sample, a random grid, a typed grid, or the
Convolution page's feature map), keeping the maximum (marked) or the mean of each window, the
output filling in one cell per step. Numbers from `engine.pool.pool2d_trace`, i.e. torch's
`F.max_pool2d` / `F.avg_pool2d`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QGroupBox, QHBoxLayout, QPushButton, QRadioButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from engine.codegen import pool2d_code
from engine.pool import PoolTrace, pool2d_trace
from gui import style
from gui.bind import Bindings, StateError
from gui.pages.pooling.shift_view import ShiftComparison
from gui.pages.pooling.translation import shift_right
from gui.widgets.geometry_form import GeometryForm, WindowGeometry
from gui.widgets.input_source import InputSourceBox, SourceUnavailable
from gui.widgets.live_label import LiveLabel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.state_parts import BoundPart, PartsState, StateParts
from gui.widgets.step_lab import StepLab, check_step

PRESETS = {(2, 2): "2×2, stride 2 (the classic halving)", (3, 2): "3×3, stride 2 (AlexNet)",
           (3, 1): "3×3, stride 1"}
CUSTOM = "Custom"
RANDOM, FEATURE_MAP = "Random grid", "Feature map from the Convolution page"
NO_FEATURE_MAP = "No feature map yet: open the Convolution page first."
SAMPLE_GRID = np.array([
    [0.1, 0.9, 0.3, 0.2, 0.6, 0.4],
    [0.5, 0.2, 0.8, 0.1, 0.3, 0.7],
    [0.4, 0.6, 0.0, 0.5, 0.9, 0.2],
    [0.3, 0.1, 0.7, 0.4, 0.2, 0.8],
    [0.9, 0.5, 0.2, 0.6, 0.1, 0.3],
    [0.2, 0.8, 0.4, 0.3, 0.7, 0.5],
], np.float32)
# Marking every finished window's maximum is readable up to this many windows; beyond it only
# the current window's maximum is marked.
MAX_MARKS = 100
ORANGE = "#ff8c00"


@dataclass
class PoolSettings:
    """How the panel pools, besides the window's geometry and the input."""
    mode: str = "max"        # "max" or "avg"
    preset: str = PRESETS[(2, 2)]   # the window/stride preset shown, or CUSTOM
    random_size: int = 8     # side of the random grid
    seed: int = 0            # which random grid
    shift: int = 0           # columns the input is moved right (zeros in), for translation
    step: int = 0            # the step shown


def _check_count(name: str):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise StateError(name, f"needs a whole number (0 or more), got {value!r}")
        return value
    return check


class PoolPanel(PartsState, StepLab):
    def __init__(self, feature_map: Callable[[], np.ndarray | None], parent=None):
        super().__init__(step_name="window", steps_per_second=2.0, parent=parent)
        self.feature_map = feature_map
        self.settings = PoolSettings()
        self.trace: PoolTrace | None = None
        self.before: np.ndarray | None = None    # the output before the last shift
        self._levels = (0.0, 1.0)
        self._quiet = False
        self.bind = Bindings(self.settings, self._on_changed)
        self._build_controls()
        self._build_views()
        self.parts = StateParts({"pooling": BoundPart(self.bind), "geometry": self.geometry_form,
                                 "input": self.input_box})
        self.player.stepChanged.connect(self._show_step)
        self.input_box.reload()

    # -- building -------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        max_radio, avg_radio = QRadioButton("Max"), QRadioButton("Average")
        max_radio.setToolTip("Keep each window's largest value")
        avg_radio.setToolTip("Keep each window's mean (padding zeros count, as in PyTorch)")
        group = QButtonGroup(self)
        for b in (max_radio, avg_radio):
            group.addButton(b)
        self.bind.radio("mode", group, {"max": max_radio, "avg": avg_radio})
        self.preset_combo = self.bind.combo("preset", QComboBox(),
                                            {**{v: v for v in PRESETS.values()}, CUSTOM: CUSTOM})
        self.preset_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(12)
        self.preset_combo.setToolTip("A common window and stride")
        mode_box = QGroupBox("Pooling")
        column = QVBoxLayout(mode_box)
        row = QHBoxLayout()
        row.addWidget(max_radio)
        row.addWidget(avg_radio)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(self.preset_combo)
        self.geometry_form = GeometryForm(rows=("kernel", "stride", "padding"),
                                     defaults=WindowGeometry(kernel=(2, 2), stride=(2, 2)),
                                     limits={"stride": (1, 7), "padding": (0, 3)},
                                     title="Window, stride, padding")
        self.geometry_form.changed.connect(self._on_geometry_changed)
        self.input_box = InputSourceBox({"sample 6×6": SAMPLE_GRID}, typed=True,
                                        typed_default=SAMPLE_GRID[:4, :4])
        self.input_box.add_source(RANDOM, self._random_grid, self._random_controls())
        self.input_box.add_source(FEATURE_MAP, self._feature_map)
        self.input_box.inputChanged.connect(self._on_input_changed)
        self.input_box.message.connect(self.message)
        for name in ("seed", "shift"):
            self.bind.field(name, _check_count(name), lambda _v: None)
        self.bind.field("step", check_step, lambda _v: None)
        self.add_controls(mode_box, self.geometry_form, self.input_box)

    def _random_controls(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        size = self.bind.spin("random_size", QSpinBox(minimum=2, maximum=32, prefix="size "))
        size.setToolTip("Height and width of the random grid")
        again = QPushButton("New random grid")
        again.setToolTip("Draw other random numbers")
        again.clicked.connect(lambda: self.bind.set("seed", self.settings.seed + 1))
        row.addWidget(size)
        row.addWidget(again)
        return box

    def _build_views(self) -> None:
        self.input_view = MatrixView(colormap="viridis", title="Input (orange: the window)")
        self.input_view.setToolTip("The padded input; red squares: the maximum each window kept")
        self.window_view = MatrixView(colormap="viridis", title="Window", max_number_cells=49)
        self.window_label = style.set_role(LiveLabel(lines=3), "equation")
        self.window_label.setTextFormat(Qt.RichText)
        self.window_label.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.output_view = MatrixView(colormap="viridis", title="Output")
        self.output_view.setToolTip("Click a cell to jump to the window that computed it")
        self.output_view.cellClicked.connect(self._on_output_clicked)
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.window_view, 3)
        column.addWidget(self.window_label)
        views = QWidget()
        row = QHBoxLayout(views)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input_view, 5)
        row.addWidget(middle, 3)
        row.addWidget(self.output_view, 4)
        self.set_views(views)
        self.shift_view = ShiftComparison()
        self.shift_view.shift_button.clicked.connect(self.shift)
        self.shift_view.undo_button.clicked.connect(self.unshift)
        self.add_extra("Shift by one pixel", self.shift_view,
                       "Translation tolerance: the output before and after a one-pixel shift")

    # -- inputs ---------------------------------------------------------------------------------
    def _random_grid(self) -> np.ndarray:
        rng = np.random.default_rng(self.settings.seed)
        n = self.settings.random_size
        return np.round(rng.random((n, n)), 2).astype(np.float32)

    def _feature_map(self) -> np.ndarray:
        fmap = self.feature_map()
        if fmap is None:
            raise SourceUnavailable(NO_FEATURE_MAP)
        fmap = np.asarray(fmap, np.float32)
        if fmap.ndim != 2 or fmap.size == 0 or not np.isfinite(fmap).all():
            raise ValueError(f"the Convolution page's feature map cannot be pooled "
                             f"(shape {fmap.shape})")
        return fmap

    def grid(self) -> np.ndarray:
        """What is pooled: the input, moved `shift` columns right."""
        return shift_right(self.input_box.current(), self.settings.shift)

    def feature_map_changed(self) -> None:
        """The Convolution page has a new map: pool it, when it is the input."""
        if self.input_box.source == FEATURE_MAP:
            self.input_box.reload()

    # -- slots ----------------------------------------------------------------------------------
    def _on_input_changed(self) -> None:
        if not self._quiet:
            self.before = None
            if self.settings.shift:
                self._set_quietly({"shift": 0})
            self.rebuild()

    def _on_geometry_changed(self) -> None:
        if self._quiet:
            return
        k, s = self.geometry_form.pair("kernel"), self.geometry_form.pair("stride")
        preset = PRESETS.get((k[0], s[0]), CUSTOM) if k[0] == k[1] and s[0] == s[1] else CUSTOM
        self._set_quietly({"preset": preset})
        self.before = None
        self.rebuild()

    def _on_changed(self, name: str) -> None:
        if self._quiet or name == "step":
            return
        s = self.settings
        if name in ("random_size", "seed"):
            if self.input_box.source == RANDOM:
                self.input_box.reload()            # rebuilds through _on_input_changed
            return
        if name == "preset" and s.preset != CUSTOM:
            (k, st), = [key for key, label in PRESETS.items() if label == s.preset]
            self._quiet = True
            try:
                self.geometry_form.apply_state({"kernel": [k, k], "stride": [st, st]})
            finally:
                self._quiet = False
        if name != "shift":
            self.before = None
        self.rebuild()

    def _set_quietly(self, values: dict) -> None:
        self._quiet = True
        try:
            self.bind.apply(values)
        finally:
            self._quiet = False

    def shift(self) -> None:
        """Move the input one column right (zeros in), remembering the output before."""
        if self.settings.shift + 1 >= self.input_box.current().shape[-1]:
            self.message.emit("Every column has been shifted out; shift back first.", "info")
            return
        self.before = None if self.trace is None else self.trace.output[0].copy()
        self.bind.set("shift", self.settings.shift + 1)

    def unshift(self) -> None:
        self.before = None
        self.bind.set("shift", 0)

    def _on_output_clicked(self, row: int, col: int) -> None:
        if self.trace is not None:
            self.player.go_to(self.trace.step_index(0, row, col))

    # -- trace -> views -------------------------------------------------------------------------
    def rebuild(self, step: int = 0) -> bool:
        """A new trace; on bad settings keep the old one and say why."""
        s, g = self.settings, self.geometry_form
        grid = self.grid()
        g.show_sizes(grid.shape)
        try:
            trace = pool2d_trace(grid, g.pair("kernel"), g.pair("stride"), g.pair("padding"),
                                 s.mode)
        except ValueError as exc:
            self.report_error(f"No output: {exc}. Showing the previous result.")
            return False
        self.clear_error()
        self.trace = trace
        lo, hi = float(grid.min()), float(grid.max())
        self._levels = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
        self.input_view.set_matrix(trace.padded[0], levels=self._levels)
        self.input_view.set_overlay(trace.padding_mask())
        self.code_panel.set_code(pool2d_code(s.mode, g.pair("kernel"), g.pair("stride"),
                                             g.pair("padding"), in_shape=(1, *grid.shape)))
        before = self.before if self.before is not None and \
            self.before.shape == trace.output[0].shape else None
        self.shift_view.show_outputs(before, trace.output[0], s.shift, self._levels, s.mode)
        self.player.set_count(len(trace.steps), index=min(step, len(trace.steps) - 1))
        return True

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        self.settings.step = index
        step = t.steps[index]
        _c, i, j = step.out_index
        kh, kw = t.kernel_size
        r0, c0 = step.origin
        self.input_view.set_highlight((r0, c0, kh, kw), color=ORANGE)
        mask = np.zeros(t.output.shape[1:], bool)
        mask.reshape(-1)[:index + 1] = True                 # the outputs done so far
        self.output_view.set_matrix(t.output[0], levels=self._levels, mask=mask)
        self.output_view.set_highlight((i, j, 1, 1), color=ORANGE)
        self.window_view.set_matrix(step.window, levels=self._levels)
        if t.mode == "max":
            self._mark_maxima(index)
            self.window_view.set_marks([step.argmax])
            r, c = step.argmax
            self.window_label.setText(f"max = <b>{step.value:.2f}</b><br>at row {r}, col {c}"
                                      "<br>of the window")
            what = "maximum"
        else:
            self.input_view.set_marks([])
            self.window_view.set_marks([])
            self.window_label.setText(f"mean = {float(step.window.sum()):.2f} / {kh * kw}"
                                      f"<br>= <b>{step.value:.2f}</b><br>(padding counts as 0)")
            what = "mean"
        self.caption.setText(f"Output ({i}, {j}) = {what} of {self._window_text(step)} "
                             f"= {step.value:.2f}")

    def _window_text(self, step) -> str:
        """ "input rows 1–2, cols 0–1" in unpadded coordinates, noting any padding covered."""
        t = self.trace
        (kh, kw), (ph, pw) = t.kernel_size, t.padding
        h, w = t.input.shape[1:]
        r0, c0 = step.origin[0] - ph, step.origin[1] - pw       # negative: in the padding
        r_lo, r_hi = max(0, r0), min(h - 1, r0 + kh - 1)
        c_lo, c_hi = max(0, c0), min(w - 1, c0 + kw - 1)
        rows = f"row {r_lo}" if r_lo == r_hi else f"rows {r_lo}–{r_hi}"
        cols = f"col {c_lo}" if c_lo == c_hi else f"cols {c_lo}–{c_hi}"
        padding = r0 < 0 or c0 < 0 or r0 + kh > h or c0 + kw > w
        return f"input {rows}, {cols}" + (" and padding" if padding else "")

    def _mark_maxima(self, index: int) -> None:
        """Mark the kept maximum of every window done so far (only the current one when many)."""
        t = self.trace
        first = 0 if len(t.steps) <= MAX_MARKS else index
        c, i, j = np.unravel_index(np.arange(first, index + 1), t.output.shape)
        rows = i * t.stride[0] + t.argmax_rows[c, i, j]          # padded-input coordinates
        cols = j * t.stride[1] + t.argmax_cols[c, i, j]
        self.input_view.set_marks(list(zip(rows.tolist(), cols.tolist())))

    def current_output(self) -> np.ndarray | None:
        """The pooled map (H_out, W_out) now shown, or None."""
        return None if self.trace is None else self.trace.output[0]

    # -- state ----------------------------------------------------------------------------------
    def refresh_after_state(self, restored: bool) -> None:
        self.before = None
        self.rebuild(step=self.settings.step if restored else 0)
