"""Two more ways to convolve: 1-D over a signal (the temporal case) and transposed (upsampling).

`conv1d_trace` equals `F.conv1d` and has one "gather" step per output sample: the kernel slides
along the signal and each output is the sum of the products under it. `conv_transpose2d_trace`
equals `F.conv_transpose2d` and has one "scatter" step per *input* cell: the cell's value times
the kernel is stamped into a larger canvas at stride offsets, where overlapping stamps add up;
the canvas is then cropped by `padding` on every side (and grown by `output_padding` at the
bottom/right) to give the output. Signal generators and 1-D kernel presets feed the 1-D page.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.geometry import pair
from engine.steps import LazySteps


def _finite(a: np.ndarray, what: str) -> None:
    if not np.isfinite(a).all():
        raise ValueError(f"the {what} contains NaN or infinity")


def _bias(bias, c_out: int) -> np.ndarray | None:
    if bias is None:
        return None
    b = np.asarray(bias, dtype=np.float32).reshape(-1)
    if b.size == 1:
        b = np.repeat(b, c_out)
    if b.size != c_out:
        raise ValueError(f"bias needs one value per output channel ({c_out}), got {b.size}")
    _finite(b, "bias")
    return b


def conv1d_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((L + 2p - d(k-1) - 1) / s) + 1 (may be < 1 when nothing fits)."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def transposed_output_size(n: int, k: int, stride: int = 1, padding: int = 0,
                           output_padding: int = 0, dilation: int = 1) -> int:
    """(H - 1)s - 2p + d(k - 1) + output_padding + 1."""
    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


# -- 1-D convolution ---------------------------------------------------------------------------

@dataclass
class Conv1dStep:
    """One output sample: the signal under the kernel, the products and their sum."""

    out_index: tuple[int, int]   # (c_out, i)
    positions: np.ndarray        # (k,) indices into the padded signal the kernel taps read
    window: np.ndarray           # (C_in, k) the padded signal at those positions (padding = 0)
    products: np.ndarray         # (C_in, k) window * kernel
    value: float                 # products.sum() + bias, as torch computed it


@dataclass
class Conv1dTrace:
    """The result of `conv1d_trace`: torch's output plus what the animation shows."""

    input: np.ndarray          # (C_in, L)
    weight: np.ndarray         # (C_out, C_in, k)
    bias: np.ndarray | None    # (C_out,) or None
    stride: int
    padding: int
    dilation: int
    padded: np.ndarray         # (C_in, L + 2p), zeros at both ends
    output: np.ndarray         # (C_out, L_out), from torch

    def __post_init__(self):
        self.steps = LazySteps(int(np.prod(self.output.shape)), self.step)

    def step(self, index: int) -> Conv1dStep:
        """Step `index` of the animation, built now."""
        c, i = (int(v) for v in np.unravel_index(index, self.output.shape))
        pos = self.positions(i)
        window = self.padded[:, pos].copy()
        return Conv1dStep((c, i), pos, window, window * self.weight[c], float(self.output[c, i]))

    def positions(self, i: int) -> np.ndarray:
        """Padded-signal indices the kernel reads for output sample i: i*s + d*t, t = 0..k-1."""
        k = self.weight.shape[2]
        return i * self.stride + self.dilation * np.arange(k)

    def step_index(self, c: int, i: int) -> int:
        return int(np.ravel_multi_index((c, i), self.output.shape))


def conv1d_trace(x, w, bias=None, stride: int = 1, padding: int = 0, dilation: int = 1) -> Conv1dTrace:
    """Convolve a signal `x` (L,) or (C_in, L) with `w` (k,) or (C_out, C_in, k).

    Like every deep-learning "convolution" this is cross-correlation (the kernel is not
    flipped): output[c, i] = bias[c] + sum over channels and taps t of
    x_padded[c_in, i*s + d*t] * w[c, c_in, t]. Equals `F.conv1d`. Raises ValueError with the
    formula when no output fits, or for bad shapes and non-finite values.
    """
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"the signal must have shape (L,) or (C_in, L), got {x.shape}")
    if w.ndim == 1:
        w = w[None, None]
    if w.ndim != 3 or w.shape[2] == 0:
        raise ValueError(f"the kernel must have shape (k,) or (C_out, C_in, k), got {w.shape}")
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"the kernel has {w.shape[1]} input channels but the signal has {x.shape[0]}")
    _finite(x, "signal")
    _finite(w, "kernel")
    stride, padding, dilation = int(stride), int(padding), int(dilation)
    if stride < 1 or dilation < 1:
        raise ValueError("stride and dilation must be at least 1")
    if padding < 0:
        raise ValueError("padding cannot be negative")
    b = _bias(bias, w.shape[0])
    n, k = x.shape[1], w.shape[2]
    out_len = conv1d_output_size(n, k, stride, padding, dilation)
    if out_len < 1:
        raise ValueError(
            f"no output: floor((L + 2p - d(k-1) - 1) / s) + 1 = floor(({n} + 2*{padding} - "
            f"{dilation}*({k}-1) - 1) / {stride}) + 1 = {out_len}; the kernel spans "
            f"{dilation * (k - 1) + 1} samples but the padded signal has {n + 2 * padding}")
    out = F.conv1d(torch.from_numpy(x)[None], torch.from_numpy(w),
                   None if b is None else torch.from_numpy(b), stride, padding, dilation)
    padded = np.pad(x, ((0, 0), (padding, padding)))
    return Conv1dTrace(x, w, b, stride, padding, dilation, padded, out[0].numpy().copy())


