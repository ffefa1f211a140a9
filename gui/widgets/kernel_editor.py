"""`KernelEditor`: the convolution kernels as editable grids of numbers, with presets and bias.

Holds the weights of a whole `nn.Conv2d` layer: (C_out, C_in, k, k) plus a bias per filter.
One grid is shown at a time: the selected filter (tab bar "Filter 1, 2, ...") and, in RGB mode,
the selected input channel (tab bar "R, G, B"). A cell whose text is not a finite number turns
red, the message says which cell and why, and the last valid kernel stays in force.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
    QSpinBox, QTabBar, QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget,
)

from engine.kernels import PRESETS, embed, preset_kernel

CUSTOM = "custom"
CHANNEL_NAMES = ("R", "G", "B")
MAX_FILTERS = 6
BAD_CELL = QColor("#ff9a9a")


def parse_cell(text: str) -> float:
    """A cell's text as a finite float; ValueError (with the reason) otherwise."""
    t = text.strip().replace("−", "-").replace(",", ".")
    if not t:
        raise ValueError("is empty")
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not np.isfinite(v):
        raise ValueError(f"'{text.strip()}' is not a finite number (NaN and infinity are not allowed)")
    return v


def cell_text(v: float) -> str:
    return f"{v:.4g}"


class KernelEditor(QWidget):
    """Editable kernels for every filter and input channel, presets, size, filter count, bias.

    Signals: `kernelChanged()` after any valid change; `invalidInput(str)` when a cell is bad.
    """

    kernelChanged = Signal()
    invalidInput = Signal(str)

    def __init__(self, parent=None, size: int = 3, in_channels: int = 1, preset: str = "Sobel x"):
        super().__init__(parent)
        self._size = size
        self._weights = np.zeros((1, in_channels, size, size), np.float32)  # (C_out, C_in, k, k)
        self._bias = np.zeros(1, np.float32)                                 # (C_out,)
        self._presets = [preset]            # per filter: its preset name or CUSTOM
        self._bad_cells: set[tuple[int, int]] = set()
        self._updating = False

        self.preset_combo = QComboBox()
        self.preset_combo.addItems([CUSTOM, *PRESETS])
        self.preset_combo.setToolTip("Fill the selected filter with a classic kernel")
        self.preset_combo.activated.connect(self._on_preset_chosen)
        self.size_spin = QSpinBox(minimum=1, maximum=7, value=size, suffix=f" × {size}")
        self.size_spin.setToolTip("Kernel size k (a k × k kernel)")
        self.size_spin.valueChanged.connect(self.set_kernel_size)

        self.filter_tabs = QTabBar()
        self.filter_tabs.setExpanding(False)
        self.filter_tabs.setDrawBase(False)
        self.filter_tabs.currentChanged.connect(self._on_tab_changed)
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
        self.channel_tabs.currentChanged.connect(self._on_tab_changed)
        self.channel_label = QLabel("Channel")

        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.AllEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.horizontalHeader().hide()
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(150)
        self.table.itemChanged.connect(self._on_item_changed)
        self.bias_spin = QDoubleSpinBox(minimum=-100, maximum=100, decimals=3, singleStep=0.1)
        self.bias_spin.setToolTip("Bias added to every output cell of the selected filter")
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
        layout.addLayout(top)
        layout.addLayout(tabs)
        layout.addLayout(channels)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(bias)

        self._weights[0] = preset_kernel(preset, size)
        self.set_in_channels(in_channels)
        self._sync_tabs()
        self._show_current()

    # -- public API --------------------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """(C_out, C_in, k, k) copy of the last valid kernels."""
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
        return self._size

    def current_filter(self) -> int:
        return max(0, self.filter_tabs.currentIndex())

    def current_channel(self) -> int:
        return max(0, self.channel_tabs.currentIndex()) if self.in_channels > 1 else 0

    def has_error(self) -> bool:
        return bool(self._bad_cells)

    def error_text(self) -> str:
        return self.error_label.text() if self._bad_cells else ""

    def set_in_channels(self, n: int) -> None:
        """1 (grayscale) or 3 (RGB): each filter gets one kernel slice per channel."""
        if n != self.in_channels:
            first = self._weights[:, :1]  # keep what the user sees, copied to every channel
            self._weights = np.ascontiguousarray(np.repeat(first, n, axis=1))
        rgb = n > 1
        self.channel_tabs.setVisible(rgb)
        self.channel_label.setVisible(rgb)
        self._show_current()
        self.kernelChanged.emit()

    def set_kernel_size(self, k: int) -> None:
        k = int(k)
        if k == self._size:
            return
        old = self._weights
        self._size = k
        self._weights = np.zeros(old.shape[:2] + (k, k), np.float32)
        for f in range(old.shape[0]):
            for c in range(old.shape[1]):
                name = self._presets[f]
                self._weights[f, c] = preset_kernel(name, k) if name != CUSTOM else embed(old[f, c], k)
        self.size_spin.blockSignals(True)
        self.size_spin.setValue(k)
        self.size_spin.setSuffix(f" × {k}")
        self.size_spin.blockSignals(False)
        self._show_current()
        self.kernelChanged.emit()

    def apply_preset(self, name: str, filter_index: int | None = None) -> None:
        """Fill every channel of a filter (the selected one by default) with a preset."""
        f = self.current_filter() if filter_index is None else filter_index
        self._weights[f, :] = preset_kernel(name, self._size)
        self._presets[f] = name
        self._show_current()
        self.kernelChanged.emit()

    def set_kernel(self, kernel, filter_index: int | None = None, channel: int | None = None) -> None:
        """Set one (k, k) slice (a custom kernel); its size becomes the kernel size."""
        kernel = np.asarray(kernel, np.float32)
        if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or not 1 <= kernel.shape[0] <= 7:
            raise ValueError(f"a kernel must be square, 1×1 to 7×7, got shape {kernel.shape}")
        if kernel.shape[0] != self._size:
            self.set_kernel_size(kernel.shape[0])
        f = self.current_filter() if filter_index is None else filter_index
        channels = range(self.in_channels) if channel is None else [channel]
        for c in channels:
            self._weights[f, c] = kernel
        self._presets[f] = CUSTOM
        self._show_current()
        self.kernelChanged.emit()

    def set_bias(self, value: float, filter_index: int | None = None) -> None:
        f = self.current_filter() if filter_index is None else filter_index
        self._bias[f] = value
        self._show_current()
        self.kernelChanged.emit()

    def add_filter(self) -> None:
        if self.filter_count >= MAX_FILTERS:
            return
        names = list(PRESETS)
        # a new filter starts as the "next" preset, so several filters differ at once
        name = names[(names.index(self._presets[-1]) + 1) % len(names)] \
            if self._presets[-1] in names else "Sobel y"
        new = np.repeat(preset_kernel(name, self._size)[None, None], self.in_channels, axis=1)
        self._weights = np.concatenate([self._weights, new])
        self._bias = np.append(self._bias, np.float32(0))
        self._presets.append(name)
        self._sync_tabs(select=self.filter_count - 1)
        self.kernelChanged.emit()

    def remove_filter(self) -> None:
        if self.filter_count <= 1:
            return
        f = self.current_filter()
        self._weights = np.delete(self._weights, f, axis=0)
        self._bias = np.delete(self._bias, f)
        del self._presets[f]
        self._sync_tabs(select=min(f, self.filter_count - 1))
        self.kernelChanged.emit()

    def select_filter(self, f: int) -> None:
        self.filter_tabs.setCurrentIndex(f)

    def select_channel(self, c: int) -> None:
        self.channel_tabs.setCurrentIndex(c)

    # -- display -----------------------------------------------------------------------------
    def _sync_tabs(self, select: int | None = None) -> None:
        self.filter_tabs.blockSignals(True)
        while self.filter_tabs.count() > self.filter_count:
            self.filter_tabs.removeTab(self.filter_tabs.count() - 1)
        while self.filter_tabs.count() < self.filter_count:
            self.filter_tabs.addTab(f"Filter {self.filter_tabs.count() + 1}")
        if select is not None:
            self.filter_tabs.setCurrentIndex(select)
        self.filter_tabs.blockSignals(False)
        self.add_filter_button.setEnabled(self.filter_count < MAX_FILTERS)
        self.remove_filter_button.setEnabled(self.filter_count > 1)
        self._show_current()

    def _on_tab_changed(self, _index: int) -> None:
        self._show_current()

    def _show_current(self) -> None:
        """Put the selected filter/channel slice into the table (bad cells cleared)."""
        f, c = self.current_filter(), self.current_channel()
        kernel = self._weights[f, c]
        self._updating = True
        self._bad_cells.clear()
        self.error_label.hide()
        k = self._size
        self.table.setRowCount(k)
        self.table.setColumnCount(k)
        peak = max(float(np.abs(kernel).max()), 1e-6)
        for r in range(k):
            for col in range(k):
                item = self.table.item(r, col)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignCenter)
                    self.table.setItem(r, col, item)
                item.setText(cell_text(float(kernel[r, col])))
                item.setBackground(QBrush(self._tint(float(kernel[r, col]) / peak)))
        self.preset_combo.setCurrentText(self._presets[f])
        self.bias_spin.blockSignals(True)
        self.bias_spin.setValue(float(self._bias[f]))
        self.bias_spin.blockSignals(False)
        self._updating = False

    @staticmethod
    def _tint(t: float) -> QColor:
        """A light red (positive) or blue (negative) background, stronger with |value|."""
        a = int(90 * min(1.0, abs(t)))
        return QColor(255, 255 - a, 255 - a) if t > 0 else QColor(255 - a, 255 - a, 255)

    # -- editing -----------------------------------------------------------------------------
    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemText(index)
        if name != CUSTOM:
            self.apply_preset(name)

    def _on_bias_changed(self, value: float) -> None:
        self._bias[self.current_filter()] = value
        self.kernelChanged.emit()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating:
            return
        r, c = item.row(), item.column()
        f, ch = self.current_filter(), self.current_channel()
        try:
            value = parse_cell(item.text())
        except ValueError as e:
            self._bad_cells.add((r, c))
            self._mark(item, bad=True)
            where = f"row {r + 1}, column {c + 1}"
            if self.in_channels > 1:
                where += f", channel {CHANNEL_NAMES[ch]}"
            text = (f"Kernel cell ({where}) of filter {f + 1}: {e}. "
                    "The previous kernel is still in use.")
            self.error_label.setText(text)
            self.error_label.show()
            self.invalidInput.emit(text)
            return
        self._bad_cells.discard((r, c))
        self._weights[f, ch, r, c] = value
        self._presets[f] = CUSTOM
        self.preset_combo.setCurrentText(CUSTOM)
        self._mark(item, bad=False)
        if not self._bad_cells:
            self.error_label.hide()
        self.kernelChanged.emit()

    def _mark(self, item: QTableWidgetItem, bad: bool) -> None:
        self._updating = True
        if bad:
            item.setBackground(QBrush(BAD_CELL))
            item.setToolTip("Not a number: this cell is ignored until it is fixed")
        else:
            peak = max(float(np.abs(self._weights[self.current_filter(), self.current_channel()]).max()), 1e-6)
            item.setBackground(QBrush(self._tint(self._weights[self.current_filter(),
                                                               self.current_channel(),
                                                               item.row(), item.column()] / peak)))
            item.setToolTip("")
        self._updating = False
