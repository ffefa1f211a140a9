"""Recurrent classifiers over words: Embedding -> RNN | LSTM | GRU -> Linear on the last state.

`SentimentRNN` reads right-padded word ids (0 = <pad>) and classifies the whole sentence from
its final hidden state (bidirectional: the forward direction's state after the last word and the
backward direction's after the first, side by side). It finds each sentence's length itself (the
ids that are not <pad>), so `engine.train.fit` can feed it plain (ids, label) batches.
`predict_per_token` gives P(positive) after every prefix, read from a trace's hidden states, so a
page can show how the prediction changes word by word, also under a clamped gate.

The shipped models are trained by `train_sentiment` on per-token soft targets (engine.text's
`SentimentExample.targets`): after every word the model is asked for the P(positive) a reader can
give so far, 0.5 while nothing has decided it, so prefixes and unknown words come out near 0.5
instead of at whatever the last full sentence left behind. Checkpoints keep the vocabulary in
meta["vocab"] (a list of words).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from engine.rnn import trace_module
from engine.models import MODELS_DIR, CheckpointError, load_checkpoint
from engine.text import (HELD_OUT_SEED, SUBJECTS, TRAINING_CORPUS, CorpusConfig, Vocab,
                         encode_batch, make_sentiment_examples)

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELL_LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
# The unidirectional shipped models by cell (what the gates and RNN pages switch between).
SENTIMENT_MODELS = {"lstm": "sentiment_lstm", "gru": "sentiment_gru", "rnn": "sentiment_rnn"}
# Every shipped sentiment model (file name under assets/models) -> its label for a menu.
SENTIMENT_MODEL_LABELS = {"sentiment_lstm": "LSTM", "sentiment_gru": "GRU",
                          "sentiment_rnn": "RNN", "sentiment_bilstm": "bidirectional LSTM"}


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


def sentiment_unit(model: SentimentRNN) -> int:
    """The hidden unit (of the forward direction) whose h weighs most in the output layer's
    positive-vs-negative difference: argmax |w_pos - w_neg| over the head's first H inputs."""
    w = model.head.weight.detach().cpu().numpy()
    hidden = model.rnn.hidden_size
    return int(np.argmax(np.abs(w[1, :hidden] - w[0, :hidden])))


def model_vocab(meta: dict) -> Vocab:
    """The vocabulary stored in a sentiment checkpoint's meta."""
    words = meta.get("vocab")
    if not isinstance(words, list) or len(words) < 2:
        raise ValueError("this checkpoint has no vocabulary")
    return Vocab(words[2:]) if words[:2] == ["<pad>", "<unk>"] else Vocab(words)


def load_sentiment_model(name: str) -> tuple["SentimentRNN", Vocab, dict]:
    """(model in eval mode, its vocabulary, meta) of a shipped model such as "sentiment_bilstm".

    Raises CheckpointError (a readable message) when the file is missing or unusable."""
    model, meta = load_checkpoint(MODELS_DIR / f"{name}.pt", expect_arch="sentiment_rnn")
    try:
        return model, model_vocab(meta), meta
    except ValueError as exc:
        raise CheckpointError(f"{name}.pt: {exc}") from exc


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


def hard_label_rows(examples) -> tuple[list[str], list[int]]:
    """(sentences, labels 0/1) for a loss on hard labels: a sentence labelled 0.5 (its sentiment
    word unknown) appears twice, once as 0 and once as 1, which in expectation is the soft target."""
    sentences, labels = [], []
    for e in examples:
        for label in ((0, 1) if e.label == 0.5 else (int(e.label),)):
            sentences.append(e.text)
            labels.append(label)
    return sentences, labels


def generated_sentiment_data(n_train: int, n_test: int, vocab: Vocab, seed: int = 0,
                             unk_rate: float = 0.1, config: CorpusConfig | None = None):
    """(train, test) TensorDatasets of whole sentences for engine.train.fit.

    The training sentences come from `config` (default: the shipped models' corpus, with
    made-up nouns and adjectives); the test set is the grammar without unknown words, another seed."""
    train = make_sentiment_examples(n_train, seed, config or TRAINING_CORPUS)
    test = make_sentiment_examples(n_test, seed + HELD_OUT_SEED, CorpusConfig())
    return (sentiment_dataset(*hard_label_rows(train), vocab, unk_rate, seed),
            sentiment_dataset(*hard_label_rows(test), vocab))


# -- training on per-token targets -----------------------------------------------------------

