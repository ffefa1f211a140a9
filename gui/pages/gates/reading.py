"""What the Gates page shows of one sentence: its tokens as typed and as the model reads them,
the model's trace, P(positive) after each prefix, and the trace with an LSTM gate clamped.

Everything here is a call into the engine (`engine.text.to_tokens`, `engine.rnn_models`); this
module only keeps the results together and words what the user must be told.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from engine.models import MODELS_DIR, CheckpointError, load_checkpoint
from engine.rnn_models import (CELL_LABELS, SENTIMENT_MODELS, SentimentRNN, model_vocab,
                               predict_per_token, sentence_trace)
from engine.text import UNK, sentiment_vocab, to_tokens

MAX_TOKENS = 40  # longer text is cut (a readable heatmap has a column per word)

# (gate, forced value, what it means)
CLAMPS = [("f", 1.0, "forget gate f = 1 (keep everything)"),
          ("f", 0.0, "forget gate f = 0 (forget everything)"),
          ("i", 0.0, "input gate i = 0 (write nothing)"),
          ("o", 0.0, "output gate o = 0 (hide the cell)")]


class NoWords(ValueError):
    """The text has no token the model could read."""


@dataclass
class SentimentModel:
    model: SentimentRNN
    vocab: object
    meta: dict
    problem: str = ""          # why an untrained stand-in is shown ("" for a shipped model)

    def summary(self, cell: str) -> str:
        if self.problem:
            return f"Sentiment {CELL_LABELS[cell]}: untrained (the shipped file is unusable)"
        acc = self.meta.get("accuracy", float("nan"))
        far = self.meta.get("long_negation_accuracy")
        text = (f"Sentiment {CELL_LABELS[cell]}: {self.model.rnn.hidden_size} units, "
                f"{len(self.vocab)} words; held-out accuracy {acc:.1%}")
        if far is not None:
            text += f", negations far from their word {far:.1%}"
        return text


def load_model(cell: str) -> SentimentModel:
    """The shipped sentiment model of a cell type, or an untrained one saying why."""
    try:
        model, meta = load_checkpoint(MODELS_DIR / f"{SENTIMENT_MODELS[cell]}.pt",
                                      expect_arch="sentiment_rnn")
        return SentimentModel(model, model_vocab(meta), meta)
    except (CheckpointError, ValueError) as exc:
        vocab = sentiment_vocab()
        return SentimentModel(SentimentRNN(len(vocab), cell=cell).eval(), vocab,
                              {"accuracy": float("nan")},
                              f"{exc} Showing an untrained {CELL_LABELS[cell]}; run "
                              "scripts/make_sentiment_models.py to make the shipped models.")


@dataclass
class SentenceView:
    tokens: list[str]             # as typed (lowercased)
    shown: list[str]              # as the model reads them (<unk> for unknown words)
    ids: list[int]
    unknown: list[bool]
    trace: object                 # engine.rnn trace of the model's own computation
    probs: np.ndarray             # (T,) P(positive) after each prefix
    notices: list[str]            # what the user should know (cut text, unknown words)
    clamped: object = None        # the LSTM trace with a gate clamped, or None
    clamped_probs: np.ndarray | None = None

    @property
    def active(self):
        """The trace the maps show: the clamped one while an intervention is on."""
        return self.clamped if self.clamped is not None else self.trace

    @property
    def active_probs(self) -> np.ndarray:
        return self.clamped_probs if self.clamped is not None else self.probs


def read_sentence(sm: SentimentModel, text: str) -> SentenceView:
    """Tokenize and trace `text`; NoWords when it has no word at all."""
    tokens, ids, unknown = to_tokens(text, sm.vocab)
    if not tokens:
        raise NoWords("Type a sentence with at least one word; still showing the previous one.")
    notices = []
    if len(tokens) > MAX_TOKENS:
        notices.append(f"Long text: only the first {MAX_TOKENS} of {len(tokens)} tokens are used.")
        tokens, ids, unknown = tokens[:MAX_TOKENS], ids[:MAX_TOKENS], unknown[:MAX_TOKENS]
    unknown_words = sorted({t for t, u in zip(tokens, unknown) if u})
    if unknown_words:
        notices.append("Not in the model's vocabulary, read as <unk>: " + ", ".join(unknown_words))
    trace = sentence_trace(sm.model, ids)
    shown = [UNK if u else t for t, u in zip(tokens, unknown)]
    return SentenceView(tokens, shown, ids, unknown, trace,
                        predict_per_token(sm.model, ids, trace), notices)


def apply_clamp(sm: SentimentModel, view: SentenceView, clamp: int, start: int | None,
                unit: int | None) -> str:
    """Clamp CLAMPS[clamp] from token `start` on (of one unit, or all with None), or release
    it (start None); returns the sentence describing the intervention."""
    view.clamped, view.clamped_probs = None, None
    if start is None or start >= len(view.ids):
        return "No intervention: the model's own computation."
    gate, value, text = CLAMPS[clamp]
    units = None if unit is None else [unit]
    view.clamped = sentence_trace(sm.model, view.ids, clamp={gate: value}, clamp_from=start,
                                  clamp_units=units)
    view.clamped_probs = predict_per_token(sm.model, view.ids, view.clamped)
    if unit is not None:
        text += f", unit {unit} only"
    return (f"<b>Clamped</b>: {text}, from token {start + 1} '{html.escape(view.shown[start])}' on. "
            f"P(positive) at the end: {view.probs[-1]:.2f} → <b>{view.clamped_probs[-1]:.2f}</b>")
