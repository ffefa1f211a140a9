"""2-D convolution as the lecture draws it: a kernel sliding over a zero-padded input.

`output_size` is the formula for one dimension; `conv2d_trace` returns the whole output (from
one `torch.nn.functional.conv2d` call, so it is fast on photos) together with `.steps`, one per
output cell in the order the animation visits them (output channel, then rows, then columns).
Steps are built on demand from the padded input, so a 512x512 photo costs nothing until a step
is looked at, yet `.steps` still behaves like a list (len, indexing, slicing, iteration).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from engine.geometry import output_size, output_size_formula, pair  # noqa: F401 (re-exported)
from engine.steps import LazySteps


@dataclass(frozen=True)
class ConvStep:
    """One output cell: where the kernel sits, what it sees, what it computes."""
    out_index: tuple[int, int, int]  # (c_out, i, j) in the output
    origin: tuple[int, int]          # top-left (row, col) of the window in the padded input
    window: np.ndarray               # (C_in, kH, kW) input values under the kernel, padding zeros included
    products: np.ndarray             # (C_in, kH, kW) window * kernel, element-wise
    channel_sums: np.ndarray         # (C_in,) each input channel's partial sum
    bias: float                      # this output channel's bias
    value: float                     # products.sum() + bias


@dataclass
class ConvTrace:
    """Everything the Convolution page shows for one configuration."""
    x: np.ndarray                 # (C_in, H, W) the input
    weight: np.ndarray            # (C_out, C_in, kH, kW)
    bias: np.ndarray              # (C_out,)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    padded: np.ndarray            # (C_in, H + 2pH, W + 2pW) zero-padded input
    output: np.ndarray            # (C_out, H_out, W_out) equal to F.conv2d
    steps: LazySteps = field(init=False, repr=False)  # built on demand by `step(k)`

    def __post_init__(self):
        self.steps = LazySteps(int(np.prod(self.output.shape)), self.step)

    @property
    def kernel_span(self) -> tuple[int, int]:
        """(rows, cols) of the padded input one window covers (dilation included)."""
        _co, _ci, kh, kw = self.weight.shape
        return (self.dilation[0] * (kh - 1) + 1, self.dilation[1] * (kw - 1) + 1)

    def padding_mask(self) -> np.ndarray:
        """(H_pad, W_pad) True on the padding cells."""
        mask = np.ones(self.padded.shape[1:], bool)
        (ph, pw), (h, w) = self.padding, self.x.shape[1:]
        mask[ph:ph + h, pw:pw + w] = False
        return mask

    def step_index(self, c_out: int, i: int, j: int) -> int:
        _c, h, w = self.output.shape
        return (int(c_out) * h + int(i)) * w + int(j)

    def origin(self, i: int, j: int) -> tuple[int, int]:
        return (int(i) * self.stride[0], int(j) * self.stride[1])

    def window_cells(self, i: int, j: int) -> list[tuple[int, int]]:
        """The padded-input cells the kernel taps for output cell (i, j) (spread by dilation)."""
        _co, _ci, kh, kw = self.weight.shape
        r0, c0 = self.origin(i, j)
        return [(r0 + a * self.dilation[0], c0 + b * self.dilation[1])
                for a in range(kh) for b in range(kw)]

    def step(self, k: int) -> ConvStep:
        c_out, h, w = self.output.shape
        c, rest = divmod(int(k), h * w)
        i, j = divmod(rest, w)
        _co, _ci, kh, kw = self.weight.shape
        r0, c0 = self.origin(i, j)
        dh, dw = self.dilation
        window = self.padded[:, r0:r0 + dh * (kh - 1) + 1:dh, c0:c0 + dw * (kw - 1) + 1:dw]
        products = window * self.weight[c]                              # (C_in, kH, kW)
        sums = products.reshape(products.shape[0], -1).sum(axis=1)    # (C_in,)
        b = float(self.bias[c])
        return ConvStep(out_index=(c, i, j), origin=(r0, c0), window=window.copy(),
                        products=products, channel_sums=sums, bias=b,
                        value=float(sums.sum(dtype=np.float64) + b))


def _as_input(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"input must be (H, W) or (C_in, H, W), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError("the input contains NaN or infinity")
    return x


def _as_weight(w, c_in: int, dtype) -> np.ndarray:
    w = np.asarray(w, dtype=dtype)
    if w.ndim == 2:
        # one filter; the same 2-D kernel on every input channel
        w = np.repeat(w[None, None], c_in, axis=1)
    if w.ndim != 4:
        raise ValueError(f"kernel must be (kH, kW) or (C_out, C_in, kH, kW), got shape {w.shape}")
    if w.shape[1] != c_in:
        raise ValueError(f"the kernel has {w.shape[1]} input channel(s) but the input has {c_in}: "
                         "each filter needs one kernel slice per input channel")
    if not np.isfinite(w).all():
        raise ValueError("the kernel contains NaN or infinity")
    return np.array(w, copy=True, order="C")  # writable: torch.from_numpy wants that


def conv2d_trace(x, w, bias=None, stride=1, padding=0, dilation=1) -> ConvTrace:
    """Trace of `F.conv2d(x, w, bias, stride, padding, dilation)` for one image.

    x: (H, W) or (C_in, H, W); w: (kH, kW) or (C_out, C_in, kH, kW); bias: None, a number or
    (C_out,); stride/padding/dilation: an int or a (height, width) pair. Padding is zeros.
    Raises ValueError, saying why, when the settings give no output.
    """
    x = _as_input(x)
    c_in, h, wd = x.shape
    weight = _as_weight(w, c_in, x.dtype)
    c_out, _ci, kh, kw = weight.shape
    if bias is None:
        b = np.zeros(c_out, x.dtype)
    else:
        b = np.broadcast_to(np.asarray(bias, dtype=x.dtype).reshape(-1), (c_out,)).copy()
        if not np.isfinite(b).all():
            raise ValueError("the bias contains NaN or infinity")
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    output_size(h, kh, s[0], p[0], d[0], axis="height")  # raises with the reason
    output_size(wd, kw, s[1], p[1], d[1], axis="width")
    with torch.no_grad():
        out = F.conv2d(torch.from_numpy(np.ascontiguousarray(x))[None], torch.from_numpy(weight),
                       torch.from_numpy(b), stride=s, padding=p, dilation=d)[0]  # (C_out, H_out, W_out)
    padded = np.pad(x, ((0, 0), (p[0], p[0]), (p[1], p[1])))
    return ConvTrace(x=x, weight=weight, bias=b, stride=s, padding=p, dilation=d,
                     padded=padded, output=out.numpy())
