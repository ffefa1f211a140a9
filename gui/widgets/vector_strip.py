"""`VectorStrip`: a vector as a 1 x n heatmap with its numbers, for hidden states and inputs.

A thin `MatrixView` (diverging colours, fixed levels -1..1 by default so colours mean the same
at every step); clicking a cell emits `cellClicked(0, k)` like any MatrixView.
"""
from __future__ import annotations

import numpy as np

from gui.widgets.matrix_view import MatrixView


class VectorStrip(MatrixView):
    def __init__(self, parent=None, levels=(-1.0, 1.0), colormap: str = "diverging",
                 max_numbers: int = 16):
        super().__init__(parent, colormap=colormap, show_numbers=True, number_format="{:.2f}")
        self.max_numbers = max_numbers
        self.fixed_levels = levels
        self.setMinimumSize(80, 44)
        self.setMaximumHeight(80)

    def set_vector(self, values, mark: int | None = None) -> None:
        """Show (n,) values; `mark` outlines one entry (the chosen hidden unit)."""
        row = np.asarray(values, np.float32).reshape(1, -1)
        self.show_numbers = row.shape[1] <= self.max_numbers  # long vectors: colours only
        levels = self.fixed_levels
        if levels is None or np.abs(row).max(initial=0) > max(abs(levels[0]), abs(levels[1])):
            levels = None  # values beyond the fixed scale (inputs, biases): scale to fit
        self.set_matrix(row, levels=levels)
        self.set_highlight(None if mark is None else (0, mark, 1, 1))
