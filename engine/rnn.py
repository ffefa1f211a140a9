"""Step-by-step traces of torch's recurrent layers (nn.RNN, nn.LSTM, nn.GRU), and their code.

`rnn_trace`, `lstm_trace` and `gru_trace` recompute the recurrence one time step at a time from
the module's own weights (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_*`, `_reverse` for the
backward direction) and keep every intermediate value, so a page can show the gates of unit j at
token t. Gate order is torch's: LSTM rows of W are [i, f, g, o], GRU rows are [r, z, n], and the
GRU candidate is n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).

Every per-step array has shape (num_layers, num_directions, T, hidden_size), indexed by the
token's position in the sentence (the backward direction too). `.output` is (T, D * hidden) and
equals what the module returns for the sequence as a batch of one (eval mode: no inter-layer
dropout). `lstm_trace(..., clamp={"f": 1.0}, clamp_from=t)` forces a gate's value from position t
on; then `.output` intentionally differs from the module's.

Speed: W_ih x for all t is one matmul per layer and direction; each step is one matrix-vector
product plus a few element-wise numpy ops written straight into preallocated buffers (numpy's
per-op overhead is a fraction of torch's on vectors this small); float32 like the module.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.special import expit
from torch import nn

LSTM_GATES = ("i", "f", "g", "o")  # row blocks of weight_ih / weight_hh, in torch's order
GRU_GATES = ("r", "z", "n")


# -- trace objects ---------------------------------------------------------------------------

@dataclass
class _Trace:
    x: np.ndarray              # (T, input_size) the sequence fed to layer 0
    h: np.ndarray              # (L, D, T, H) hidden state after each token
    h0: np.ndarray             # (L, D, H) initial hidden state
    output: np.ndarray         # (T, D*H) last layer's h, directions concatenated
    h_n: np.ndarray            # (L*D, H) final hidden states, torch's layout
    layer_inputs: list = field(default_factory=list)  # per layer: (T, in_k) input of layer k

    @property
    def num_layers(self) -> int:
        return self.h.shape[0]

    @property
    def num_directions(self) -> int:
        return self.h.shape[1]

    @property
    def steps(self) -> int:
        return self.h.shape[2]

    @property
    def hidden_size(self) -> int:
        return self.h.shape[3]

    def gate(self, name: str) -> np.ndarray:
        """The (L, D, T, H) array called `name` ("h", "c", "f", ...)."""
        return getattr(self, name)


@dataclass
class RNNTrace(_Trace):
    pre_x: np.ndarray = None   # (L, D, T, H) W_ih x_t + b_ih
    pre_h: np.ndarray = None   # (L, D, T, H) W_hh h_{t-1} + b_hh
    nonlinearity: str = "tanh"  # "tanh" or "relu"
    kind = "rnn"
    names = ("h",)             # arrays a page shows as heatmaps, in display order


@dataclass
class LSTMTrace(_Trace):
    i: np.ndarray = None       # (L, D, T, H) input gate
    f: np.ndarray = None       # (L, D, T, H) forget gate
    g: np.ndarray = None       # (L, D, T, H) candidate (tanh)
    o: np.ndarray = None       # (L, D, T, H) output gate
    c: np.ndarray = None       # (L, D, T, H) cell state
    c0: np.ndarray = None      # (L, D, H) initial cell state
    c_n: np.ndarray = None     # (L*D, H) final cell states, torch's layout
    clamp: dict = field(default_factory=dict)  # gate -> forced value ({} when none)
    clamp_from: int = 0        # first position where the clamp applies
    kind = "lstm"
    names = ("f", "i", "g", "o", "c", "h")


@dataclass
class GRUTrace(_Trace):
    r: np.ndarray = None       # (L, D, T, H) reset gate
    z: np.ndarray = None       # (L, D, T, H) update gate (1 keeps the old h)
    n: np.ndarray = None       # (L, D, T, H) candidate (tanh)
    kind = "gru"
    names = ("r", "z", "n", "h")


# -- helpers ---------------------------------------------------------------------------------

_blas = None  # threadpoolctl controller, made on first use


def _one_blas_thread():
    """Keep BLAS to one thread during a trace.

    A (4H, H) x (H,) product is far too small to share; OpenBLAS doing so anyway costs 20-40x
    on a busy 2-core machine (measured: 1 ms vs 27 ms for a 50-token LSTM-128 trace).
    """
    global _blas
    try:
        if _blas is None:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController()
        return _blas.limit(limits=1, user_api="blas")
    except Exception:  # threadpoolctl missing or confused: correct, only slower
        return contextlib.nullcontext()


def _np_dtype(module: nn.RNNBase):
    return np.float64 if module.weight_ih_l0.dtype == torch.float64 else np.float32


def _as_sequence(x, dtype) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.ascontiguousarray(x, dtype=dtype)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (T, input_size), got {x.shape}")
    return x


def _initial(state, layers: int, dirs: int, hidden: int, dtype) -> np.ndarray:
    """An initial state given as (L*D, H), (L*D, 1, H) or (L, D, H), as (L, D, H); zeros if None."""
    if state is None:
        return np.zeros((layers, dirs, hidden), dtype)
    if isinstance(state, torch.Tensor):
        state = state.detach().cpu().numpy()
    s = np.asarray(state, dtype=dtype)
    if s.size != layers * dirs * hidden:
        raise ValueError(f"initial state needs {layers * dirs} x {hidden} values, got {s.shape}")
    return s.reshape(layers, dirs, hidden).copy()


def _weights(module: nn.RNNBase, layer: int, reverse: bool, dtype):
    """(W_ih, W_hh, b_ih, b_hh) of one layer and direction as numpy (zeros for absent biases)."""
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(module, "weight_ih" + sfx).detach().cpu().numpy().astype(dtype, copy=False)
    w_hh = getattr(module, "weight_hh" + sfx).detach().cpu().numpy().astype(dtype, copy=False)
    biases = []
    for name in ("bias_ih", "bias_hh"):
        p = getattr(module, name + sfx, None)
        biases.append(np.zeros(w_ih.shape[0], dtype) if p is None
                      else p.detach().cpu().numpy().astype(dtype, copy=False))
    return w_ih, w_hh, biases[0], biases[1]


def _check(module, cls, what):
    if not isinstance(module, cls):
        raise TypeError(f"{what} needs an nn.{cls.__name__}, got {type(module).__name__}")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size are not traced")


def _sizes(module, x):
    return module.num_layers, 2 if module.bidirectional else 1, module.hidden_size, x.shape[0]


def _positions(T: int, reverse: bool):
    return range(T - 1, -1, -1) if reverse else range(T)


def _sigmoid(x, out):
    return expit(x, out=out)


def _finish(trace_cls, x, layer_inputs, arrays, h0, **extra):
    """Assemble output (last layer, directions side by side) and h_n in torch's layout."""
    h = arrays["h"]
    D = h.shape[1]
    output = np.concatenate([h[-1, d] for d in range(D)], axis=1)
    return trace_cls(x=x, output=output, h_n=_final(h, h0), h0=h0, layer_inputs=layer_inputs,
                     **arrays, **extra)


