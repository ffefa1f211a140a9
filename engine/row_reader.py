"""The row-reading RNN: a 28x28 digit read top to bottom, one row (28 pixels) per time step.

`RowRNN` is LSTM|GRU over the 28 rows -> Linear(10) on the last hidden state. `read_rows` replays
the reading step by step with `engine.rnn`'s trace and applies the classifier after every row,
so a page can show how the guess firms up as more of the digit has been seen.
Images are float in [0, 1], white ink on black, centred like MNIST (what the draw page makes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.rnn import trace_module

ROWS = 28   # time steps
COLS = 28   # features per step
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RowRNN(nn.Module):
    """(B, 1, 28, 28) or (B, 28, 28) images -> rows as 28 tokens of 28 features -> 10 logits."""

    def __init__(self, hidden_size: int = 64, cell: str = "lstm", num_layers: int = 1,
                 num_classes: int = 10):
        super().__init__()
        self.rnn = CELLS[cell](COLS, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        x = x.reshape(x.shape[0], ROWS, COLS)  # (B, T=28 rows, 28 pixels)
        out, _ = self.rnn(x)                   # (B, 28, hidden)
        return self.head(out[:, -1])           # (B, 10) from the state after the last row


ARCHITECTURES = {"row_rnn": RowRNN}


@dataclass
class RowReading:
    image: np.ndarray       # (28, 28) the image as read
    probs: np.ndarray       # (28, 10) class probabilities after reading rows 0..t
    hidden: np.ndarray      # (28, hidden) top layer's hidden state after each row
    trace: object           # the engine.rnn trace (gates, cell state for an LSTM)

    @property
    def prediction(self) -> int:
        return int(self.probs[-1].argmax())


def as_image28(image) -> np.ndarray:
    """A (28, 28) float32 array from (28, 28), (1, 28, 28) or (1, 1, 28, 28) input."""
    arr = np.asarray(image, dtype=np.float32)
    if arr.size != ROWS * COLS:
        raise ValueError(f"the row reader needs a 28x28 image, got shape {arr.shape}")
    return np.ascontiguousarray(arr.reshape(ROWS, COLS))


@torch.no_grad()
def read_rows(model: RowRNN, image28) -> RowReading:
    """Probabilities and hidden state after each of the 28 rows (the last row's equal model(x))."""
    image = as_image28(image28)
    model.eval()
    trace = trace_module(model.rnn, image)          # arrays (L, 1, 28, H)
    top = trace.h[-1, 0]                            # (28, H): the last layer feeds the head
    logits = model.head(torch.from_numpy(np.ascontiguousarray(top)))  # (28, 10)
    probs = torch.softmax(logits, dim=1).numpy()
    return RowReading(image, probs, top.copy(), trace)


def load_row_model(path=None) -> tuple[RowRNN, dict]:
    """The shipped (or a saved) row reader: (model, meta)."""
    from engine.models import MODELS_DIR, load_checkpoint
    return load_checkpoint(path or MODELS_DIR / "row_rnn.pt", expect_arch="row_rnn")


def sample_digits(seed: int = 123) -> np.ndarray:
    """One generated digit of each class, in order 0-9: (10, 28, 28) float32 in [0, 1] (no
    data set needed, so the row reader has something to read on a fresh install)."""
    from engine.data.synth_digits import make_synth_digits
    x, y = make_synth_digits(40, seed=seed)
    order = [int(np.flatnonzero(y == d)[0]) for d in range(10)]
    return np.ascontiguousarray(x[order, 0], np.float32)