@dataclass
class SentimentTrainConfig:
    epochs: int = 8                      # passes over the training sentences
    lr: float = 3e-3                     # Adam's learning rate
    batch_size: int = 64                 # sentences per step
    seed: int = 0                        # seeds the weights' shuffling and the prefix draws
    clip_grad_norm: float | None = 1.0   # rescale gradients to at most this norm, or not
    full_sentence_share: float = 0.5     # bidirectional: share of rows trained on the whole
                                         # sentence (the rest on a random prefix)


def sentiment_tensors(examples, vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids (N, T) right-padded with 0, targets (N, T) P(positive) after each token, -1 on padding)."""
    T = max(1, max((len(e.tokens) for e in examples), default=1))
    ids = torch.zeros(len(examples), T, dtype=torch.long)
    targets = torch.full((len(examples), T), -1.0)
    for row, e in enumerate(examples):
        ids[row, :len(e.tokens)] = torch.as_tensor(vocab.encode(e.tokens), dtype=torch.long)
        targets[row, :len(e.tokens)] = torch.as_tensor(e.targets, dtype=torch.float32)
    return ids, targets


def per_token_logits(model: SentimentRNN, ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> (B, T, num_classes): the head on the last layer's h after every token.

    Unidirectional only: h_t then depends on ids[:, :t+1] alone, so right padding changes no
    earlier step and the logits at t equal model(ids[:, :t+1])."""
    if model.num_directions != 1:
        raise ValueError("per-token logits of one pass need a unidirectional model")
    out, _ = model.rnn(model.embedding(ids))                # (B, T, H)
    return model.head(out)


def soft_cross_entropy(logits: torch.Tensor, p_positive: torch.Tensor) -> torch.Tensor:
    """Mean of -(p log q1 + (1 - p) log q0) over rows: cross-entropy against a soft target."""
    log_q = torch.log_softmax(logits, dim=-1)
    return -(p_positive * log_q[:, 1] + (1 - p_positive) * log_q[:, 0]).mean()


def _prefix_batch(ids, targets, share_full: float, generator: torch.Generator):
    """Each row cut to a random prefix (or kept whole): (prefix ids, target after its last token)."""
    lengths = (targets >= 0).sum(dim=1)                     # (B,)
    cut = (torch.rand(len(ids), generator=generator) * lengths).long() + 1
    cut = torch.where(torch.rand(len(ids), generator=generator) < share_full, lengths, cut)
    keep = torch.arange(ids.shape[1]) < cut[:, None]
    return ids * keep, targets[torch.arange(len(ids)), cut - 1]


def sentiment_loss(model: SentimentRNN, ids, targets, config: SentimentTrainConfig,
                   generator: torch.Generator) -> torch.Tensor:
    """Soft cross-entropy after every token (unidirectional) or after a random prefix (bidirectional)."""
    if model.num_directions == 1:
        valid = targets >= 0
        return soft_cross_entropy(per_token_logits(model, ids)[valid], targets[valid])
    prefix, target = _prefix_batch(ids, targets, config.full_sentence_share, generator)
    return soft_cross_entropy(model(prefix), target)


@torch.no_grad()
def sentence_accuracy(model: SentimentRNN, examples, vocab: Vocab) -> float:
    """Share of the sentences with a label of 0 or 1 whose whole-sentence verdict is right."""
    labelled = [e for e in examples if e.label != 0.5]
    if not labelled:
        return math.nan
    was_training = model.training
    model.eval()
    ids, _ = sentiment_tensors(labelled, vocab)
    pred = torch.cat([model(ids[k:k + 1024]).argmax(1) for k in range(0, len(ids), 1024)])
    model.train(was_training)
    return float((pred == torch.tensor([int(e.label) for e in labelled])).float().mean())


def train_sentiment(model: SentimentRNN, examples, vocab: Vocab, config: SentimentTrainConfig,
                    on_epoch=None) -> list[float]:
    """Train on per-token soft targets (see `sentiment_loss`); returns each epoch's mean loss.

    `on_epoch(epoch, mean_loss)` is called after each epoch; returning False stops early."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    ids, targets = sentiment_tensors(examples, vocab)
    lengths = (targets >= 0).sum(dim=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = []
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(len(ids), generator=generator)
        total = 0.0
        for start in range(0, len(ids), config.batch_size):
            rows = order[start:start + config.batch_size]
            T = int(lengths[rows].max())                    # trim the batch's own padding
            loss = sentiment_loss(model, ids[rows, :T], targets[rows, :T], config, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
            optimizer.step()
            total += float(loss.detach()) * len(rows)
        history.append(total / len(ids))
        if on_epoch is not None and on_epoch(epoch, history[-1]) is False:
            break
    model.eval()
    return history


ARCHITECTURES = {"sentiment_rnn": SentimentRNN}
