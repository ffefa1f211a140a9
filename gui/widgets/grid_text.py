"""A grid of numbers as a student types it ("0 1 0" one row per line) and back.

Pure functions with no Qt; they belong in the engine (engine/grids.py is being written) and live
here only until it exists.
"""
from __future__ import annotations

import re

import numpy as np

MAX_TYPED = 32   # rows and columns a typed grid may have


def parse_grid(text: str) -> np.ndarray:
    """Numbers typed one row per line (spaces, commas or semicolons between them) -> (H, W)
    float32. ValueError says what is wrong, in one sentence."""
    rows = [r for r in (line.strip() for line in text.strip().splitlines()) if r]
    if not rows:
        raise ValueError("the grid is empty: type one row of numbers per line")
    values = []
    for n, row in enumerate(rows, 1):
        out = []
        for cell in (c for c in re.split(r"[\s,;]+", row.replace("−", "-")) if c):
            try:
                v = float(cell)
            except ValueError:
                raise ValueError(f"row {n}: '{cell}' is not a number") from None
            if not np.isfinite(v):
                raise ValueError(f"row {n}: '{cell}' is not a finite number")
            out.append(v)
        values.append(out)
    if len({len(r) for r in values}) != 1:
        raise ValueError(f"rows have different lengths ({', '.join(str(len(r)) for r in values)})"
                         ": every row needs the same number of values")
    grid = np.array(values, np.float32)
    if max(grid.shape) > MAX_TYPED:
        raise ValueError(f"at most {MAX_TYPED}×{MAX_TYPED} numbers, got "
                         f"{grid.shape[0]}×{grid.shape[1]}")
    return grid


def grid_text(grid: np.ndarray) -> str:
    """(H, W) values as `parse_grid` reads them back."""
    return "\n".join(" ".join(f"{v:g}" for v in row) for row in np.asarray(grid))