# -- transposed convolution --------------------------------------------------------------------

@dataclass
class TransposedStep:
    """One input cell scattered into the canvas: value * kernel added at a stride offset."""

    in_index: tuple[int, int, int]   # (c_in, i, j) the input cell
    value: float                     # its value
    origin: tuple[int, int]          # (i*sH, j*sW): where the kernel's top-left lands on the canvas
    contribution: np.ndarray         # (C_out, kH, kW) value * kernel[c_in], added at origin (+ dilation gaps)
    canvas: np.ndarray               # (C_out, Hc, Wc) running sum after this step, before crop and bias


@dataclass
class TransposedTrace:
    """The result of `conv_transpose2d_trace`."""

    input: np.ndarray                # (C_in, H, W)
    weight: np.ndarray               # (C_in, C_out, kH, kW), torch's layout for transposed conv
    bias: np.ndarray | None          # (C_out,) or None
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    output: np.ndarray               # (C_out, H_out, W_out), from torch

    def __post_init__(self):
        self.steps = LazySteps(int(self.input.size), self.step)

    def step(self, index: int) -> TransposedStep:
        """Step `index` of the animation, built now."""
        ci, i, j = (int(v) for v in np.unravel_index(index, self.input.shape))
        v = float(self.input[ci, i, j])
        origin = (i * self.stride[0], j * self.stride[1])
        return TransposedStep((ci, i, j), v, origin, v * self.weight[ci], self.canvas_after(index))

    @property
    def canvas_shape(self) -> tuple[int, int, int]:
        """(C_out, Hc, Wc): every stamp fits, plus output_padding rows/columns at the bottom/right."""
        _c, h, w = self.input.shape
        kh, kw = self.weight.shape[2:]
        hc = (h - 1) * self.stride[0] + self.dilation[0] * (kh - 1) + 1 + self.output_padding[0]
        wc = (w - 1) * self.stride[1] + self.dilation[1] * (kw - 1) + 1 + self.output_padding[1]
        return (self.weight.shape[1], hc, wc)

    def crop_rect(self) -> tuple[int, int, int, int]:
        """(r0, c0, H_out, W_out): the part of the canvas that becomes the output."""
        return (self.padding[0], self.padding[1], self.output.shape[1], self.output.shape[2])

    def stamp_cells(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Canvas rows (kH,) and columns (kW,) that input cell (i, j)'s kernel stamp covers."""
        kh, kw = self.weight.shape[2:]
        rows = i * self.stride[0] + self.dilation[0] * np.arange(kh)
        cols = j * self.stride[1] + self.dilation[1] * np.arange(kw)
        return rows, cols

    def canvas_after(self, index: int) -> np.ndarray:
        """(C_out, Hc, Wc) sum of the stamps of steps 0..index (no bias, not cropped)."""
        masked = np.zeros_like(self.input).reshape(-1)
        masked[:index + 1] = self.input.reshape(-1)[:index + 1]
        masked = masked.reshape(self.input.shape)
        # padding 0 keeps the whole canvas; torch does the scatter-add itself.
        full = F.conv_transpose2d(torch.from_numpy(masked)[None], torch.from_numpy(self.weight),
                                  stride=self.stride, dilation=self.dilation)[0].numpy()
        canvas = np.zeros(self.canvas_shape, np.float32)
        canvas[:, :full.shape[1], :full.shape[2]] = full
        return canvas

    def step_index(self, c: int, i: int, j: int) -> int:
        return int(np.ravel_multi_index((c, i, j), self.input.shape))


def conv_transpose2d_trace(x, w, bias=None, stride=1, padding=0, output_padding=0,
                           dilation=1) -> TransposedTrace:
    """Transposed convolution of `x` (H, W) or (C_in, H, W) with `w` (kH, kW) or
    (C_in, C_out, kH, kW) (note torch's layout: input channels first). Equals
    `F.conv_transpose2d`.

    Think of it as scattering: each input cell (c_in, i, j) adds x * w[c_in] into a canvas of
    size ((H-1)s + d(k-1) + 1) with its top-left at (i*s, j*s); stamps overlap where k > s and
    add up. `padding` then crops p rows/columns from every side of that canvas (it removes
    output, the opposite of padding in an ordinary convolution), and `output_padding` adds that
    many rows/columns at the bottom/right (zeros before the bias) so that
    H_out = (H-1)s - 2p + d(k-1) + output_padding + 1, which lets a stride-s transposed layer
    undo the size of a stride-s convolution exactly. output_padding must be smaller than the
    stride or the dilation (PyTorch's rule).
    """
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"the input must have shape (H, W) or (C_in, H, W), got {x.shape}")
    if w.ndim == 2:
        w = w[None, None]
    if w.ndim != 4 or w.size == 0:
        raise ValueError(f"the kernel must have shape (kH, kW) or (C_in, C_out, kH, kW), got {w.shape}")
    if w.shape[0] != x.shape[0]:
        raise ValueError(f"the kernel has {w.shape[0]} input channels but the input has {x.shape[0]}")
    _finite(x, "input")
    _finite(w, "kernel")
    s, p = pair(stride, "stride"), pair(padding, "padding")
    op, d = pair(output_padding, "output_padding"), pair(dilation, "dilation")
    if min(s) < 1 or min(d) < 1:
        raise ValueError("stride and dilation must be at least 1")
    if min(p) < 0 or min(op) < 0:
        raise ValueError("padding and output_padding cannot be negative")
    for axis in (0, 1):
        if op[axis] >= s[axis] and op[axis] >= d[axis]:
            raise ValueError(
                f"output_padding {op[axis]} must be smaller than the stride ({s[axis]}) or the "
                f"dilation ({d[axis]}): it only picks among the sizes a stride-{s[axis]} "
                f"convolution maps to the same output")
    b = _bias(bias, w.shape[1])
    for axis, name in ((0, "height"), (1, "width")):
        n, k = x.shape[1 + axis], w.shape[2 + axis]
        out = transposed_output_size(n, k, s[axis], p[axis], op[axis], d[axis])
        if out < 1:
            raise ValueError(
                f"no output {name}: (H-1)s - 2p + d(k-1) + output_padding + 1 = ({n}-1)*{s[axis]} "
                f"- 2*{p[axis]} + {d[axis]}*({k}-1) + {op[axis]} + 1 = {out}; the padding crops "
                f"away the whole canvas")
    out = F.conv_transpose2d(torch.from_numpy(x)[None], torch.from_numpy(w),
                             None if b is None else torch.from_numpy(b), s, p, op, 1, d)
    return TransposedTrace(x, w, b, s, p, op, d, out[0].numpy().copy())


