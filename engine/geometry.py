"""Sizes along one axis of a convolution or pooling window: the one output-size formula.

Every page that slides a window (Convolution, 1-D, Pooling, the layer calculator) and the code
generator take their sizes from here, so the numbers on screen and in the code panel agree.

The lecture notes write the output size as ⌊(N − K + 2P) / S⌋ + 1; PyTorch's documentation
writes ⌊(N + 2P − D·(K − 1) − 1) / S⌋ + 1, which is the same thing when the dilation D is 1
(a dilated kernel of K taps spans D·(K − 1) + 1 cells).
"""
from __future__ import annotations


def pair(v, name: str = "value") -> tuple[int, int]:
    """An int or a (height, width) pair as a pair of ints."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be one number or a (height, width) pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def kernel_span(k: int, dilation: int = 1) -> int:
    """The cells a kernel of `k` taps covers when its taps are `dilation` apart."""
    return int(dilation) * (int(k) - 1) + 1


def check_window(k: int, stride: int, padding: int, dilation: int = 1) -> None:
    """ValueError, in words a student reads, when a window setting is impossible."""
    if k < 1:
        raise ValueError(f"kernel size must be at least 1, got {k}")
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}: the window has to move")
    if padding < 0:
        raise ValueError(f"padding cannot be negative, got {padding}")
    if dilation < 1:
        raise ValueError(f"dilation must be at least 1, got {dilation}")


def raw_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """⌊(n + 2p − d(k−1) − 1) / s⌋ + 1 as it comes out (zero or negative when nothing fits)."""
    return (int(n) + 2 * int(padding) - kernel_span(k, dilation)) // int(stride) + 1


def output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                axis: str = "") -> int:
    """⌊(n + 2p − d(k−1) − 1) / s⌋ + 1, i.e. ⌊(n − k + 2p) / s⌋ + 1 when d = 1.

    Raises ValueError (saying why, in the formula's terms) when there is no output: the dilated
    kernel d(k−1)+1 does not fit in the padded input n + 2p. `axis` ("height", "width") only
    goes into the message.
    """
    n, k, s, p, d = int(n), int(k), int(stride), int(padding), int(dilation)
    check_window(k, s, p, d)
    where = f" {axis}" if axis else ""
    if n < 1:
        raise ValueError(f"the input{where} is empty ({n}): no output")
    span = kernel_span(k, d)
    if span > n + 2 * p:
        dilated = f" (dilated to {span})" if d > 1 else ""
        raise ValueError(f"kernel{where} {k}{dilated} is larger than the padded input "
                         f"{n} + 2·{p} = {n + 2 * p}: no output")
    return raw_output_size(n, k, s, p, d)


def output_size_formula(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                        name: str = "H") -> str:
    """The notes' formula with the numbers filled in, e.g. "H_out = ⌊(5 − 3 + 2·1) / 2⌋ + 1 = 3";
    with a dilation above 1 the kernel's span d·(k−1)+1 takes K's place and the text says so.
    Ends in "→ no output" when the kernel does not fit."""
    if int(dilation) == 1:
        text = f"{name}_out = ⌊({n} − {k} + 2·{padding}) / {stride}⌋ + 1"
    else:
        span = kernel_span(k, dilation)
        text = (f"{name}_out = ⌊({n} − {span} + 2·{padding}) / {stride}⌋ + 1"
                f"   (dilated kernel: {dilation}·({k}−1)+1 = {span})")
    try:
        return f"{text} = {output_size(n, k, stride, padding, dilation)}"
    except ValueError:
        return f"{text} → no output"


def transposed_output_size(n: int, k: int, stride: int = 1, padding: int = 0,
                           output_padding: int = 0, dilation: int = 1) -> int:
    """(n − 1)·s − 2p + d(k − 1) + output_padding + 1, as `nn.ConvTranspose2d` computes it."""
    return ((int(n) - 1) * int(stride) - 2 * int(padding) + int(dilation) * (int(k) - 1)
            + int(output_padding) + 1)
