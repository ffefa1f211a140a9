"""The whole network for one input: every layer's output, what feeds a unit, and its arithmetic.

    trace = network_trace(model, x)        # x: (C, H, W) or (1, C, H, W)
    trace.layers[k].name, .kind, .output   # one entry per leaf module, in the order they ran
    trace.logits, trace.probs              # (n_classes,), equal to model(x) and its softmax
    input_window(trace, "features.3", (2, 5, 5))   # which cells of the layer below feed it
    explain_unit(model, x, "features.0", (0, 4, 7)) # inputs, weights, bias: Σ inputs·weights + b

The softmax with a temperature is in engine.softmax, the dying-ReLU measurements in
engine.dying_relu. Everything handed out is numpy (batch dimension dropped); the model's
train/eval mode is left as it was found.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.geometry import pair

# Leaf modules whose output element k depends on input element k alone (in eval mode).
ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.ReLU6,
               nn.Softplus, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Dropout2d,
               nn.Identity)
# The activations explain_unit names after a conv or linear layer ("ReLU(value) = ...").
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)


# -- the trace -----------------------------------------------------------------------------------
@dataclass
class LayerTrace:
    name: str                      # qualified module name, e.g. "features.0" ("" for a bare leaf)
    kind: str                      # class name, e.g. "Conv2d"
    output: np.ndarray             # this layer's output for the one input, batch dimension dropped
    output_shape: tuple            # output.shape, e.g. (6, 28, 28)
    input_shape: tuple             # shape of what came in, batch dimension dropped
    params: int                    # parameters of this layer alone
    kernel_size: tuple | None = None   # (kH, kW) for Conv2d / MaxPool2d / AvgPool2d, else None
    stride: tuple | None = None        # (sH, sW) for those layers
    padding: tuple | None = None       # (pH, pW) for those layers (a "same" conv: its top/left pad)
    dilation: tuple | None = None      # (dH, dW) for those layers (1, 1 for AvgPool2d)
    groups: int = 1                    # Conv2d's groups (its channels see C_in / groups inputs)


@dataclass
class NetworkTrace:
    input: np.ndarray              # the input the trace ran on, (C, H, W)
    layers: list[LayerTrace]       # one per leaf module, in the order the forward pass ran them
    logits: np.ndarray             # (n_classes,), model(x)
    probs: np.ndarray              # (n_classes,), softmax of the logits

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def layer(self, name: str) -> LayerTrace:
        """The entry of the layer called `name`; ValueError naming the layers there are."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"there is no layer {name!r} in this network; its layers are "
                         f"{', '.join(self.names)}")

    def position(self, name: str) -> int:
        return self.names.index(self.layer(name).name)


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(qualified name, module) of every module without children, in registration order."""
    return [(name, m) for name, m in model.named_modules() if not list(m.children())]


@contextmanager
def evaluating(model: nn.Module):
    """Eval mode and no autograd for the duration, the model's own mode restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _as_batch(model: nn.Module, x) -> torch.Tensor:
    """(1, C, H, W) float tensor on the model's device from (C, H, W) or (1, C, H, W)."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32) if not isinstance(x, torch.Tensor) else x)
    if t.ndim == 3:
        t = t.unsqueeze(0)
    if t.ndim != 4 or t.shape[0] != 1:
        raise ValueError(f"the input must be one image, (C, H, W) or (1, C, H, W); got shape "
                         f"{tuple(t.shape)}")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return t.to(device=device, dtype=torch.float32)


def _conv_padding(module: nn.Conv2d) -> tuple[int, int]:
    """(top, left) zero padding; a "same" conv pads d(k−1) in total, the smaller half first."""
    if isinstance(module.padding, str):
        if module.padding == "valid":
            return 0, 0
        return tuple(d * (k - 1) // 2 for k, d in zip(module.kernel_size, module.dilation))
    return pair(module.padding)


def _geometry(module: nn.Module) -> dict:
    if isinstance(module, nn.Conv2d):
        return {"kernel_size": pair(module.kernel_size), "stride": pair(module.stride),
                "padding": _conv_padding(module), "dilation": pair(module.dilation),
                "groups": int(module.groups)}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        stride = module.stride if module.stride is not None else module.kernel_size
        dilation = module.dilation if isinstance(module, nn.MaxPool2d) else 1
        return {"kernel_size": pair(module.kernel_size), "stride": pair(stride),
                "padding": pair(module.padding), "dilation": pair(dilation)}
    return {}


def _run_with_hooks(model: nn.Module, batch: torch.Tensor):
    """(logits, [(name, module, input, output)] in the order the leaves ran)."""
    ran: list[tuple[str, nn.Module, torch.Tensor, torch.Tensor]] = []
    hooks = []
    for name, module in leaf_modules(model):
        def hook(mod, inputs, output, name=name):
            first = inputs[0] if inputs and isinstance(inputs[0], torch.Tensor) else None
            if isinstance(output, torch.Tensor):
                # copies: an in-place ReLU after this layer would overwrite its output
                ran.append((name, mod, None if first is None else first.detach().clone(),
                            output.detach().clone()))
        hooks.append(module.register_forward_hook(hook))
    try:
        with evaluating(model):
            logits = model(batch)
    except torch.OutOfMemoryError:
        raise
    except RuntimeError as exc:  # a shape mismatch inside the model: say which input it was
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"this model cannot take an input of shape {tuple(batch.shape[1:])}: "
                         f"{first}") from exc
    finally:
        for h in hooks:
            h.remove()
    return logits, ran


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _entries(ran, with_outputs: bool = True) -> list[LayerTrace]:
    return [LayerTrace(name, type(module).__name__,
                       _numpy(out[0]) if with_outputs else np.empty(0), tuple(out.shape[1:]),
                       tuple(inp.shape[1:]) if inp is not None else (),
                       sum(p.numel() for p in module.parameters(recurse=False)),
                       **_geometry(module))
            for name, module, inp, out in ran]


def network_trace(model: nn.Module, x) -> NetworkTrace:
    """Every leaf layer's output for one input `x` ((C, H, W) or (1, C, H, W)), in eval mode."""
    batch = _as_batch(model, x)
    logits, ran = _run_with_hooks(model, batch)
    if logits.ndim != 2 or logits.shape[0] != 1:
        raise ValueError(f"the model's output has shape {tuple(logits.shape)}; a classifier "
                         "gives (1, n_classes)")
    z = logits[0].detach().cpu().double()
    return NetworkTrace(_numpy(batch[0]), _entries(ran), _numpy(logits[0]),
                        torch.softmax(z, 0).numpy().astype(np.float32))


