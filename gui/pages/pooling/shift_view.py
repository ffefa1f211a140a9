"""`ShiftComparison`: the pooled output before and after the input moved one pixel right (zeros
in on the left), side by side, with the outputs that changed marked: max pooling's translation
tolerance, measured rather than claimed."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from gui.pages.pooling.translation import changed_cells
from gui.widgets.matrix_view import MatrixView


class ShiftComparison(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.shift_button = QPushButton("Shift the input right by 1")
        self.shift_button.setToolTip("Move every input value one column right; a column of zeros "
                                     "comes in on the left (nothing wraps round)")
        self.undo_button = QPushButton("Back to the unshifted input")
        self.undo_button.setToolTip("Undo every shift")
        self.before_view = MatrixView(colormap="viridis", title="Output before the shift")
        self.after_view = MatrixView(colormap="viridis", title="Output after it (red: changed)")
        for view in (self.before_view, self.after_view):
            view.setMinimumSize(100, 100)
        self.summary = QLabel("Shift the input to compare the outputs.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.PlainText)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.shift_button, 0, 0)
        grid.addWidget(self.undo_button, 0, 1)
        grid.addWidget(self.before_view, 1, 0)
        grid.addWidget(self.after_view, 1, 1)
        grid.addWidget(self.summary, 2, 0, 1, 2)
        grid.setRowStretch(1, 1)
        self.changed: list[tuple[int, int]] = []

    def show_outputs(self, before: np.ndarray | None, after: np.ndarray, shift: int,
                     levels: tuple[float, float], mode: str) -> None:
        """`before` None: no shift yet (only the current output is shown)."""
        self.undo_button.setEnabled(shift > 0)
        if before is None:
            self.before_view.set_matrix(after, levels=levels)
            self.after_view.set_matrix(after, levels=levels)
            self.after_view.set_marks([])
            self.changed = []
            self.summary.setText("Shift the input to compare the outputs.")
            return
        self.before_view.set_matrix(before, levels=levels)
        self.after_view.set_matrix(after, levels=levels)
        self.changed = changed_cells(before, after)
        self.after_view.set_marks(self.changed)
        n, kept = after.size, after.size - len(self.changed)
        what = "max" if mode == "max" else "average"
        self.summary.setText(
            f"Shifted {shift} column(s) so far. After this shift {kept} of {n} outputs stayed the "
            f"same and {len(self.changed)} changed (marked red): {what} pooling "
            f"{'tolerates much of a small move' if kept * 2 >= n else 'follows the move'}.")