# -- signals and 1-D kernels for the 1-D page ----------------------------------------------------

def make_signal(kind: str, n: int = 48, seed: int = 0) -> np.ndarray:
    """A (n,) float32 test signal: "sine", "square", "sawtooth", "noisy mixture" or "step edge"."""
    t = np.arange(n, dtype=np.float64)
    cycles = 2.0
    if kind == "sine":
        y = np.sin(2 * np.pi * cycles * t / n)
    elif kind == "square":
        y = np.where(np.sin(2 * np.pi * cycles * t / n + 1e-9) >= 0, 1.0, -1.0)
    elif kind == "sawtooth":
        y = 2.0 * ((cycles * t / n) % 1.0) - 1.0
    elif kind == "noisy mixture":
        rng = np.random.default_rng(seed)
        y = (np.sin(2 * np.pi * 1.5 * t / n) + 0.4 * np.sin(2 * np.pi * 7 * t / n)
             + 0.25 * rng.standard_normal(n))
    elif kind == "step edge":
        y = (t >= n // 2).astype(np.float64)
    else:
        raise ValueError(f"unknown signal {kind!r}; choose one of {', '.join(SIGNALS)}")
    return y.astype(np.float32)


SIGNALS = ("sine", "square", "sawtooth", "noisy mixture", "step edge")

# name -> taps; torch does not flip kernels, so [-1, 1] gives x[t+1] - x[t].
KERNELS_1D: dict[str, list[float]] = {
    "moving average (3)": [1 / 3, 1 / 3, 1 / 3],
    "moving average (5)": [0.2] * 5,
    "Gaussian smoothing": [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16],
    "difference (derivative)": [-0.5, 0.0, 0.5],
    "edge [-1, 1]": [-1.0, 1.0],
    "second difference": [1.0, -2.0, 1.0],
    "identity": [0.0, 1.0, 0.0],
}
