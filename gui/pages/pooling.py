"""The Pooling page: max or average pooling, one window at a time.

A window slides over a grid (a numeric sample, a random grid, or a feature map from the
Convolution page); each step shows the window on the padded input, the value it keeps (the
maximum is marked), and the output cell filling in. The numbers come from `engine.pool`, i.e.
from `F.max_pool2d` / `F.avg_pool2d`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
    QRadioButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget,
)

from engine.codegen import pool2d_code
from engine.pool import PoolTrace, pool2d_trace, pool_output_size
from gui.app import app_settings, read_setting
from gui.pages.base import Page
from gui.widgets.code_panel import CodePanel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.step_player import StepPlayer, StepPlayerBar

# (label, window, stride); "Custom" is whatever the spin boxes say.
PRESETS = [
    ("2x2, stride 2 (the classic halving)", 2, 2),
    ("3x3, stride 2 (overlapping, AlexNet)", 3, 2),
    ("3x3, stride 1", 3, 1),
]
CUSTOM = "Custom"

SOURCES = ["Sample grid (6x6)", "Random grid", "Feature map from the Convolution page"]
SAMPLE, RANDOM, FEATURE_MAP = range(3)

SAMPLE_GRID = np.array([
    [0.1, 0.9, 0.3, 0.2, 0.6, 0.4],
    [0.5, 0.2, 0.8, 0.1, 0.3, 0.7],
    [0.4, 0.6, 0.0, 0.5, 0.9, 0.2],
    [0.3, 0.1, 0.7, 0.4, 0.2, 0.8],
    [0.9, 0.5, 0.2, 0.6, 0.1, 0.3],
    [0.2, 0.8, 0.4, 0.3, 0.7, 0.5],
], np.float32)

# Marking every finished window's maximum is readable (and cheap) up to this many windows;
# beyond it only the current window's maximum is marked.
MAX_MARKS = 100

EXPLANATION = (
    "Pooling keeps one number per window: the largest (max) or the mean (average). It has no "
    "weights to learn. It <b>downsamples</b> the map (a 2x2 window with stride 2 keeps a quarter "
    "of the numbers, so later layers cost less and see a wider area), and max pooling gives "
    "<b>translation tolerance</b>: a feature that moves a pixel inside its window still gives the "
    "same maximum.")


@dataclass
class PoolSettings:
    """What the controls say; a change rebuilds the trace."""

    mode: str = "max"        # "max" or "avg"
    window: int = 2          # square window size k
    stride: int = 2          # step between windows s
    padding: int = 0         # p cells around the input (-inf for max, 0 for avg)
    source: int = SAMPLE     # SAMPLE, RANDOM or FEATURE_MAP
    random_size: int = 8     # side of the random grid
    seed: int = 0            # which random grid


class PoolingPage(Page):
    title = "Pooling"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = PoolSettings()
        self.trace: PoolTrace | None = None
        self.input_grid = SAMPLE_GRID.copy()   # (H, W) the grid being pooled
        self._levels = (0.0, 1.0)

        self.player = StepPlayer(self, steps_per_second=2.0)
        self.player_bar = StepPlayerBar(self.player, step_name="window")
        self.player.stepChanged.connect(self._show_step)

        self._build_widgets()
        self.restore_settings()
        self._rebuild()

    # -- layout --------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)

        # pooling settings
        self.max_radio = QRadioButton("Max")
        self.avg_radio = QRadioButton("Average")
        self.max_radio.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.max_radio)
        self.mode_group.addButton(self.avg_radio)
        self.max_radio.toggled.connect(self._on_mode_changed)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.max_radio)
        mode_row.addWidget(self.avg_radio)
        mode_row.addStretch(1)

        self.preset_combo = QComboBox()
        self.preset_combo.addItems([p[0] for p in PRESETS] + [CUSTOM])
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
        self.window_spin = self._spin(1, 7, self.settings.window, "Window size k (k x k)")
        self.stride_spin = self._spin(1, 7, self.settings.stride, "Stride s: how far the window moves")
        self.padding_spin = self._spin(0, 3, self.settings.padding,
                                       "Padding p: cells added around the input "
                                       "(-inf for max pooling, 0 for average)")
        for spin in (self.window_spin, self.stride_spin, self.padding_spin):
            spin.valueChanged.connect(self._on_geometry_changed)

        pool_box = QGroupBox("Pooling")
        form = QFormLayout(pool_box)
        form.addRow(mode_row)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Window", self.window_spin)
        form.addRow("Stride", self.stride_spin)
        form.addRow("Padding", self.padding_spin)

        # input
        self.source_combo = QComboBox()
        self.source_combo.addItems(SOURCES)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.size_spin = self._spin(2, 32, self.settings.random_size, "Side of the random grid")
        self.size_spin.valueChanged.connect(self._on_random_size_changed)
        self.new_random_button = QPushButton("New random grid")
        self.new_random_button.clicked.connect(self._on_new_random)
        self.refresh_button = QPushButton("Fetch feature map again")
        self.refresh_button.setToolTip("Take the Convolution page's current feature map")
        self.refresh_button.clicked.connect(self._on_refresh_feature_map)
        self.shift_button = QPushButton("Shift input right by 1")
        self.shift_button.setToolTip("Roll the grid one column to the right: with max pooling "
                                     "most outputs stay the same (translation tolerance)")
        self.shift_button.clicked.connect(self._on_shift)
        input_box = QGroupBox("Input")
        input_form = QFormLayout(input_box)
        input_form.addRow(self.source_combo)
        input_form.addRow("Random size", self.size_spin)
        input_form.addRow(self.new_random_button)
        input_form.addRow(self.refresh_button)
        input_form.addRow(self.shift_button)

        # output size and messages
        self.formula_label = QLabel()
        self.formula_label.setTextFormat(Qt.RichText)
        self.formula_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error_label.hide()
        size_box = QGroupBox("Output size")
        size_layout = QVBoxLayout(size_box)
        size_layout.addWidget(self.formula_label)
        size_layout.addWidget(self.error_label)

        self.code_panel = CodePanel()
        self.code_panel.setFixedHeight(180)

        controls = QWidget()
        controls.setMaximumWidth(330)
        controls.setMinimumWidth(260)
        controls_layout = QVBoxLayout(controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.addWidget(pool_box)
        controls_layout.addWidget(input_box)
        controls_layout.addWidget(size_box)
        controls_layout.addStretch(1)

        # views
        self.input_view = MatrixView(colormap="viridis", title="Input")
        self.window_view = MatrixView(colormap="viridis", title="Window",
                                      max_number_cells=49)
        self.window_view.setMinimumSize(170, 170)
        self.window_label = QLabel()
        self.window_label.setWordWrap(True)
        self.window_label.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.window_label.setTextFormat(Qt.RichText)
        self.output_view = MatrixView(colormap="viridis", title="Output")
        self.output_view.setToolTip("Click a cell to jump to the window that computed it")
        self.output_view.cellClicked.connect(self._on_output_clicked)

        middle_widget = QWidget()
        middle_widget.setMaximumWidth(230)
        middle = QVBoxLayout(middle_widget)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self.window_view, 3)
        middle.addWidget(self.window_label, 2)
        views = QHBoxLayout()
        views.addWidget(self.input_view, 5)
        views.addWidget(middle_widget, 2)
        views.addWidget(self.output_view, 4)

        self.step_label = QLabel()
        self.step_label.setTextFormat(Qt.RichText)
        font = self.step_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.step_label.setFont(font)

        right = QVBoxLayout()
        right.addLayout(views, 1)
        right.addWidget(self.step_label)
        right.addWidget(self.player_bar)
        right.addWidget(self.code_panel)

        body = QHBoxLayout()
        body.addWidget(controls)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(body, 1)
        self._update_input_controls()

    def _spin(self, lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setToolTip(tip)
        spin.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        return spin

    # -- kept between sessions ----------------------------------------------------------------
    def save_settings(self) -> None:
        """Remember mode, window, stride, padding and the input (the window calls this when it
        closes). A feature map taken from the Convolution page is not kept."""
        store = app_settings()
        s = self.settings
        for key in ("mode", "window", "stride", "padding", "random_size", "seed"):
            store.setValue(f"pooling/{key}", getattr(s, key))
        store.setValue("pooling/source", s.source if s.source != FEATURE_MAP else SAMPLE)

    def restore_settings(self) -> None:
        """The last session's choices; a missing or unreadable value keeps the default."""
        def read(key, default):
            return read_setting(f"pooling/{key}", default)
        s = self.settings
        s.seed = read("seed", s.seed)
        spins = ((self.window_spin, "window"), (self.stride_spin, "stride"),
                 (self.padding_spin, "padding"), (self.size_spin, "random_size"))
        for spin, key in spins:
            spin.blockSignals(True)
            spin.setValue(read(key, spin.value()))           # the spin clamps to its range
            spin.blockSignals(False)
        s.window, s.stride = self.window_spin.value(), self.stride_spin.value()
        s.padding, s.random_size = self.padding_spin.value(), self.size_spin.value()
        self._sync_preset_combo()
        self.max_radio.blockSignals(True)
        (self.avg_radio if read("mode", "max") == "avg" else self.max_radio).setChecked(True)
        self.max_radio.blockSignals(False)
        s.mode = "max" if self.max_radio.isChecked() else "avg"
        if read("source", SAMPLE) == RANDOM:
            self.source_combo.blockSignals(True)
            self.source_combo.setCurrentIndex(RANDOM)
            self.source_combo.blockSignals(False)
            s.source = RANDOM
            self.input_grid = self._random_grid()
            self._update_input_controls()

    # -- slots: controls -> settings -----------------------------------------------------------
    def _on_mode_changed(self) -> None:
        self.settings.mode = "max" if self.max_radio.isChecked() else "avg"
        self._rebuild()

    def _on_preset_chosen(self, index: int) -> None:
        if index >= len(PRESETS):
            return  # "Custom": leave the spin boxes as they are
        _label, window, stride = PRESETS[index]
        for spin, value in ((self.window_spin, window), (self.stride_spin, stride)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self._on_geometry_changed()

    def _on_geometry_changed(self) -> None:
        self.settings.window = self.window_spin.value()
        self.settings.stride = self.stride_spin.value()
        self.settings.padding = self.padding_spin.value()
        self._sync_preset_combo()
        self._rebuild()

    def _sync_preset_combo(self) -> None:
        """Show the preset the spin boxes match, else "Custom"."""
        wanted = len(PRESETS)
        for k, (_label, window, stride) in enumerate(PRESETS):
            if (window, stride) == (self.settings.window, self.settings.stride):
                wanted = k
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(wanted)
        self.preset_combo.blockSignals(False)

    def _on_source_changed(self, index: int) -> None:
        previous = self.settings.source
        grid = self._grid_for_source(index)
        if grid is None:  # no feature map to take: stay on the previous source
            self.source_combo.blockSignals(True)
            self.source_combo.setCurrentIndex(previous)
            self.source_combo.blockSignals(False)
            return
        self.settings.source = index
        self._update_input_controls()
        self._set_input(grid)

    def _on_random_size_changed(self, size: int) -> None:
        self.settings.random_size = size
        if self.settings.source == RANDOM:
            self._set_input(self._random_grid())

    def _on_new_random(self) -> None:
        self.settings.seed += 1
        if self.settings.source != RANDOM:
            self.source_combo.setCurrentIndex(RANDOM)  # switches and builds the grid
        else:
            self._set_input(self._random_grid())

    def _on_refresh_feature_map(self) -> None:
        grid = self._fetch_feature_map()
        if grid is not None:
            self._set_input(grid)

    def _on_shift(self) -> None:
        self._set_input(np.roll(self.input_grid, 1, axis=1))
        self.notify("Input shifted one column to the right; compare the output.", "info")

    def _on_output_clicked(self, row: int, col: int) -> None:
        if self.trace is not None:
            self.player.go_to(self.trace.step_index(0, row, col))

    def shutdown(self) -> None:
        self.player.pause()
        self.save_settings()

    def page_opened(self) -> None:
        # The Convolution page may have a new feature map since we last looked.
        if self.settings.source == FEATURE_MAP:
            grid = self._fetch_feature_map(quiet=True)
            if grid is not None and not np.array_equal(grid, self.input_grid):
                self._set_input(grid)

    # -- inputs ---------------------------------------------------------------------------------
    def _update_input_controls(self) -> None:
        self.size_spin.setEnabled(self.settings.source == RANDOM)
        self.refresh_button.setEnabled(self.settings.source == FEATURE_MAP)

    def _random_grid(self) -> np.ndarray:
        rng = np.random.default_rng(self.settings.seed)
        n = self.settings.random_size
        return np.round(rng.random((n, n)), 2).astype(np.float32)

    def _grid_for_source(self, source: int) -> np.ndarray | None:
        if source == SAMPLE:
            return SAMPLE_GRID.copy()
        if source == RANDOM:
            return self._random_grid()
        return self._fetch_feature_map()

    def _fetch_feature_map(self, quiet: bool = False) -> np.ndarray | None:
        """The Convolution page's current feature map (H, W), or None with a message why not."""
        def fail(text: str) -> None:
            if not quiet:
                self._show_error(text)

        window = self.window()
        if not hasattr(window, "page"):
            fail("No feature map: the Convolution page is only reachable inside the main window.")
            return None
        try:
            conv_page = window.page("convolution")
        except Exception as exc:  # a broken page must not break this one
            fail(f"No feature map: the Convolution page could not be opened ({exc}).")
            return None
        getter = getattr(conv_page, "current_feature_map", None)
        if getter is None:
            fail("No feature map: the Convolution page cannot hand one over yet.")
            return None
        fmap = getter()
        if fmap is None:
            fail("No feature map yet: run a convolution on the Convolution page first.")
            return None
        fmap = np.asarray(fmap, dtype=np.float32)
        if fmap.ndim == 3:
            fmap = fmap[0]
            if not quiet:
                self.notify("The feature map has several channels; pooling the first.", "info")
        if fmap.ndim != 2 or fmap.size == 0 or not np.isfinite(fmap).all():
            fail(f"The Convolution page's feature map cannot be pooled (shape {fmap.shape}).")
            return None
        return fmap

    def _set_input(self, grid: np.ndarray) -> None:
        previous = self.input_grid
        self.input_grid = np.asarray(grid, dtype=np.float32)
        if not self._rebuild():
            self.input_grid = previous

    # -- trace -> views -------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.notify(text, "error")

    def _rebuild(self) -> bool:
        """Ask the engine for a new trace; on bad settings keep the old one and say why."""
        s = self.settings
        self._update_formula()
        try:
            trace = pool2d_trace(self.input_grid, s.window, s.stride, s.padding, s.mode)
        except ValueError as exc:
            self._show_error(f"{exc}. Showing the previous result.")
            return False
        self.error_label.hide()
        self.trace = trace
        finite = self.input_grid
        lo, hi = float(finite.min()), float(finite.max())
        self._levels = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
        self.input_view.set_matrix(trace.padded[0], levels=self._levels)
        self.input_view.set_overlay(trace.padding_mask())
        self.code_panel.set_code(pool2d_code(s.mode, s.window, s.stride, s.padding,
                                             in_shape=(1, *self.input_grid.shape)))
        self.player.set_count(len(trace.steps), index=0)
        return True

    def _update_formula(self) -> None:
        s = self.settings
        h, w = self.input_grid.shape
        lines = ["n<sub>out</sub> = &lfloor;(n + 2p &minus; k) / s&rfloor; + 1"]
        outs = []
        for name, n in (("H", h), ("W", w)):
            out = pool_output_size(n, s.window, s.stride, s.padding)
            outs.append(max(0, out))
            lines.append(f"{name}<sub>out</sub> = &lfloor;({n} + 2&middot;{s.padding} &minus; "
                         f"{s.window}) / {s.stride}&rfloor; + 1 = <b>{out}</b>")
        lines.append(f"{h} x {w} &rarr; <b>{outs[0]} x {outs[1]}</b>")
        self.formula_label.setText("<br>".join(lines))

    def _show_step(self, index: int) -> None:
        t = self.trace
        if t is None or not 0 <= index < len(t.steps):
            return
        step = t.steps[index]
        _c, i, j = step.out_index
        kh, kw = t.kernel_size
        r0, c0 = step.origin
        self.input_view.set_highlight((r0, c0, kh, kw), color="#ff8c00")

        # outputs done so far (this channel: the page pools one map)
        mask = np.zeros(t.output.shape[1:], bool)
        mask.reshape(-1)[:index + 1] = True
        self.output_view.set_matrix(t.output[0], levels=self._levels, mask=mask)
        self.output_view.set_highlight((i, j, 1, 1), color="#ff8c00")

        window_levels = self._levels
        self.window_view.set_matrix(step.window, levels=window_levels)
        if t.mode == "max":
            self._mark_maxima(index)
            self.window_view.set_marks([step.argmax])
            r, c = step.argmax
            self.window_label.setText(f"max = <b>{step.value:.2f}</b><br>at row {r}, col {c} "
                                      f"of the window")
            what = "maximum"
        else:
            self.input_view.set_marks([])
            self.window_view.set_marks([])
            total = float(step.window.sum())
            self.window_label.setText(f"mean = sum {total:.2f} / {kh * kw} cells<br>= <b>{step.value:.2f}</b>"
                                      f"<br><small>(padding zeros count)</small>")
            what = "mean"
        self.step_label.setText(f"Output ({i}, {j}) = {what} of {self._window_text(step)} "
                                f"= <b>{step.value:.2f}</b>")

    def _window_text(self, step) -> str:
        """ "input rows 1–2, cols 0–1" in unpadded coordinates, noting any padding covered."""
        t = self.trace
        (kh, kw), (ph, pw) = t.kernel_size, t.padding
        h, w = t.input.shape[1:]
        r0, c0 = step.origin[0] - ph, step.origin[1] - pw  # may be negative: padding
        r_lo, r_hi = max(0, r0), min(h - 1, r0 + kh - 1)
        c_lo, c_hi = max(0, c0), min(w - 1, c0 + kw - 1)
        rows = f"row {r_lo}" if r_lo == r_hi else f"rows {r_lo}&ndash;{r_hi}"
        cols = f"col {c_lo}" if c_lo == c_hi else f"cols {c_lo}&ndash;{c_hi}"
        touches_padding = r0 < 0 or c0 < 0 or r0 + kh > h or c0 + kw > w
        return f"input {rows}, {cols}" + (" and padding" if touches_padding else "")

    def _mark_maxima(self, index: int) -> None:
        """Mark the kept maximum of every window done so far (only the current one when many)."""
        t = self.trace
        first = 0 if len(t.steps) <= MAX_MARKS else index
        flat = np.arange(first, index + 1)
        c, i, j = np.unravel_index(flat, t.output.shape)
        rows = i * t.stride[0] + t.argmax_rows[c, i, j]  # padded-input coordinates
        cols = j * t.stride[1] + t.argmax_cols[c, i, j]
        self.input_view.set_marks(list(zip(rows.tolist(), cols.tolist())))

    # -- for tests and other pages -------------------------------------------------------------
    def current_output(self) -> np.ndarray | None:
        """The pooled map (H_out, W_out) now shown, or None."""
        return None if self.trace is None else self.trace.output[0]
