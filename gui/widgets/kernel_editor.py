"""`KernelEditor`: the kernels of a whole `nn.Conv2d` layer as editable grids, with presets,
kernel size, filter count and bias.

Holds weights (C_out, C_in, k, k) and a bias per filter. One grid is shown at a time: the
selected filter ("Filter 1, 2, ...") and, in RGB, the selected input channel ("R, G, B"). A cell
typed with something that is not a finite number is put back and the message says which cell
and why: the kernels in use never change then. `state()` holds every number, so a lesson slide
reopens with the lecturer's own kernels.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QSpinBox, QTabBar, QToolButton,
    QVBoxLayout, QWidget,
)

from engine.kernels import PRESETS, embed, preset_kernel
from gui.bind import StateError
from gui.widgets.number_grid import NumberGrid

CUSTOM = "custom"
CHANNEL_NAMES = ("R", "G", "B")
MAX_FILTERS = 6
MAX_SIZE = 7


class KernelEditor(QWidget):
    """Signals: `kernelChanged()` after any change of the kernels or biases; `invalidInput(str)`
    when a typed cell was refused; `filterSelected(int)` when the user picks a filter's tab."""

    kernelChanged = Signal()
    invalidInput = Signal(str)
    filterSelected = Signal(int)

    def __init__(self, parent=None, size: int = 3, preset: str = "Sobel x",
                 kernel: np.ndarray | None = None):
        super().__init__(parent)
        self._weights = np.zeros((1, 1, size, size), np.float32)  # (C_out, C_in, k, k)
        self._bias = np.zeros(1, np.float32)                       # (C_out,)
        self._presets = [preset]            # per filter: its preset's name or CUSTOM

        self.preset_combo = QComboBox()
        self.preset_combo.addItems([CUSTOM, *PRESETS])
        self.preset_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(10)
        self.preset_combo.setToolTip("Fill the selected filter with a classic kernel")
        self.preset_combo.activated.connect(self._on_preset_chosen)
        self.size_spin = QSpinBox(minimum=1, maximum=MAX_SIZE, value=size)
        self.size_spin.setToolTip("Kernel size k (a k × k kernel)")
        self.size_spin.valueChanged.connect(self.set_kernel_size)
        self.filter_tabs = QTabBar()
        self.filter_tabs.setExpanding(False)
        self.filter_tabs.setDrawBase(False)
        self.filter_tabs.setToolTip("Each filter makes one output map")
        self.filter_tabs.currentChanged.connect(self._on_filter_tab)
        self.add_filter_button = QToolButton(text="+", toolTip="Add a filter (one more output map)")
        self.add_filter_button.clicked.connect(self.add_filter)
        self.remove_filter_button = QToolButton(text="−", toolTip="Remove the selected filter")
        self.remove_filter_button.clicked.connect(self.remove_filter)
        self.channel_tabs = QTabBar()
        self.channel_tabs.setExpanding(False)
        self.channel_tabs.setDrawBase(False)
        for name in CHANNEL_NAMES:
            self.channel_tabs.addTab(name)
        self.channel_tabs.setToolTip("Each filter has one kernel slice per input channel")
        self.channel_tabs.currentChanged.connect(self._show_current)
        self.channel_label = QLabel("Channel")
        self.grid = NumberGrid(size, size, stretch=True, tinted=True)
        self.grid.setToolTip("The selected kernel: click a cell and type a number")
        self.grid.valuesEdited.connect(self._on_grid_edited)
        self.grid.invalidEntry.connect(self._on_bad_entry)
        self.bias_spin = QDoubleSpinBox(minimum=-100, maximum=100, decimals=3, singleStep=0.1)
        self.bias_spin.setToolTip("Bias b added to every output cell of the selected filter")
        self.bias_spin.valueChanged.connect(self._on_bias_changed)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error_label.hide()

        top = QGridLayout()
        top.addWidget(QLabel("Preset"), 0, 0)
        top.addWidget(self.preset_combo, 0, 1)
        top.addWidget(QLabel("Size"), 0, 2)
        top.addWidget(self.size_spin, 0, 3)
        top.setColumnStretch(1, 1)
        tabs = QHBoxLayout()
        tabs.addWidget(self.filter_tabs, 1)
        tabs.addWidget(self.add_filter_button)
        tabs.addWidget(self.remove_filter_button)
        channels = QHBoxLayout()
        channels.addWidget(self.channel_label)
        channels.addWidget(self.channel_tabs, 1)
        bias = QHBoxLayout()
        bias.addWidget(QLabel("Bias"))
        bias.addWidget(self.bias_spin, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for part in (top, tabs, channels):
            layout.addLayout(part)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(bias)

        if kernel is not None:
            # a copy: typing into a cell must never change the caller's array (a shared preset)
            self._weights = np.array(kernel, np.float32).reshape(1, 1, *np.shape(kernel))
            self._presets = [CUSTOM]
        else:
            self._weights[0, 0] = preset_kernel(preset, size)
        self._defaults = self.state()
        self._refresh()

    # -- reading --------------------------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """(C_out, C_in, k, k), a copy."""
        return self._weights.copy()

    def bias(self) -> np.ndarray:
        return self._bias.copy()

    @property
    def filter_count(self) -> int:
        return self._weights.shape[0]

    @property
    def in_channels(self) -> int:
        return self._weights.shape[1]

    @property
    def kernel_size(self) -> int:
        return self._weights.shape[2]

    def current_filter(self) -> int:
        return max(0, self.filter_tabs.currentIndex())

    def current_channel(self) -> int:
        return max(0, self.channel_tabs.currentIndex()) if self.in_channels > 1 else 0

    def error_text(self) -> str:
        """The last refused entry, until the next valid change ("" when none)."""
        return "" if self.error_label.isHidden() else self.error_label.text()

    # -- changing -------------------------------------------------------------------------------
    def set_in_channels(self, n: int) -> None:
        """1 (grey) or 3 (RGB): each filter gets one slice per channel, copied from the first."""
        if n != self.in_channels:
            self._weights = np.ascontiguousarray(np.repeat(self._weights[:, :1], n, axis=1))
            self._changed()

    def set_kernel_size(self, k: int) -> None:
        """Presets are rebuilt at size k; custom kernels are centred in (or cropped to) k × k."""
        k = int(k)
        if k != self.kernel_size and 1 <= k <= MAX_SIZE:
            self._resize(k)
            self._changed()

    def _resize(self, k: int) -> None:
        old = self._weights
        self._weights = np.zeros(old.shape[:2] + (k, k), np.float32)
        for f, name in enumerate(self._presets):
            for c in range(old.shape[1]):
                self._weights[f, c] = preset_kernel(name, k) if name != CUSTOM else embed(old[f, c], k)

    def apply_preset(self, name: str, filter_index: int | None = None) -> None:
        """Fill every channel of a filter (the selected one by default) with a preset."""
        f = self.current_filter() if filter_index is None else filter_index
        self._weights[f, :] = preset_kernel(name, self.kernel_size)
        self._presets[f] = name
        self._changed()

    def set_kernel(self, kernel, filter_index: int | None = None, channel: int | None = None) -> None:
        """Set one (k, k) slice (a custom kernel); its size becomes the kernel size."""
        kernel = np.asarray(kernel, np.float32)
        if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or not 1 <= kernel.shape[0] <= MAX_SIZE:
            raise ValueError(f"a kernel must be square, 1×1 to 7×7, got shape {kernel.shape}")
        if kernel.shape[0] != self.kernel_size:
            self._resize(kernel.shape[0])
        f = self.current_filter() if filter_index is None else filter_index
        for c in (range(self.in_channels) if channel is None else [channel]):
            self._weights[f, c] = kernel
        self._presets[f] = CUSTOM
        self._changed()

    def set_bias(self, value: float, filter_index: int | None = None) -> None:
        self._bias[self.current_filter() if filter_index is None else filter_index] = value
        self._changed()

    def add_filter(self) -> None:
        if self.filter_count >= MAX_FILTERS:
            return
        names = list(PRESETS)
        # a new filter starts as the "next" preset, so several filters differ at once
        last = self._presets[-1]
        name = names[(names.index(last) + 1) % len(names)] if last in names else "Sobel y"
        new = np.repeat(preset_kernel(name, self.kernel_size)[None, None], self.in_channels, axis=1)
        self._weights = np.concatenate([self._weights, new])
        self._bias = np.append(self._bias, np.float32(0))
        self._presets.append(name)
        self._changed(select=self.filter_count - 1)

    def remove_filter(self) -> None:
        if self.filter_count <= 1:
            return
        f = self.current_filter()
        self._weights = np.delete(self._weights, f, axis=0)
        self._bias = np.delete(self._bias, f)
        del self._presets[f]
        self._changed(select=min(f, self.filter_count - 1))

    def select_filter(self, f: int) -> None:
        """Show filter f's kernel (from code: no filterSelected)."""
        with QSignalBlocker(self.filter_tabs):
            self.filter_tabs.setCurrentIndex(f)
        self._show_current()

    def select_channel(self, c: int) -> None:
        self.channel_tabs.setCurrentIndex(c)

    def _changed(self, select: int | None = None) -> None:
        self.error_label.hide()
        self._refresh(select)
        self.kernelChanged.emit()

    # -- display --------------------------------------------------------------------------------
    def _refresh(self, select: int | None = None) -> None:
        """Tabs, size and the selected slice as the weights now are."""
        with QSignalBlocker(self.filter_tabs):
            while self.filter_tabs.count() > self.filter_count:
                self.filter_tabs.removeTab(self.filter_tabs.count() - 1)
            while self.filter_tabs.count() < self.filter_count:
                self.filter_tabs.addTab(f"Filter {self.filter_tabs.count() + 1}")
            if select is not None:
                self.filter_tabs.setCurrentIndex(select)
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(self.kernel_size)
        self.size_spin.setSuffix(f" × {self.kernel_size}")
        self.add_filter_button.setEnabled(self.filter_count < MAX_FILTERS)
        self.remove_filter_button.setEnabled(self.filter_count > 1)
        rgb = self.in_channels > 1
        self.channel_tabs.setVisible(rgb)
        self.channel_label.setVisible(rgb)
        self._show_current()

    def _show_current(self, _index: int = 0) -> None:
        f = self.current_filter()
        self.grid.set_values(self._weights[f, self.current_channel()])
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentText(self._presets[f])
        with QSignalBlocker(self.bias_spin):
            self.bias_spin.setValue(float(self._bias[f]))

    # -- the user's edits -----------------------------------------------------------------------
    def _on_filter_tab(self, f: int) -> None:
        self._show_current()
        if f >= 0:
            self.filterSelected.emit(f)

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemText(index)
        if name != CUSTOM:
            self.apply_preset(name)

    def _on_bias_changed(self, value: float) -> None:
        self._bias[self.current_filter()] = value
        self.kernelChanged.emit()

    def _on_grid_edited(self) -> None:
        f = self.current_filter()
        self._weights[f, self.current_channel()] = self.grid.values()
        self._presets[f] = CUSTOM
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentText(CUSTOM)
        self.error_label.hide()
        self.kernelChanged.emit()

    def _on_bad_entry(self, where: str) -> None:
        channel = f", channel {CHANNEL_NAMES[self.current_channel()]}" if self.in_channels > 1 else ""
        text = (f"Kernel of filter {self.current_filter() + 1}{channel}, {where}. "
                "The kernel in use is unchanged.")
        self.error_label.setText(text)
        self.error_label.show()
        self.invalidInput.emit(text)

    # -- state ----------------------------------------------------------------------------------
    def state(self) -> dict:
        """Every number as it is shown (float32's shortest text: 0.1, not 0.10000000149)."""
        def plain(a: np.ndarray):
            return [plain(v) for v in a] if a.ndim else float(str(a))
        return {"weights": plain(self._weights), "bias": plain(self._bias),
                "presets": list(self._presets)}

    def apply_state(self, state: dict) -> None:
        """Raises StateError (nothing changes) on weights that are not (C_out, C_in, k, k) finite
        numbers, 1 to 6 filters, 1 or 3 channels, k from 1 to 7, or a bias or preset list of
        another length."""
        if not isinstance(state, dict):
            raise StateError("kernels", "needs a table of settings")
        unknown = [k for k in state if k not in ("weights", "bias", "presets")]
        if unknown:
            raise StateError(unknown[0], "is not a setting of the kernel editor")
        w = self._checked_weights(state.get("weights", self._weights.tolist()))
        n = w.shape[0]
        bias = state.get("bias", self._bias.tolist() if n == self.filter_count else [0.0] * n)
        try:
            b = np.asarray(bias, np.float32).reshape(-1)
        except (TypeError, ValueError):
            raise StateError("bias", f"needs {n} numbers, got {bias!r}") from None
        if b.size != n or not np.isfinite(b).all():
            raise StateError("bias", f"needs {n} finite numbers (one per filter), got {bias!r}")
        presets = state.get("presets", self._presets if n == self.filter_count else [CUSTOM] * n)
        if not isinstance(presets, list) or len(presets) != n or any(
                p != CUSTOM and p not in PRESETS for p in presets):
            raise StateError("presets", f"needs {n} preset names (or {CUSTOM!r})")
        self._weights, self._bias, self._presets = w, b, list(presets)
        self._changed(select=min(self.current_filter(), n - 1))

    @staticmethod
    def _checked_weights(value) -> np.ndarray:
        try:
            w = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise StateError("weights", "needs nested lists of numbers") from None
        if w.ndim != 4 or w.shape[2] != w.shape[3] or not 1 <= w.shape[2] <= MAX_SIZE:
            raise StateError("weights", f"needs (filters, channels, k, k) with k from 1 to "
                                        f"{MAX_SIZE}, got shape {w.shape}")
        if not 1 <= w.shape[0] <= MAX_FILTERS or w.shape[1] not in (1, 3):
            raise StateError("weights", f"needs 1 to {MAX_FILTERS} filters of 1 or 3 channels, "
                                        f"got {w.shape[0]} of {w.shape[1]}")
        if not np.isfinite(w).all():
            raise StateError("weights", "contains NaN or infinity")
        return np.ascontiguousarray(w)

    def reset(self) -> None:
        self.apply_state(self._defaults)

    def controls(self) -> dict:
        return {"preset": self.preset_combo, "size": self.size_spin, "grid": self.grid,
                "bias": self.bias_spin}
