"""Recurrent classifiers over words: Embedding -> RNN | LSTM | GRU -> Linear on the last state.

`SentimentRNN` reads right-padded word ids (0 = <pad>) and classifies the whole sentence from
its final hidden state (bidirectional: both directions' final states side by side). It finds
each sentence's length itself (the ids that are not <pad>), so `engine.train.fit` can feed it
plain (ids, label) batches. `predict_per_token` gives P(positive) after every prefix, read from a
trace's hidden states, so a page can show how the prediction changes word by word, also under a
clamped gate. Checkpoints keep the vocabulary in meta["vocab"] (a list of words).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from engine.rnn import trace_module
from engine.text import SUBJECTS, Vocab, encode_batch, make_sentiment_corpus

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELL_LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
SENTIMENT_MODELS = {"lstm": "sentiment_lstm", "gru": "sentiment_gru", "rnn": "sentiment_rnn"}


class SentimentRNN(nn.Module):
    """Many-to-one sentence classifier; `self.rnn` is a plain torch nn.RNN / nn.LSTM / nn.GRU."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 48,
                 cell: str = "lstm", num_layers: int = 1, bidirectional: bool = False,
                 num_classes: int = 2, nonlinearity: str = "tanh"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = CELLS[cell](embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional, **extra)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    @property
    def num_directions(self) -> int:
        return 2 if self.rnn.bidirectional else 1

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) ids -> (B, num_classes) logits
        emb = self.embedding(ids)                               # (B, T, E)
        lengths = (ids != 0).sum(dim=1).clamp(min=1).cpu()
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if self.cell == "lstm" else state        # (L*D, B, H)
        last = h_n[-self.num_directions:]                       # last layer: (D, B, H)
        return self.head(torch.cat(list(last), dim=1))          # (B, D*H) -> logits

    def embed(self, ids) -> np.ndarray:
        """(T, E) embedding vectors of a sentence's ids."""
        with torch.no_grad():
            return self.embedding(torch.as_tensor(ids, dtype=torch.long)).numpy()


def sentence_trace(model: SentimentRNN, ids, **kwargs):
    """The rnn/lstm/gru trace of the model's recurrent layer over one sentence's ids."""
    return trace_module(model.rnn, model.embed(ids), **kwargs)


def head_probabilities(model: SentimentRNN, states: np.ndarray) -> np.ndarray:
    """Softmax of the head over states (..., D*H) -> (..., num_classes)."""
    with torch.no_grad():
        logits = model.head(torch.as_tensor(np.ascontiguousarray(states), dtype=torch.float32))
        return torch.softmax(logits, dim=-1).numpy()


def predict_per_token(model: SentimentRNN, ids, trace=None) -> np.ndarray:
    """(T,) P(positive) after each prefix ids[:t+1].

    Unidirectional: the head applied to the last layer's h at every step of `trace` (made here if
    not given; pass a clamped trace to see the intervention's effect). Bidirectional: the backward
    direction depends on the whole prefix, so each prefix is run through the model (trace ignored).
    """
    ids = list(ids)
    if not ids:
        return np.zeros(0, dtype=np.float32)
    if model.num_directions == 1:
        trace = trace if trace is not None else sentence_trace(model, ids)
        return head_probabilities(model, trace.h[-1, 0])[:, 1]
    batch = torch.zeros(len(ids), len(ids), dtype=torch.long)
    for t in range(len(ids)):
        batch[t, :t + 1] = torch.as_tensor(ids[:t + 1])
    with torch.no_grad():
        # Prefixes are right-padded and packed, so <pad> never enters the recurrence (the
        # tokenizer never yields "<pad>", so a sentence's own ids are never 0).
        return torch.softmax(model(batch), dim=-1)[:, 1].numpy()


def model_vocab(meta: dict) -> Vocab:
    """The vocabulary stored in a sentiment checkpoint's meta."""
    words = meta.get("vocab")
    if not isinstance(words, list) or len(words) < 2:
        raise ValueError("this checkpoint has no vocabulary")
    return Vocab(words[2:]) if words[:2] == ["<pad>", "<unk>"] else Vocab(words)


def sentiment_dataset(sentences, labels, vocab: Vocab, unk_rate: float = 0.0, seed: int = 0):
    """A TensorDataset of (right-padded ids (N, T), labels (N,)) for engine.train.fit.

    `unk_rate` turns that share of the subject nouns into <unk>, so the model learns that an
    unknown word (a user's own noun) carries no sentiment, instead of meeting <unk> untrained.
    """
    from torch.utils.data import TensorDataset
    ids, _ = encode_batch(sentences, vocab)
    if unk_rate > 0:
        rng = np.random.default_rng(seed)
        nouns = np.isin(ids, [vocab.index[w] for w in SUBJECTS if w in vocab])
        ids[nouns & (rng.random(ids.shape) < unk_rate)] = 1
    return TensorDataset(torch.from_numpy(ids), torch.as_tensor(labels, dtype=torch.long))


def generated_sentiment_data(n_train: int, n_test: int, vocab: Vocab, seed: int = 0,
                             unk_rate: float = 0.1):
    """(train, test) TensorDatasets from the grammar; the test set uses a different seed."""
    tr_s, tr_l = make_sentiment_corpus(n_train, seed)
    te_s, te_l = make_sentiment_corpus(n_test, seed + 10_000)
    return (sentiment_dataset(tr_s, tr_l, vocab, unk_rate, seed),
            sentiment_dataset(te_s, te_l, vocab))


ARCHITECTURES = {"sentiment_rnn": SentimentRNN}
