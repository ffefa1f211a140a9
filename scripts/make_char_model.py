"""Train and save the shipped character model, assets/models/char_rnn.pt (a few minutes of CPU).

    nice -n 10 .venv/bin/python scripts/make_char_model.py [--steps 500]

Trains `engine.char_model.CharRNN` (LSTM, hidden 128) on the built-in corpus with the app's own
trainer, and stores the vocabulary and the final loss in the checkpoint's metadata.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.char_model import CharRNN, CharVocab, builtin_corpus, generate, make_training_windows  # noqa: E402
from engine.models import MODELS_DIR, save_checkpoint  # noqa: E402
from engine.train import TrainConfig, fit  # noqa: E402

KWARGS = {"embed_dim": 32, "hidden_size": 128, "cell": "lstm", "num_layers": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)  # more steps: it learns the corpus by heart
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "char_rnn.pt")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: far faster than two fighting on a busy 2-core box

    text = builtin_corpus()
    vocab = CharVocab.from_text(text)
    data = make_training_windows(text, vocab, seq_len=64, stride=8)
    torch.manual_seed(0)
    model = CharRNN(len(vocab), **KWARGS)
    cfg = TrainConfig(lr=3e-3, batch_size=32, epochs=10_000, max_steps=args.steps, device="cpu")
    losses = []

    def on_step(event):
        if event.kind == "step":
            losses.append(event.loss)
            if event.step % 50 == 0:
                print(f"step {event.step}: loss {sum(losses[-50:]) / 50:.3f} ({event.elapsed_s:.0f} s)", flush=True)

    result = fit(cfg, model, data, None, on_step)
    final = sum(losses[-50:]) / min(50, len(losses))
    sample = generate(model, vocab, "The keeper ", 120, temperature=0.5, seed=1)
    print(sample.text)
    meta = {"arch": "char_rnn", "kwargs": {"vocab_size": len(vocab), **KWARGS},
            "vocab": vocab.chars, "dataset": "built-in corpus (assets/text/char_corpus.txt)",
            "train_loss": round(final, 4), "perplexity": round(math.exp(final), 3),
            "steps": result.steps,
            "made_by": "scripts/make_char_model.py"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out, model, meta)
    print(f"saved {args.out} after {result.steps} steps ({result.elapsed_s:.0f} s)")
    print(f"train loss {final:.3f} nats/char")


if __name__ == "__main__":
    main()
