"""Accuracy of the shipped sentiment models vs a bag-of-words baseline on held-out sentences.

The held-out set comes from the same grammar with a seed no model was trained on (10 000
sentences); the bag of words (logistic regression on word counts) is trained on 8000 generated
sentences, as the models were. Last line: LSTM accuracy and bag-of-words accuracy, in %.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine.models import MODELS_DIR, CheckpointError, load_checkpoint  # noqa: E402
from engine.rnn_models import SENTIMENT_MODELS, model_vocab  # noqa: E402
from engine.text import BagOfWords, encode_batch, make_sentiment_corpus, sentiment_vocab  # noqa: E402

HELD_OUT_SEED = 424242


def main():
    test_s, test_l = make_sentiment_corpus(10000, HELD_OUT_SEED)
    test_l = np.array(test_l)
    bow = BagOfWords(sentiment_vocab()).fit(*make_sentiment_corpus(8000, 0)).accuracy(test_s, test_l)
    results = {}
    for cell, name in SENTIMENT_MODELS.items():
        try:
            model, meta = load_checkpoint(MODELS_DIR / f"{name}.pt", expect_arch="sentiment_rnn")
        except CheckpointError as exc:
            print(f"{cell}: {exc}")
            continue
        ids, _ = encode_batch(test_s, model_vocab(meta))
        with torch.no_grad():
            pred = model(torch.from_numpy(ids)).argmax(1).numpy()
        results[cell] = float(np.mean(pred == test_l))
        print(f"{cell.upper():5s} ({meta['kwargs']['hidden_size']} units): {results[cell]:.1%}")
    print(f"bag of words: {bow:.1%}  (held-out: 10000 generated sentences, seed {HELD_OUT_SEED})")
    print(f"LSTM {results.get('lstm', float('nan')) * 100:.1f} % vs bag of words {bow * 100:.1f} %")


if __name__ == "__main__":
    main()
