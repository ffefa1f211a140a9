"""Max and average pooling, step by step: what each window sees and what it keeps.

`pool2d_trace` returns the output PyTorch computes (`F.max_pool2d` / `F.avg_pool2d`) together
with one step per output cell, in the order the animation visits them (channel, then row, then
column). Steps are built lazily from a strided view of the padded input, so a trace over a large
feature map costs no more than the torch call itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.geometry import pair
from engine.steps import LazySteps

MODES = ("max", "avg")


def pool_output_size(n: int, k: int, stride: int, padding: int = 0) -> int:
    """floor((n + 2p - k) / s) + 1: the number of windows along one axis (may be < 1)."""
    return (n + 2 * padding - k) // stride + 1


@dataclass
class PoolStep:
    """One output cell: the window it pooled and the value it kept."""

    out_index: tuple[int, int, int]   # (c, i, j) in the output
    origin: tuple[int, int]           # top-left of the window in padded-input coordinates
    window: np.ndarray                # (kH, kW) values under the window; padding is -inf (max) or 0 (avg)
    value: float                      # the output value (torch's)
    argmax: tuple[int, int] | None    # (row, col) inside the window that max pooling kept; None for avg


@dataclass
class PoolTrace:
    """The result of `pool2d_trace`: torch's output plus everything the animation shows."""

    mode: str                        # "max" or "avg"
    kernel_size: tuple[int, int]     # (kH, kW)
    stride: tuple[int, int]          # (sH, sW)
    padding: tuple[int, int]         # (pH, pW)
    input: np.ndarray                # (C, H, W) as given
    padded: np.ndarray               # (C, H + 2pH, W + 2pW); the border is -inf (max) or 0 (avg)
    output: np.ndarray               # (C, H_out, W_out), from torch
    argmax_rows: np.ndarray | None   # (C, H_out, W_out) row of the kept maximum inside its window
    argmax_cols: np.ndarray | None   # (C, H_out, W_out) column of it

    def __post_init__(self):
        self.steps = LazySteps(int(np.prod(self.output.shape)), self.step)

    def step(self, index: int) -> PoolStep:
        """Step `index` of the animation, built now."""
        c, i, j = (int(v) for v in np.unravel_index(index, self.output.shape))
        r0, c0 = self.window_origin(i, j)
        kh, kw = self.kernel_size
        window = self.padded[c, r0:r0 + kh, c0:c0 + kw].copy()
        argmax = None
        if self.mode == "max":
            argmax = (int(self.argmax_rows[c, i, j]), int(self.argmax_cols[c, i, j]))
        return PoolStep((c, i, j), (r0, c0), window, float(self.output[c, i, j]), argmax)

    def window_origin(self, i: int, j: int) -> tuple[int, int]:
        """Top-left (row, col) in the padded input of the window giving output cell (i, j)."""
        return i * self.stride[0], j * self.stride[1]

    def step_index(self, c: int, i: int, j: int) -> int:
        """The step that computes output cell (c, i, j) (e.g. when the user clicks it)."""
        return int(np.ravel_multi_index((c, i, j), self.output.shape))

    def padding_mask(self) -> np.ndarray:
        """(H + 2pH, W + 2pW) True on the padding border."""
        ph, pw = self.padding
        mask = np.ones(self.padded.shape[1:], bool)
        mask[ph:ph + self.input.shape[1], pw:pw + self.input.shape[2]] = False
        return mask


def _check(x: np.ndarray, k, s, p) -> None:
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    if min(kh, kw) < 1:
        raise ValueError(f"the window size must be at least 1, got {kh}x{kw}")
    if min(sh, sw) < 1:
        raise ValueError(f"the stride must be at least 1, got {sh}x{sw}")
    if min(ph, pw) < 0:
        raise ValueError(f"the padding cannot be negative, got {ph}x{pw}")
    for name, pad, size in (("height", ph, kh), ("width", pw, kw)):
        if 2 * pad > size:
            raise ValueError(
                f"padding {pad} is more than half the window {name} {size}: PyTorch allows "
                f"padding <= kernel_size / 2 (here at most {size // 2}), so that every window "
                f"still covers at least one real input cell")
    _c, h, w = x.shape
    for name, n, size, st, pad in (("height", h, kh, sh, ph), ("width", w, kw, sw, pw)):
        out = pool_output_size(n, size, st, pad)
        if out < 1:
            raise ValueError(
                f"no output {name}: floor((n + 2p - k) / s) + 1 = floor(({n} + 2*{pad} - {size}) / {st}) + 1"
                f" = {out}; the {size}-wide window does not fit in the padded input ({n + 2 * pad})")


def pool2d_trace(x, kernel_size, stride=None, padding=0, mode: str = "max") -> PoolTrace:
    """Pool `x` of shape (H, W) or (C, H, W) with a kernel_size window (int or pair).

    `stride` defaults to the window size (non-overlapping windows), as in PyTorch. `mode` "max"
    equals `F.max_pool2d` (padding counts as -inf, so it is never picked; ties keep the first
    maximum in row-major order, as torch does); "avg" equals `F.avg_pool2d` with its defaults,
    i.e. `count_include_pad=True`: padding zeros count in the mean, so a corner window with one
    row and column of padding divides by k*k, not by the number of real cells.
    Raises ValueError (with the formula) when the settings leave no output, when padding exceeds
    half the window (PyTorch refuses that), or when the input is not finite.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"the input must have shape (H, W) or (C, H, W), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the input contains NaN or infinity")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    _check(x, k, s, p)

    xt = torch.from_numpy(x)[None]  # (1, C, H, W)
    rows = cols = None
    if mode == "max":
        out, idx = F.max_pool2d(xt, k, s, p, return_indices=True)
        # torch's indices are flat positions h*W + w in the unpadded input; turn them into
        # (row, col) inside each window: row = h - (i*sH - pH).
        idx = idx[0].numpy()
        h_in, w_in = divmod(idx, x.shape[2])
        h_out, w_out = out.shape[-2:]
        rows = (h_in - (np.arange(h_out)[:, None] * s[0] - p[0])).astype(np.int64)
        cols = (w_in - (np.arange(w_out)[None, :] * s[1] - p[1])).astype(np.int64)
        fill = -np.inf
    else:
        out = F.avg_pool2d(xt, k, s, p)
        fill = 0.0
    padded = np.pad(x, ((0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)
    return PoolTrace(mode, k, s, p, x, padded, out[0].numpy().copy(), rows, cols)
