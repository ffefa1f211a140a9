"""Train the shipped sentiment models (LSTM, GRU, plain RNN) on the generated corpus.

Writes assets/models/sentiment_{lstm,gru,rnn}.pt with meta: vocab (list of words), held-out
accuracy, the bag-of-words baseline's accuracy on the same held-out set, and how it was made.
Rerunnable and deterministic for a given seed; a few minutes on CPU:
    nice -n 10 .venv/bin/python scripts/make_sentiment_models.py [--cells lstm gru rnn]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.models import MODELS_DIR, save_checkpoint  # noqa: E402
from engine.rnn_models import SENTIMENT_MODELS, SentimentRNN, generated_sentiment_data  # noqa: E402
from engine.text import BagOfWords, make_sentiment_corpus, sentiment_vocab  # noqa: E402
from engine.train import TrainConfig, evaluate, fit  # noqa: E402

N_TRAIN, N_TEST, SEED = 8000, 3000, 0
SIZES = {"embed_dim": 24, "hidden_size": 48}
EPOCHS = {"lstm": 8, "gru": 8, "rnn": 12}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"], choices=list(EPOCHS))
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny matrices: threads only contend (and the machine is shared)
    vocab = sentiment_vocab()
    train, test = generated_sentiment_data(N_TRAIN, N_TEST, vocab, SEED)
    test_s, test_l = make_sentiment_corpus(N_TEST, SEED + 10_000)
    bow = BagOfWords(vocab).fit(*make_sentiment_corpus(N_TRAIN, SEED)).accuracy(test_s, test_l)
    print(f"bag-of-words baseline on the held-out set: {bow:.1%}")
    args.out.mkdir(parents=True, exist_ok=True)
    for cell in args.cells:
        kwargs = {"vocab_size": len(vocab), "cell": cell, **SIZES}
        torch.manual_seed(SEED)
        model = SentimentRNN(**kwargs)
        config = TrainConfig(lr=3e-3, batch_size=64, epochs=EPOCHS[cell], seed=SEED, device="cpu")
        start = time.perf_counter()

        def report(event):
            if event.kind == "epoch":
                print(f"  {cell} epoch {event.epoch + 1}: train {event.train_accuracy:.3f} "
                      f"test {event.test_accuracy:.3f}", flush=True)
        result = fit(config, model, train, test, report)
        acc, _, _ = evaluate(model, test, torch.device("cpu"))
        meta = {
            "arch": "sentiment_rnn", "kwargs": kwargs, "vocab": list(vocab.words),
            "task": "sentiment", "classes": ["negative", "positive"], "cell": cell,
            "accuracy": float(acc), "bow_accuracy": float(bow),
            "dataset": f"generated sentiment grammar: {N_TRAIN} train, {N_TEST} held-out (seed {SEED + 10_000})",
            "train_config": asdict(config),
            "made_by": "scripts/make_sentiment_models.py",
        }
        path = args.out / f"{SENTIMENT_MODELS[cell]}.pt"
        save_checkpoint(path, model, meta)
        print(f"{cell}: held-out accuracy {acc:.1%} (bag of words {bow:.1%}), "
              f"{time.perf_counter() - start:.0f} s, {result.status} -> {path}")


if __name__ == "__main__":
    main()
