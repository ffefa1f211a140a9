"""`NumberGrid`: a small editable table of numbers (a kernel, a 1-D kernel's taps, a small input).

A cell whose text is not a finite number (words, NaN, infinity, nothing) is put back to the
value it had, and `invalidEntry(message)` says which cell and why: nothing else changes. Cells
are sized from the font, so they grow with the presenter scale; `stretch=True` lets the columns
share the width the grid is given (the kernel editor), otherwise the grid keeps its own size.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem,
)

from gui import style


def parse_number(text: str) -> float:
    """A cell's text as a finite float ("−1", "0,5" and "2e-3" are fine); ValueError says why."""
    t = text.strip().replace("−", "-").replace(",", ".")
    if not t:
        raise ValueError("is empty")
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"'{text.strip()}' is not a finite number (NaN and infinity are not "
                         "allowed)")
    return value


def tint(t: float) -> QColor:
    """A light red (t > 0) or blue (t < 0) background, stronger as |t| goes to 1."""
    a = int(90 * min(1.0, abs(t)))
    return QColor(255, 255 - a, 255 - a) if t > 0 else QColor(255 - a, 255 - a, 255)


class NumberGrid(QTableWidget):
    """An editable (rows, cols) grid of float32 numbers.

    Signals: `valuesEdited()` after the user typed a valid number; `invalidEntry(str)` when a
    typed cell was refused (the sentence names the cell, the reason and the value kept)."""

    valuesEdited = Signal()
    invalidEntry = Signal(str)

    def __init__(self, rows: int = 1, cols: int = 3, stretch: bool = False,
                 tinted: bool = False, parent=None):
        super().__init__(rows, cols, parent)
        self.stretch = stretch
        self.tinted = tinted            # cells tinted red / blue by sign and size
        self._values = np.zeros((rows, cols), np.float32)
        style.set_role(self, "body")
        mode = QHeaderView.Stretch if stretch else QHeaderView.Fixed
        self.horizontalHeader().setSectionResizeMode(mode)
        self.verticalHeader().setSectionResizeMode(mode)
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setEditTriggers(QAbstractItemView.AllEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding if stretch else QSizePolicy.Fixed,
                           QSizePolicy.Fixed)
        self.itemChanged.connect(self._on_item_changed)
        self.set_values(self._values)

    # -- values ---------------------------------------------------------------------------------
    def set_values(self, values) -> None:
        """Show `values` (anything 2-D, or 1-D as one row); the user's edits start from here."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float32))
        if values.ndim != 2 or not np.isfinite(values).all():
            raise ValueError(f"a number grid needs a 2-D array of finite numbers, got "
                             f"shape {values.shape}")
        self._values = values.copy()
        with QSignalBlocker(self):
            # cells that go: their items are taken out first, so Python frees what it made
            # (a soak once crashed in setRowCount here; see gui/__init__.py)
            for r in range(self.rowCount()):
                for c in range(self.columnCount()):
                    if r >= values.shape[0] or c >= values.shape[1]:
                        self.takeItem(r, c)
            self.setRowCount(values.shape[0])
            self.setColumnCount(values.shape[1])
            for r in range(values.shape[0]):
                for c in range(values.shape[1]):
                    item = self.item(r, c)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignCenter)
                        self.setItem(r, c, item)
                    self._show_cell(item, float(values[r, c]))
        self._fit()

    def values(self) -> np.ndarray:
        return self._values.copy()

    def cell_text(self, value: float) -> str:
        """Shorter numbers in wide grids, so they stay inside their cells."""
        text = f"{value:.4g}" if self.columnCount() <= 4 else f"{value:.2g}"
        return "0" if text in ("-0", "-0.0") else text

    def _show_cell(self, item: QTableWidgetItem, value: float) -> None:
        item.setText(self.cell_text(value))
        if self.tinted:
            peak = max(float(np.abs(self._values).max()), 1e-6)
            item.setBackground(QBrush(tint(value / peak)))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        r, c = item.row(), item.column()
        if not (0 <= r < self._values.shape[0] and 0 <= c < self._values.shape[1]):
            return
        old = float(self._values[r, c])
        try:
            value = parse_number(item.text())
        except ValueError as e:
            with QSignalBlocker(self):
                self._show_cell(item, old)
            self.invalidEntry.emit(f"row {r + 1}, column {c + 1}: {e}; it keeps "
                                   f"{self.cell_text(old)}")
            return
        self._values[r, c] = value
        with QSignalBlocker(self):
            if self.tinted:       # one value changed the peak: every cell's tint follows it
                for rr in range(self.rowCount()):
                    for cc in range(self.columnCount()):
                        self._show_cell(self.item(rr, cc), float(self._values[rr, cc]))
            else:
                self._show_cell(item, value)
        self.valuesEdited.emit()

    # -- size -----------------------------------------------------------------------------------
    def _fit(self) -> None:
        """Fixed grids: every cell wide enough for "−0.000"; stretched grids: at least wide
        enough for the longest number shown (a 7 × 7 kernel must fit a side panel)."""
        fm = self.fontMetrics()
        rows, cols = self.rowCount(), self.columnCount()
        texts = [self.item(r, c).text() for r in range(rows) for c in range(cols)
                 if self.item(r, c) is not None]
        widest = max([fm.horizontalAdvance(t) for t in texts] + [fm.horizontalAdvance("0.0")])
        height = fm.height() + 12
        if self.stretch:    # the columns share the width; the rows keep a fixed height, so
            # a kernel leaves the panel's room to the controls under it (at 1280x720)
            self.setMinimumWidth((widest + 12) * cols + 4)
            self.setFixedHeight((height + 6) * rows + 4)
            return
        width = max(widest, fm.horizontalAdvance("−0.000")) + 14
        for c in range(cols):
            self.setColumnWidth(c, width)
        for r in range(rows):
            self.setRowHeight(r, height)
        self.setFixedSize(width * cols + 4, height * rows + 4)

    def changeEvent(self, event) -> None:   # a new presenter scale: cells follow the font
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit()
