"""Translation tolerance: a grid moved right by whole cells, zeros coming in on the left, and
which outputs of two equal-shaped results differ.

Pure numpy with no Qt; a candidate for engine/pool.py, kept here until it is there.
"""
from __future__ import annotations

import numpy as np


def shift_right(grid: np.ndarray, n: int) -> np.ndarray:
    """(H, W) moved n columns right: the last n columns fall off, n columns of zeros come in
    on the left (nothing wraps round)."""
    grid = np.asarray(grid, np.float32)
    n = max(0, min(int(n), grid.shape[1]))
    out = np.zeros_like(grid)
    out[:, n:] = grid[:, :grid.shape[1] - n]
    return out


def changed_cells(before: np.ndarray, after: np.ndarray, atol: float = 1e-6) -> list[tuple[int, int]]:
    """(row, col) of every cell where two (H, W) results differ."""
    rows, cols = np.nonzero(~np.isclose(before, after, atol=atol, rtol=0.0))
    return list(zip(rows.tolist(), cols.tolist()))
