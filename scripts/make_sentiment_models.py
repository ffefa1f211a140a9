"""Train the shipped sentiment models (LSTM, GRU, plain RNN, bidirectional LSTM) on the grammar.

Writes assets/models/sentiment_{lstm,gru,rnn,bilstm}.pt. Each model learns a target after every
token (0.5 while the sentence is still open, or when an unknown word carries the sentiment), so
its per-word curve and its answer for unknown words mean something. The meta holds the vocab
(list of words), the accuracy on held-out sentences of the same grammar, the accuracy on the
held-out long-negation set (a negation and its adjective 12+ tokens apart: where the plain RNN
falls behind), the bag-of-words baseline on both, a few probe sentences' P(positive), and how it
was made. Rerunnable and deterministic for a given seed; each model trains in well under a
minute on one CPU thread:
    nice -n 10 .venv/bin/python scripts/make_sentiment_models.py [--cells lstm gru rnn bilstm]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.models import MODELS_DIR, save_checkpoint  # noqa: E402
from engine.rnn_models import (SentimentRNN, SentimentTrainConfig, hard_label_rows,  # noqa: E402
                               predict_per_token, sentence_accuracy, train_sentiment)
from engine.text import (HELD_OUT_SEED, LONG_NEGATION_SEED, TRAINING_CORPUS,  # noqa: E402
                         BagOfWords, CorpusConfig, make_long_negation_examples,
                         make_sentiment_examples, sentiment_vocab, tokenize)

N_TRAIN, N_TEST, N_LONG, SEED = 8000, 3000, 2000, 0
# file name -> SentimentRNN arguments besides the vocabulary size
MODELS = {
    "lstm": ("sentiment_lstm", {"cell": "lstm", "embed_dim": 24, "hidden_size": 48}),
    "gru": ("sentiment_gru", {"cell": "gru", "embed_dim": 24, "hidden_size": 48}),
    "rnn": ("sentiment_rnn", {"cell": "rnn", "embed_dim": 24, "hidden_size": 48}),
    "bilstm": ("sentiment_bilstm", {"cell": "lstm", "embed_dim": 24, "hidden_size": 32,
                                    "bidirectional": True}),
}
TRAIN_CONFIG = SentimentTrainConfig(epochs=12, lr=3e-3, batch_size=64, seed=SEED)
PROBES = ["the movie was not", "the flick was splendiferous", "the food was good",
          "the food was good, not bad at all", "the food was not, as my friend said, good"]


def probe(model: SentimentRNN, vocab, sentence: str) -> float:
    """P(positive) of the whole sentence."""
    return float(predict_per_token(model, vocab.encode(tokenize(sentence)))[-1])


def save_atomically(path: Path, model: SentimentRNN, meta: dict) -> None:
    """Write to a temporary file in the same folder, then rename it over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    save_checkpoint(tmp, model, meta)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny matrices: threads only contend (and the machine is shared)
    vocab = sentiment_vocab()
    train = make_sentiment_examples(N_TRAIN, SEED, TRAINING_CORPUS)
    test = make_sentiment_examples(N_TEST, SEED + HELD_OUT_SEED, CorpusConfig())
    long_negation = make_long_negation_examples(N_LONG, LONG_NEGATION_SEED)
    bow = BagOfWords(vocab).fit(*hard_label_rows(train))
    bow_acc = bow.accuracy(*hard_label_rows(test))
    bow_long = bow.accuracy(*hard_label_rows(long_negation))
    print(f"bag of words: held-out {bow_acc:.1%}, long negation {bow_long:.1%}")
    args.out.mkdir(parents=True, exist_ok=True)
    for key in args.cells:
        name, sizes = MODELS[key]
        kwargs = {"vocab_size": len(vocab), **sizes}
        torch.manual_seed(SEED)
        model = SentimentRNN(**kwargs)
        start = time.perf_counter()

        def report(epoch, loss):
            print(f"  {key} epoch {epoch + 1}: loss {loss:.4f}, held-out "
                  f"{sentence_accuracy(model, test, vocab):.3f}, long negation "
                  f"{sentence_accuracy(model, long_negation, vocab):.3f}", flush=True)
        train_sentiment(model, train, vocab, TRAIN_CONFIG, report)
        acc = sentence_accuracy(model, test, vocab)
        long_acc = sentence_accuracy(model, long_negation, vocab)
        meta = {
            "arch": "sentiment_rnn", "kwargs": kwargs, "vocab": list(vocab.words),
            "task": "sentiment", "classes": ["negative", "positive"], "cell": sizes["cell"],
            "bidirectional": bool(sizes.get("bidirectional", False)),
            "accuracy": acc, "long_negation_accuracy": long_acc,
            "bow_accuracy": float(bow_acc), "bow_long_negation_accuracy": float(bow_long),
            "probes": {s: probe(model, vocab, s) for s in PROBES},
            "dataset": (f"generated sentiment grammar: {N_TRAIN} training sentences (seed {SEED}, "
                        f"{asdict(TRAINING_CORPUS)}); held-out {N_TEST} (seed "
                        f"{SEED + HELD_OUT_SEED}, no unknown words); long negation {N_LONG} "
                        f"(seed {LONG_NEGATION_SEED}, 3-4 asides between negation and adjective)"),
            "train_config": asdict(TRAIN_CONFIG),
            "made_by": "scripts/make_sentiment_models.py",
        }
        path = args.out / f"{name}.pt"
        save_atomically(path, model, meta)
        print(f"{key}: held-out {acc:.1%}, long negation {long_acc:.1%} (bag of words "
              f"{bow_acc:.1%} / {bow_long:.1%}), {time.perf_counter() - start:.0f} s -> {path}")


if __name__ == "__main__":
    main()
