"""The gate equations of one hidden unit at one token, with the real numbers (LSTM, GRU, RNN).

The Gates page writes each equation out for the selected unit:

    LSTM (torch's rows [i, f, g, o])      GRU (rows [r, z, n])
    i = σ(W_ii x + b_ii + W_hi h₋₁ + b_hi)  r = σ(W_ir x + b_ir + W_hr h₋₁ + b_hr)
    f = σ(W_if x + b_if + W_hf h₋₁ + b_hf)  z = σ(W_iz x + b_iz + W_hz h₋₁ + b_hz)
    g = tanh(W_ig x + … )                   n = tanh(W_in x + b_in + r ⊙ (W_hn h₋₁ + b_hn))
    o = σ(W_io x + … )                      h = (1 − z) ⊙ n + z ⊙ h₋₁
    c = f ⊙ c₋₁ + i ⊙ g
    h = o ⊙ tanh(c)

Each gate's pre-activation is computed here from the module's own weights and the trace's
inputs and previous state, and its value is read from the trace (so a clamped gate shows the
value it was forced to, marked as clamped). Plain RNN: h = tanh(W_ih x + b_ih + W_hh h₋₁ + b_hh).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

LSTM_ROWS = {"i": 0, "f": 1, "g": 2, "o": 3}
GRU_ROWS = {"r": 0, "z": 1, "n": 2}


@dataclass
class GateTerm:
    name: str                 # "f", "i", "g", "o", "r", "z", "n" or "h" (plain RNN)
    activation: str           # "σ", "tanh" or "relu"
    from_input: float         # W_i· x_t + b_i· for this unit
    from_state: float         # W_h· h_{t-1} + b_h· (GRU's n: r ⊙ (W_hn h + b_hn))
    value: float              # the gate's value in the trace
    clamped: bool = False     # forced to `value` by an intervention

    @property
    def pre(self) -> float:
        """The pre-activation, the sum the activation is applied to."""
        return self.from_input + self.from_state


@dataclass
class UnitEquations:
    kind: str                 # "lstm", "gru" or "rnn"
    token: int                # 0-based position
    unit: int
    gates: list[GateTerm]     # in the order the equations are written
    h_prev: float             # h_{t-1} of this unit (0 at the first token, or h0)
    h: float
    c_prev: float | None = None   # LSTM only
    c: float | None = None
    tanh_c: float | None = None


def _weights(module: nn.RNNBase, layer: int, reverse: bool):
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(module, "weight_ih" + suffix).detach().double().numpy()
    w_hh = getattr(module, "weight_hh" + suffix).detach().double().numpy()
    hidden = w_hh.shape[1]
    zero = np.zeros(w_ih.shape[0])
    b_ih = getattr(module, "bias_ih" + suffix, None)
    b_hh = getattr(module, "bias_hh" + suffix, None)
    b_ih = zero if b_ih is None else b_ih.detach().double().numpy()
    b_hh = zero if b_hh is None else b_hh.detach().double().numpy()
    return w_ih, w_hh, b_ih, b_hh, hidden


def unit_equations(module: nn.RNNBase, trace, t: int, unit: int, layer: int = 0,
                   direction: int = 0) -> UnitEquations:
    """The equations of `unit` at token `t` for a trace of `module` (engine.rnn)."""
    steps, hidden = trace.steps, trace.hidden_size
    if not 0 <= t < steps:
        raise ValueError(f"token {t + 1} does not exist: the sentence has {steps} tokens")
    if not 0 <= unit < hidden:
        raise ValueError(f"unit {unit} does not exist: the layer has units 0 to {hidden - 1}")
    reverse = direction == 1
    w_ih, w_hh, b_ih, b_hh, H = _weights(module, layer, reverse)
    x = np.asarray(trace.layer_inputs[layer] if trace.layer_inputs else trace.x, np.float64)[t]
    prev_t = t + 1 if reverse else t - 1
    first = prev_t < 0 or prev_t >= steps
    h_all = trace.h[layer, direction].astype(np.float64)
    h_prev_vec = trace.h0[layer, direction].astype(np.float64) if first else h_all[prev_t]

    def part(block: int):
        r = block * H + unit
        return float(w_ih[r] @ x + b_ih[r]), float(w_hh[r] @ h_prev_vec + b_hh[r])

    kind = trace.kind
    h, h_prev = float(h_all[t, unit]), float(h_prev_vec[unit])
    if kind == "rnn":
        act = "relu" if getattr(trace, "nonlinearity", "tanh") == "relu" else "tanh"
        a, b = part(0)
        return UnitEquations(kind, t, unit, [GateTerm("h", act, a, b, h)], h_prev, h)
    clamp = getattr(trace, "clamp", {}) or {}
    clamp_from = getattr(trace, "clamp_from", 0)
    if kind == "lstm":
        gates = []
        for name in ("f", "i", "g", "o"):
            a, b = part(LSTM_ROWS[name])
            value = float(trace.gate(name)[layer, direction, t, unit])
            gates.append(GateTerm(name, "tanh" if name == "g" else "σ", a, b, value,
                                  clamped=name in clamp and t >= clamp_from))
        c_all = trace.c[layer, direction].astype(np.float64)
        c_prev = float(trace.c0[layer, direction, unit] if first else c_all[prev_t, unit])
        c = float(c_all[t, unit])
        return UnitEquations(kind, t, unit, gates, h_prev, h, c_prev, c, float(np.tanh(c)))
    if kind == "gru":
        r_value = float(trace.r[layer, direction, t, unit])
        gates = []
        for name in ("r", "z", "n"):
            a, b = part(GRU_ROWS[name])
            if name == "n":
                b *= r_value          # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
            gates.append(GateTerm(name, "tanh" if name == "n" else "σ", a, b,
                                  float(trace.gate(name)[layer, direction, t, unit])))
        return UnitEquations(kind, t, unit, gates, h_prev, h)
    raise ValueError(f"unknown trace kind {kind!r}")