# -- what feeds a unit ---------------------------------------------------------------------------
@dataclass
class UnitWindow:
    layer: str                     # the unit's layer
    index: tuple                   # the unit's index in that layer's output (no batch)
    source: str                    # the layer below ("input" for the network's input)
    source_shape: tuple            # shape of the layer below's output
    kind: str                      # "window" (conv/pool), "vector" (linear), "same" (elementwise)
    channels: tuple = ()           # "window": the channels of the layer below that feed the unit
    rows: tuple = ()               # "window": rows of the layer below inside the window
    cols: tuple = ()               # "window": columns of the layer below inside the window
    tap_rows: tuple = ()           # "window": every tap's row, padding included (may be < 0 or ≥ H)
    tap_cols: tuple = ()           # "window": every tap's column, padding included
    source_index: tuple | None = None  # "same": the one element of the layer below (for Flatten
                                       # its (c, i, j))


def _check_index(layer: LayerTrace, index) -> tuple:
    shape = layer.output_shape
    idx = (int(index),) if np.isscalar(index) else tuple(int(v) for v in index)
    if len(idx) != len(shape) or any(not 0 <= v < n for v, n in zip(idx, shape)):
        ranges = ", ".join(f"0-{n - 1}" for n in shape)
        raise ValueError(f"{layer.name} has output shape {shape}, so a unit's index is "
                         f"{len(shape)} number(s) in {ranges}; got {idx}")
    return idx


def _window_taps(out_pos: int, k: int, s: int, p: int, d: int) -> tuple[int, ...]:
    start = out_pos * s - p  # the window's first tap, in unpadded coordinates
    return tuple(start + d * t for t in range(k))


