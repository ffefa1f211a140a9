"""Equivalent PyTorch code for what a page shows, plus the shape of the tensor it produces.

Each function returns a short, runnable snippet (a string) that builds the layer with the page's
current settings and applies it to an input of the same shape, ending with a comment giving the
output shape, e.g. `# -> torch.Size([1, 2, 3, 3])`. Arguments left at PyTorch's defaults are
omitted, so the code reads like what a student would write.
"""
from __future__ import annotations


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _arg(v):
    """An int when both directions agree (`3`), else a tuple (`(3, 2)`)."""
    a, b = _pair(v)
    return a if a == b else (a, b)


def _out(n: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _out_transposed(n: int, k: int, s: int, p: int, op: int = 0, d: int = 1) -> int:
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def _shape_text(shape: tuple[int, ...]) -> str:
    return "torch.Size([" + ", ".join(str(int(v)) for v in shape) + "])"


def _kwargs(items: list[tuple[str, object, object]]) -> str:
    """`name=value` for each (name, value, default) whose value differs from the default."""
    return ", ".join(f"{n}={v!r}" for n, v, d in items if d is None or v != d)


def conv2d_output_shape(in_shape: tuple[int, int, int], out_channels: int, kernel_size,
                        stride=1, padding=0, dilation=1) -> tuple[int, int, int, int]:
    """(1, C_out, H_out, W_out) for an input of shape (C_in, H, W); sizes may be < 1."""
    _c, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (kernel_size, stride, padding, dilation))
    return (1, out_channels, _out(h, kh, sh, ph, dh), _out(w, kw, sw, pw, dw))


def conv2d_code(in_shape: tuple[int, int, int], out_channels: int, kernel_size, stride=1,
                padding=0, dilation=1, bias: bool = True, activation: str | None = None,
                slope: float = 0.01) -> str:
    """`nn.Conv2d(...)` for an input (C_in, H, W), applied to a batch of one, with the output
    shape; `activation` ("relu", "leaky_relu", "sigmoid", "tanh" or None) adds that layer."""
    c_in, h, w = in_shape
    args = _kwargs([("in_channels", int(c_in), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", _arg(kernel_size), None), ("stride", _arg(stride), 1),
                    ("padding", _arg(padding), 0), ("dilation", _arg(dilation), 1),
                    ("bias", bool(bias), True)])
    shape = conv2d_output_shape(in_shape, out_channels, kernel_size, stride, padding, dilation)
    lines = ["import torch", "from torch import nn", "",
             f"conv = nn.Conv2d({args})",
             f"x = torch.rand(1, {c_in}, {h}, {w})  # (batch, channels, height, width)",
             "y = conv(x)"]
    act = activation_code(activation, slope)
    if act:
        lines.append(f"y = {act}(y)")
    lines.append(f"print(y.shape)  # -> {_shape_text(shape)}")
    return "\n".join(lines) + "\n"


def activation_code(name: str | None, slope: float = 0.01) -> str:
    """The `nn` module for an activation name, e.g. "nn.LeakyReLU(negative_slope=0.1)"."""
    if not name or name == "none":
        return ""
    return {"relu": "nn.ReLU()", "leaky_relu": f"nn.LeakyReLU(negative_slope={slope:g})",
            "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()"}[name]


def pool2d_code(mode: str, kernel, stride=None, padding=0,
                in_shape: tuple[int, int, int] = (1, 4, 4)) -> str:
    """`nn.MaxPool2d(...)` or `nn.AvgPool2d(...)` (mode "max"/"avg") on an input (C, H, W)."""
    c, h, w = in_shape
    stride = kernel if stride is None else stride
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
    cls = {"max": "MaxPool2d", "avg": "AvgPool2d"}[mode]
    args = _kwargs([("kernel_size", _arg(kernel), None), ("stride", _arg(stride), _arg(kernel)),
                    ("padding", _arg(padding), 0)])
    shape = (1, c, _out(h, kh, sh, ph), _out(w, kw, sw, pw))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"pool = nn.{cls}({args})",
        f"x = torch.rand(1, {c}, {h}, {w})  # (batch, channels, height, width)",
        "y = pool(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"


def conv1d_code(in_channels: int, out_channels: int, length: int, kernel_size: int, stride: int = 1,
                padding: int = 0, dilation: int = 1, bias: bool = True) -> str:
    """`nn.Conv1d(...)` on a signal of shape (C_in, L), with the output shape."""
    args = _kwargs([("in_channels", int(in_channels), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", int(kernel_size), None), ("stride", int(stride), 1),
                    ("padding", int(padding), 0), ("dilation", int(dilation), 1),
                    ("bias", bool(bias), True)])
    shape = (1, out_channels, _out(length, kernel_size, stride, padding, dilation))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"conv = nn.Conv1d({args})",
        f"x = torch.rand(1, {in_channels}, {length})  # (batch, channels, length)",
        "y = conv(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"


def conv_transpose2d_code(in_shape: tuple[int, int, int], out_channels: int, kernel_size,
                          stride=1, padding=0, output_padding=0, dilation=1,
                          bias: bool = True) -> str:
    """`nn.ConvTranspose2d(...)` on an input (C_in, H, W), with the output shape
    H_out = (H - 1)·s - 2p + d·(k - 1) + output_padding + 1."""
    c_in, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(padding)
    (oph, opw), (dh, dw) = _pair(output_padding), _pair(dilation)
    args = _kwargs([("in_channels", int(c_in), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", _arg(kernel_size), None), ("stride", _arg(stride), 1),
                    ("padding", _arg(padding), 0), ("output_padding", _arg(output_padding), 0),
                    ("dilation", _arg(dilation), 1), ("bias", bool(bias), True)])
    shape = (1, out_channels, _out_transposed(h, kh, sh, ph, oph, dh),
             _out_transposed(w, kw, sw, pw, opw, dw))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"up = nn.ConvTranspose2d({args})",
        f"x = torch.rand(1, {c_in}, {h}, {w})  # (batch, channels, height, width)",
        "y = up(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"
