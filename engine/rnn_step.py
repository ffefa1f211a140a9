"""What the RNN step-through page computes: a typed sequence turned into inputs x_t, a seeded
(or the shipped, trained) nn.RNN run over them, and the terms of one unit's equation

    h_t[j] = tanh( (W_x x_t)[j] + (W_h h_{t-1})[j] + b[j] )

read back from `engine.rnn.rnn_trace`, so the numbers a page writes out are torch's own.
Also the parameter list of an RNN/LSTM/GRU at given sizes (shapes only, nothing allocated).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.rnn import RNNTrace, rnn_trace
from engine.signals import SignalConfig, make_signal
from engine.text import UNK, tokenize

MAX_TOKENS = 40                    # longer inputs are cut (a slide cannot show more steps)
SOURCES = ("words", "chars", "signal")
CELL_MODULES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def parse_samples(text: str) -> list[float]:
    """'0.1, -0.5 0.3' -> [0.1, -0.5, 0.3]; raises ValueError naming the bad entry."""
    values = []
    for part in text.replace(";", ",").replace(",", " ").split():
        try:
            v = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"{part!r} is not a finite number")
        values.append(v)
    return values


def default_signal_text(n: int = 12) -> str:
    """n samples of a noiseless sine (period 12), as the text a user would type."""
    s = make_signal(SignalConfig("sine", n, period=12, noise=0.0))
    return ", ".join(f"{v:.2f}" for v in s)


def sequence_tokens(source: str, text: str) -> tuple[list[str], list[float] | None]:
    """The tokens of `text` read as words, characters or numbers (`source`), and the numbers
    themselves for a signal. Raises ValueError with a message for the user."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    values = None
    if source == "signal":
        values = parse_samples(text)
        tokens = [f"{v:.2f}" for v in values]
    elif source == "chars":
        tokens = list(text)
    else:
        tokens = tokenize(text)
    if not tokens:
        raise ValueError({"words": "Type a sentence with at least one word.",
                          "chars": "Type at least one character.",
                          "signal": "Type at least one number."}[source])
    return tokens, values


@dataclass
class StepModel:
    tokens: list                 # what each time step shows
    x: np.ndarray                # (T, features) the inputs x_t
    rnn: nn.RNN                  # the torch module whose weights are used
    trace: RNNTrace              # h, pre_x, pre_h of shape (1, 1, T, H)
    truncated: bool = False      # the input had more than MAX_TOKENS tokens
    positive: np.ndarray | None = None  # (T,) trained model only: P(positive) after each token


def seeded_step_model(source: str, text: str, hidden: int = 4, features: int = 3,
                      seed: int = 0) -> StepModel:
    """A seeded nn.RNN(features, hidden) over the tokens of `text`: words and characters get a
    seeded embedding (one row per distinct token, so a repeated token repeats its x_t), a signal
    is its own 1-feature input. The global torch RNG is left as it was. Raises ValueError."""
    tokens, values = sequence_tokens(source, text)
    truncated = len(tokens) > MAX_TOKENS
    tokens = tokens[:MAX_TOKENS]
    features = 1 if source == "signal" else features
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        rnn = nn.RNN(features, hidden, batch_first=True)
        if values is not None:
            x = np.asarray(values[:MAX_TOKENS], np.float32)[:, None]  # (T, 1)
        else:
            vocab = list(dict.fromkeys(tokens))  # order of first appearance
            embedding = nn.Embedding(len(vocab), features)
            with torch.no_grad():
                x = embedding(torch.tensor([vocab.index(t) for t in tokens])).numpy()  # (T, F)
    rnn.eval()
    x = np.ascontiguousarray(x, np.float32)
    return StepModel(tokens, x, rnn, rnn_trace(rnn, x), truncated)


def trained_step_model(model, vocab, text: str) -> StepModel:
    """Words through a trained `SentimentRNN` (the shipped plain-RNN one): its embedding gives
    x_t, its nn.RNN the weights, its head P(positive) after every token. Unknown words are
    shown as "word→<unk>". Raises ValueError."""
    from engine.rnn_models import predict_per_token
    tokens = tokenize(text)
    if not tokens:
        raise ValueError("Type a sentence with at least one word.")
    truncated = len(tokens) > MAX_TOKENS
    tokens = tokens[:MAX_TOKENS]
    ids = vocab.encode(tokens)
    unk = vocab.index[UNK]
    shown = [t if i != unk else f"{t}→<unk>" for t, i in zip(tokens, ids)]
    x = np.ascontiguousarray(model.embed(ids), np.float32)  # (T, embed_dim)
    trace = rnn_trace(model.rnn, x)
    return StepModel(shown, x, model.rnn, trace, truncated, predict_per_token(model, ids, trace))


@dataclass
class EquationTerms:
    """Unit j's pre-activation at step t, split into its terms, and what each term sums."""
    wx: float                # (W_x x_t)[j]
    wh: float                # (W_h h_{t-1})[j]
    b: float                 # b_ih[j] + b_hh[j]
    z: float                 # wx + wh + b, before tanh
    h: float                 # tanh(z) = h_t[j]
    w_x_row: np.ndarray      # (F,) row j of W_x
    x: np.ndarray            # (F,) x_t
    w_h_row: np.ndarray      # (H,) row j of W_h
    h_prev: np.ndarray       # (H,) h_{t-1} (zeros at t = 0)


def equation_terms(model: StepModel, t: int, j: int) -> EquationTerms:
    """The terms of h_t[j], read from the trace (torch's numbers, not recomputed)."""
    rnn, tr = model.rnn, model.trace
    b_ih = rnn.bias_ih_l0.detach().numpy()
    b_hh = rnn.bias_hh_l0.detach().numpy()
    wx = float(tr.pre_x[0, 0, t, j] - b_ih[j])
    wh = float(tr.pre_h[0, 0, t, j] - b_hh[j])
    b = float(b_ih[j] + b_hh[j])
    hidden = rnn.hidden_size
    h_prev = tr.h[0, 0, t - 1].copy() if t > 0 else np.zeros(hidden, np.float32)
    return EquationTerms(wx, wh, b, wx + wh + b, float(tr.h[0, 0, t, j]),
                         rnn.weight_ih_l0.detach().numpy()[j].copy(), model.x[t].copy(),
                         rnn.weight_hh_l0.detach().numpy()[j].copy(), h_prev)


def rnn_parameters(cell: str = "rnn", input_size: int = 8, hidden_size: int = 16,
                   num_layers: int = 1, bidirectional: bool = False
                   ) -> tuple[list[tuple[str, tuple[int, ...]]], int]:
    """(name, shape) of every parameter of nn.RNN / LSTM / GRU at these sizes, and their total
    count; built on torch's "meta" device, so nothing is allocated."""
    module = getattr(nn, CELL_MODULES[cell])(input_size, hidden_size, num_layers=num_layers,
                                             bidirectional=bidirectional, device="meta")
    params = [(name, tuple(p.shape)) for name, p in module.named_parameters()]
    return params, sum(p.numel() for p in module.parameters())