def input_window(trace_or_model, layer: str, index, input_shape: tuple | None = None) -> UnitWindow:
    """Which cells of the previous layer's output feed unit `index` of `layer`.

    Conv2d / MaxPool2d / AvgPool2d: the (rows, cols) window (dilation and padding respected:
    `tap_rows`/`tap_cols` hold every tap, `rows`/`cols` the ones inside the map) and the channels
    (all of a conv's group; a pool's own channel). Linear: the whole vector. Elementwise layers
    (activations, batch norm, dropout) and Flatten: one element. Pass a NetworkTrace, or a model
    with `input_shape` (C, H, W)."""
    if isinstance(trace_or_model, NetworkTrace):
        trace = trace_or_model
    else:
        if input_shape is None:
            raise ValueError("input_window needs a NetworkTrace, or a model with input_shape")
        trace = network_trace(trace_or_model, np.zeros(tuple(input_shape), np.float32))
    entry = trace.layer(layer)
    idx = _check_index(entry, index)
    pos = trace.position(layer)
    source = trace.layers[pos - 1].name if pos > 0 else "input"
    source_shape = entry.input_shape
    base = {"layer": entry.name, "index": idx, "source": source, "source_shape": source_shape}
    if entry.kind == "Linear":
        return UnitWindow(kind="vector", **base)
    if entry.kind == "Flatten":
        src = np.unravel_index(idx[-1], source_shape) if len(idx) == 1 else None
        return UnitWindow(kind="same", source_index=tuple(int(v) for v in src), **base)
    if entry.kernel_size is not None and len(idx) == 3:
        c, i, j = idx
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (entry.kernel_size, entry.stride, entry.padding,
                                                  entry.dilation)
        tap_rows, tap_cols = _window_taps(i, kh, sh, ph, dh), _window_taps(j, kw, sw, pw, dw)
        h, w = source_shape[-2:]
        if entry.kind == "Conv2d":
            per_group = source_shape[0] // entry.groups
            group = c // (entry.output_shape[0] // entry.groups)
            channels = tuple(range(group * per_group, (group + 1) * per_group))
        else:
            channels = (c,)
        return UnitWindow(kind="window", channels=channels,
                          rows=tuple(r for r in tap_rows if 0 <= r < h),
                          cols=tuple(q for q in tap_cols if 0 <= q < w),
                          tap_rows=tap_rows, tap_cols=tap_cols, **base)
    if entry.output_shape == source_shape and entry.kind in {m.__name__ for m in ELEMENTWISE}:
        return UnitWindow(kind="same", source_index=idx, **base)
    raise ValueError(f"{entry.name} is a {entry.kind}; which inputs feed its units is known for "
                     "Conv2d, MaxPool2d, AvgPool2d, Linear, Flatten and elementwise layers")


# -- one unit's arithmetic -----------------------------------------------------------------------
@dataclass
class FollowingStep:
    name: str                      # the layer's name, e.g. "features.2"
    kind: str                      # "BatchNorm2d", "ReLU", ...
    value: float                   # the unit's value after this layer


@dataclass
class UnitExplanation:
    layer: str                     # the Conv2d or Linear layer's name
    kind: str                      # "Conv2d" or "Linear"
    index: tuple                   # the unit's index in the layer's output (no batch)
    inputs: np.ndarray             # conv: (C_in/groups, kH, kW) padded window (0 in the padding);
                                   # linear: (in_features,)
    weights: np.ndarray            # same shape: the filter, or the weight matrix's row
    bias: float                    # 0.0 when the layer has no bias
    value: float                   # the layer's output at `index`: Σ inputs·weights + bias
    window: UnitWindow             # where the inputs come from on the layer below
    following: list[FollowingStep] = field(default_factory=list)  # batch norm / activation after
    activation: str | None = None      # the activation that follows ("ReLU", ...), if any
    activation_value: float | None = None  # the unit's value after that activation

    @property
    def products(self) -> np.ndarray:
        return self.inputs * self.weights

    def text(self, max_terms: int = 4) -> str:
        """The arithmetic in one line, e.g. "0.5·0.2 + 0.1·(−0.3) + … (25 products) = 0.34;
        + bias 0.10 = 0.44; ReLU(0.44) = 0.44"."""
        prods = self.products.ravel()
        terms = [f"{a:.3g}·{_signed(b)}" for a, b in zip(self.inputs.ravel()[:max_terms],
                                                          self.weights.ravel()[:max_terms])]
        more = f" + … ({prods.size} products)" if prods.size > max_terms else ""
        total = float(prods.astype(np.float64).sum())
        text = f"{' + '.join(terms)}{more} = {total:.4g}; + bias {self.bias:.4g} = {self.value:.4g}"
        previous = self.value
        for step in self.following:
            text += f"; {step.kind}({previous:.4g}) = {step.value:.4g}"
            previous = step.value
        return text


