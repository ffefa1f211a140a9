"""One layer's output as one 2-D picture, and back: which unit a cell of that picture is.

A conv layer's (C, H, W) maps are tiled into a grid with torchvision.utils.make_grid (one map
per tile, a one-cell gap between tiles); a vector (n,) is wrapped row by row into a near-square
block, so a page can show any layer in one heatmap and turn a click into a unit's index.

    tiled = tile_output(trace.layers[k].output)
    tiled.image                    # (rows, cols) float32; NaN in the gaps and after a vector's end
    tiled.unit_at(row, col)        # (c, i, j) or (k,), or None in a gap
    tiled.cell_of(index)           # the picture's (row, col) of a unit
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torchvision.utils import make_grid

GAP = 1   # cells between two tiles


@dataclass
class TiledOutput:
    image: np.ndarray              # (rows, cols) float32, NaN where no unit is
    shape: tuple                   # the layer's output shape, (C, H, W) or (n,)
    columns: int                   # tiles per row (maps), or units per row (vector)

    def unit_at(self, row: int, col: int) -> tuple | None:
        """The unit shown at picture cell (row, col); None in a gap or outside."""
        if not (0 <= row < self.image.shape[0] and 0 <= col < self.image.shape[1]):
            return None
        if len(self.shape) == 1:
            k = row * self.columns + col
            return (k,) if k < self.shape[0] else None
        c, h, w = self.shape
        # make_grid puts GAP cells before every tile too (its border)
        tr, i = divmod(row - GAP, h + GAP)
        tc, j = divmod(col - GAP, w + GAP)
        ch = tr * self.columns + tc
        if row < GAP or col < GAP or i >= h or j >= w or ch >= c:
            return None
        return ch, i, j

    def cell_of(self, index) -> tuple[int, int]:
        """The picture's (row, col) showing unit `index` ((c, i, j) or (k,))."""
        if len(self.shape) == 1:
            return divmod(int(index[0]), self.columns)
        ch, i, j = (int(v) for v in index)
        h, w = self.shape[1:]
        tr, tc = divmod(ch, self.columns)
        return GAP + tr * (h + GAP) + i, GAP + tc * (w + GAP) + j


def grid_columns(count: int, height: int = 1, width: int = 1) -> int:
    """Tiles per row for `count` tiles of height x width, so the block is about square."""
    return max(1, math.ceil(math.sqrt(count * height / max(width, 1))))


def tile_output(output: np.ndarray, columns: int | None = None) -> TiledOutput:
    """A (C, H, W) or (n,) layer output as one (rows, cols) picture (see the module docstring);
    a (H, W) output counts as one map."""
    out = np.asarray(output, dtype=np.float32)
    if out.ndim == 2:
        out = out[None]
    if out.ndim == 1:
        n = out.shape[0]
        cols = columns or grid_columns(n)
        rows = math.ceil(n / cols)
        image = np.full(rows * cols, np.nan, np.float32)
        image[:n] = out
        return TiledOutput(image.reshape(rows, cols), (n,), cols)
    if out.ndim != 3:
        raise ValueError(f"a layer output to tile is (C, H, W), (H, W) or (n,); got {out.shape}")
    c, h, w = out.shape
    cols = columns or grid_columns(c, h, w)
    grid = make_grid(torch.from_numpy(out)[:, None], nrow=cols, padding=GAP,
                     pad_value=float("nan"))      # (3, rows, cols): make_grid repeats grey
    return TiledOutput(np.ascontiguousarray(grid[0].numpy()), (c, h, w), cols)