def _final(seq: np.ndarray, init: np.ndarray) -> np.ndarray:
    """(L*D, H) state after the whole sequence: forward at T-1, backward at position 0."""
    L, D, T, H = seq.shape
    if T == 0:
        return init.reshape(L * D, H).copy()
    out = np.empty((L, D, H), seq.dtype)
    for d in range(D):
        out[:, d] = seq[:, d, 0 if d == 1 else T - 1]
    return out.reshape(L * D, H)


# -- traces ----------------------------------------------------------------------------------

def rnn_trace(module: nn.RNN, x, h0=None) -> RNNTrace:
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) for every layer, direction and step."""
    _check(module, nn.RNN, "rnn_trace")
    dtype = _np_dtype(module)
    x = _as_sequence(x, dtype)
    L, D, H, T = _sizes(module, x)
    relu = module.nonlinearity == "relu"
    h0 = _initial(h0, L, D, H, dtype)
    hs, pxs, phs = (np.zeros((L, D, T, H), dtype) for _ in range(3))
    layer_in, layer_inputs = x, []
    with _one_blas_thread():
        for k in range(L):
            layer_inputs.append(layer_in)
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = _weights(module, k, d == 1, dtype)
                px, ph, hseq = pxs[k, d], phs[k, d], hs[k, d]
                np.matmul(layer_in, w_ih.T, out=px)   # (T, H) all input terms in one matmul
                px += b_ih
                h = h0[k, d]
                for t in _positions(T, d == 1):
                    np.dot(w_hh, h, out=ph[t])
                    ph[t] += b_hh                     # W_hh h_{t-1} + b_hh
                    h = np.add(px[t], ph[t], out=hseq[t])
                    if relu:
                        np.maximum(h, 0, out=h)
                    else:
                        np.tanh(h, out=h)
            layer_in = np.concatenate([hs[k, d] for d in range(D)], axis=1)
    return _finish(RNNTrace, x, layer_inputs, {"h": hs}, h0, pre_x=pxs, pre_h=phs,
                   nonlinearity=module.nonlinearity)


def lstm_trace(module: nn.LSTM, x, h0=None, c0=None, clamp: dict | None = None,
               clamp_from: int = 0, clamp_units=None) -> LSTMTrace:
    """i, f, g, o, c, h of every layer, direction and step.

    `clamp` maps gate names ("i", "f", "g", "o") to a value forced at every position >= clamp_from
    (all layers and directions; only the units `clamp_units` if given): an intervention, so the
    trace's output is then no longer the module's.
    """
    _check(module, nn.LSTM, "lstm_trace")
    clamp = {k: float(v) for k, v in (clamp or {}).items()}
    bad = set(clamp) - set(LSTM_GATES)
    if bad:
        raise ValueError(f"unknown LSTM gate(s) {sorted(bad)}; use i, f, g, o")
    dtype = _np_dtype(module)
    x = _as_sequence(x, dtype)
    L, D, H, T = _sizes(module, x)
    h0, c0 = _initial(h0, L, D, H, dtype), _initial(c0, L, D, H, dtype)
    acts = np.zeros((L, D, T, 4 * H), dtype)          # [i f g o] after their nonlinearities
    cs = np.zeros((L, D, T, H), dtype)
    hs = np.zeros((L, D, T, H), dtype)
    units = np.arange(H) if clamp_units is None else np.asarray(clamp_units, dtype=np.int64)
    # (row indices into the 4H block, value), applied after the nonlinearity.
    forced = [(LSTM_GATES.index(n) * H + units, v) for n, v in clamp.items()]
    pre = np.empty(4 * H, dtype)
    tmp = np.empty(H, dtype)
    i_, f_, g_, o_ = (slice(j * H, (j + 1) * H) for j in range(4))
    layer_in, layer_inputs = x, []
    with _one_blas_thread():
        for k in range(L):
            layer_inputs.append(layer_in)
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = _weights(module, k, d == 1, dtype)
                xw = layer_in @ w_ih.T                # (T, 4H) all input terms in one matmul
                xw += b_ih + b_hh
                a_seq, c_seq, h_seq = acts[k, d], cs[k, d], hs[k, d]
                h, c = h0[k, d], c0[k, d]
                for t in _positions(T, d == 1):
                    np.dot(w_hh, h, out=pre)
                    pre += xw[t]                      # (4H,) pre-activations
                    a = _sigmoid(pre, a_seq[t])
                    np.tanh(pre[g_], out=a[g_])
                    if forced and t >= clamp_from:
                        for rows, value in forced:
                            a[rows] = value
                    c_new = np.multiply(a[f_], c, out=c_seq[t])
                    np.multiply(a[i_], a[g_], out=tmp)
                    c_new += tmp                      # c = f * c + i * g
                    np.tanh(c_new, out=tmp)
                    h = np.multiply(a[o_], tmp, out=h_seq[t])
                    c = c_new
            layer_in = np.concatenate([hs[k, d] for d in range(D)], axis=1)
    gates = {n: np.ascontiguousarray(acts[..., j * H:(j + 1) * H]) for j, n in enumerate(LSTM_GATES)}
    return _finish(LSTMTrace, x, layer_inputs, {"h": hs, "c": cs, **gates}, h0,
                   c0=c0, c_n=_final(cs, c0), clamp=clamp, clamp_from=int(clamp_from))


def gru_trace(module: nn.GRU, x, h0=None) -> GRUTrace:
    """r, z, n, h of every layer, direction and step; h_t = (1 - z) * n + z * h_{t-1}."""
    _check(module, nn.GRU, "gru_trace")
    dtype = _np_dtype(module)
    x = _as_sequence(x, dtype)
    L, D, H, T = _sizes(module, x)
    h0 = _initial(h0, L, D, H, dtype)
    rz = np.zeros((L, D, T, 2 * H), dtype)
    ns = np.zeros((L, D, T, H), dtype)
    hs = np.zeros((L, D, T, H), dtype)
    hw = np.empty(3 * H, dtype)
    pre = np.empty(2 * H, dtype)
    tmp = np.empty(H, dtype)
    layer_in, layer_inputs = x, []
    with _one_blas_thread():
        for k in range(L):
            layer_inputs.append(layer_in)
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = _weights(module, k, d == 1, dtype)
                xw = layer_in @ w_ih.T                # (T, 3H)
                xw += b_ih
                rz_seq, n_seq, h_seq = rz[k, d], ns[k, d], hs[k, d]
                h = h0[k, d]
                for t in _positions(T, d == 1):
                    np.dot(w_hh, h, out=hw)
                    hw += b_hh                        # (3H,) W_hh h + b_hh
                    np.add(xw[t, :2 * H], hw[:2 * H], out=pre)
                    a = _sigmoid(pre, rz_seq[t])      # [r z]
                    n = np.multiply(a[:H], hw[2 * H:], out=n_seq[t])
                    n += xw[t, 2 * H:]
                    np.tanh(n, out=n)                 # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
                    np.subtract(h, n, out=tmp)
                    tmp *= a[H:]
                    h = np.add(n, tmp, out=h_seq[t])  # n + z * (h - n)
            layer_in = np.concatenate([hs[k, d] for d in range(D)], axis=1)
    return _finish(GRUTrace, x, layer_inputs,
                   {"h": hs, "r": np.ascontiguousarray(rz[..., :H]),
                    "z": np.ascontiguousarray(rz[..., H:]), "n": ns}, h0)


def trace_module(module: nn.Module, x, **kwargs):
    """The trace matching the module's type (RNN, LSTM or GRU)."""
    if isinstance(module, nn.LSTM):
        return lstm_trace(module, x, **kwargs)
    if isinstance(module, nn.GRU):
        return gru_trace(module, x, **kwargs)
    if isinstance(module, nn.RNN):
        return rnn_trace(module, x, **kwargs)
    raise TypeError(f"not a recurrent layer: {type(module).__name__}")


