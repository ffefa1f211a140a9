"""Kernel presets for the Convolution page, and placing a preset into a k x k kernel.

`PRESETS` maps a name to its classic 3x3 form (float32). Some presets have a natural form at any
size (identity, box blur, Gaussian blur, sharpen); `preset_kernel(name, k)` builds those at size
k and centres (or centre-crops) the fixed 3x3 ones with `embed`.
"""
from __future__ import annotations

from math import comb

import numpy as np


def _k(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


PRESETS: dict[str, np.ndarray] = {
    "identity": _k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box blur": _k(np.full((3, 3), 1 / 9)),
    "Gaussian blur": _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Sobel x": _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel y": _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "Prewitt x": _k([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "Prewitt y": _k([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "Laplacian": _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "emboss": _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    # The four classic ±1 edge filters of the lecture slides, named by where the dark side is.
    "±1 edge: dark above": _k([[-1, -1, -1], [1, 1, 1], [0, 0, 0]]),
    "±1 edge: dark left": _k([[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]),
    "±1 edge: dark below": _k([[0, 0, 0], [1, 1, 1], [-1, -1, -1]]),
    "±1 edge: dark right": _k([[0, 1, -1], [0, 1, -1], [0, 1, -1]]),
}

# Presets with a natural k x k form (the others are 3x3 placed in the middle).
SCALABLE = ("identity", "box blur", "Gaussian blur", "sharpen")


def embed(kernel: np.ndarray, k: int) -> np.ndarray:
    """`kernel` (h, w) centred in a k x k array of zeros, or its centre k x k crop if larger."""
    kernel = np.asarray(kernel, dtype=np.float32)
    out = np.zeros((k, k), np.float32)
    h, w = kernel.shape
    # Source and destination ranges per axis: centre one inside the other.
    rs, rd = (slice((h - k) // 2, (h - k) // 2 + k), slice(None)) if h > k else \
        (slice(None), slice((k - h) // 2, (k - h) // 2 + h))
    cs, cd = (slice((w - k) // 2, (w - k) // 2 + k), slice(None)) if w > k else \
        (slice(None), slice((k - w) // 2, (k - w) // 2 + w))
    out[rd, cd] = kernel[rs, cs]
    return out


def _binomial(k: int) -> np.ndarray:
    row = np.array([comb(k - 1, i) for i in range(k)], np.float32)
    g = np.outer(row, row)
    return g / g.sum()


def preset_kernel(name: str, k: int = 3) -> np.ndarray:
    """The preset `name` as a k x k float32 kernel (1 <= k)."""
    if name not in PRESETS:
        raise KeyError(f"unknown kernel preset {name!r}")
    if k < 1:
        raise ValueError(f"kernel size must be at least 1, got {k}")
    if name == "identity":
        return embed(np.ones((1, 1), np.float32), k)
    if name == "box blur":
        return np.full((k, k), 1.0 / (k * k), np.float32)
    if name == "Gaussian blur":
        return _binomial(k)
    if name == "sharpen" and k != 3:
        # 2·identity − box blur: keeps the mean, boosts the centre against its neighbourhood
        return (2 * preset_kernel("identity", k) - preset_kernel("box blur", k)).astype(np.float32)
    return embed(PRESETS[name], k)