def _signed(v: float) -> str:
    return f"({v:.3g})" if v < 0 else f"{v:.3g}"


def _explainable(model: nn.Module) -> list[str]:
    return [n for n, m in leaf_modules(model) if isinstance(m, (nn.Conv2d, nn.Linear))]


def _conv_inputs(module: nn.Conv2d, inp: torch.Tensor, idx: tuple) -> tuple[torch.Tensor, ...]:
    """The padded window (C_in/groups, kH, kW) and filter (same shape) behind output (c, i, j)."""
    c, i, j = idx
    (kh, kw), (sh, sw), (dh, dw) = pair(module.kernel_size), pair(module.stride), pair(module.dilation)
    top, left = _conv_padding(module)
    # total padding each side: torch pads symmetrically, a "same" conv puts the odd cell last
    bottom = top if not isinstance(module.padding, str) else dh * (kh - 1) - top
    right = left if not isinstance(module.padding, str) else dw * (kw - 1) - left
    pads = (left, right, top, bottom)
    padded = (F.pad(inp, pads) if module.padding_mode == "zeros"
              else F.pad(inp, pads, mode=module.padding_mode))   # (1, C_in, H + 2p, W + 2p)
    per_group = module.in_channels // module.groups
    group = c // (module.out_channels // module.groups)
    chans = slice(group * per_group, (group + 1) * per_group)
    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
    return padded[0, chans, rows, cols], module.weight[c]


def explain_unit(model: nn.Module, x, layer: str, index) -> UnitExplanation:
    """The numbers behind one output of a Conv2d or Linear layer for input `x`:
    `(inputs * weights).sum() + bias == value ==` the layer's output at `index` (conv: (c, i, j);
    linear: (k,) or k), plus the batch norm / activation that follows it."""
    batch = _as_batch(model, x)
    _logits, ran = _run_with_hooks(model, batch)
    names = [name for name, *_ in ran]
    if layer not in names or not isinstance(ran[names.index(layer)][1], (nn.Conv2d, nn.Linear)):
        leaves = dict(leaf_modules(model))
        what = (f"{layer!r} is a {type(leaves[layer]).__name__}, not" if layer in leaves
                else f"there is no layer {layer!r}, nor")
        raise ValueError(f"{what} a Conv2d or Linear layer; those here are "
                         f"{', '.join(_explainable(model)) or 'none'}")
    trace = NetworkTrace(np.empty(0), _entries(ran, with_outputs=False), np.empty(0), np.empty(0))
    pos = names.index(layer)
    _, module, inp, out = ran[pos]
    idx = _check_index(trace.layers[pos], index)
    conv = isinstance(module, nn.Conv2d)
    with torch.no_grad():
        if conv:
            inputs, weights = _conv_inputs(module, inp, idx)
        else:  # a Linear on (..., in_features): unit (..., k) reads the row k of W
            inputs, weights = inp[(0, *idx[:-1])], module.weight[idx[-1]]
        bias = float(module.bias[idx[0] if conv else idx[-1]]) if module.bias is not None else 0.0
    following: list[FollowingStep] = []
    activation = activation_value = None
    for name, mod, _inp, later in ran[pos + 1:]:
        if not isinstance(mod, ELEMENTWISE) or later.shape != out.shape:
            break
        following.append(FollowingStep(name, type(mod).__name__, float(later[(0, *idx)])))
        if isinstance(mod, ACTIVATIONS):
            activation, activation_value = type(mod).__name__, following[-1].value
            break
    return UnitExplanation(layer, type(module).__name__, idx, _numpy(inputs), _numpy(weights),
                           bias, float(out[(0, *idx)]), input_window(trace, layer, idx),
                           following, activation, activation_value)