# -- code and shapes -------------------------------------------------------------------------

CELL_CLASSES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def rnn_shapes(cell: str = "lstm", input_size: int = 8, hidden_size: int = 16, num_layers: int = 1,
               bidirectional: bool = False, batch: int = 1, seq_len: int = 10,
               batch_first: bool = True) -> dict[str, tuple[int, ...]]:
    """Shapes of input, output, h_n (and c_n for the LSTM) as torch reports them, by running it."""
    cls = getattr(nn, CELL_CLASSES[cell])
    module = cls(input_size, hidden_size, num_layers=num_layers, batch_first=batch_first,
                 bidirectional=bidirectional)
    x = torch.zeros((batch, seq_len, input_size) if batch_first else (seq_len, batch, input_size))
    with torch.no_grad():
        out, state = module(x)
    shapes = {"input": tuple(x.shape), "output": tuple(out.shape)}
    if cell == "lstm":
        shapes["h_n"], shapes["c_n"] = tuple(state[0].shape), tuple(state[1].shape)
    else:
        shapes["h_n"] = tuple(state.shape)
    return shapes


def rnn_code(cell: str = "lstm", input_size: int = 8, hidden_size: int = 16, num_layers: int = 1,
             bidirectional: bool = False, batch: int = 1, seq_len: int = 10,
             batch_first: bool = True, nonlinearity: str = "tanh",
             shapes: dict[str, tuple[int, ...]] | None = None) -> str:
    """The equivalent PyTorch code, with the tensor shapes torch reports as comments (`shapes`:
    what `rnn_shapes` returned for the same settings, if the caller has it already)."""
    if cell not in CELL_CLASSES:
        raise ValueError(f"cell must be one of {sorted(CELL_CLASSES)}, got {cell!r}")
    s = shapes or rnn_shapes(cell, input_size, hidden_size, num_layers, bidirectional, batch,
                             seq_len, batch_first)
    extra = f", nonlinearity={nonlinearity!r}" if cell == "rnn" and nonlinearity != "tanh" else ""
    layout = "(batch, seq_len, features)" if batch_first else "(seq_len, batch, features)"
    lines = [
        "import torch",
        "from torch import nn",
        "",
        f"{cell} = nn.{CELL_CLASSES[cell]}(input_size={input_size}, hidden_size={hidden_size}, "
        f"num_layers={num_layers}, batch_first={batch_first}, bidirectional={bidirectional}{extra})",
        f"x = torch.randn{s['input']}  # {layout}",
    ]
    if cell == "lstm":
        lines += [f"output, (h_n, c_n) = {cell}(x)",
                  f"# output: {s['output']}  (batch, seq_len, directions*hidden)" if batch_first
                  else f"# output: {s['output']}  (seq_len, batch, directions*hidden)",
                  f"# h_n:    {s['h_n']}  (layers*directions, batch, hidden)",
                  f"# c_n:    {s['c_n']}  (layers*directions, batch, hidden)"]
    else:
        lines += [f"output, h_n = {cell}(x)",
                  f"# output: {s['output']}  (batch, seq_len, directions*hidden)" if batch_first
                  else f"# output: {s['output']}  (seq_len, batch, directions*hidden)",
                  f"# h_n:    {s['h_n']}  (layers*directions, batch, hidden)"]
    return "\n".join(lines) + "\n"
