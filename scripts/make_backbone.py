"""Train the transfer-learning backbone shipped in assets/models/backbone_digits.pt (rerun me).

A TinyVGG (two VGG blocks of 3x3 convs, 10 channels, then one linear layer; no BatchNorm, no
dropout) trained on handwritten digits: the MNIST test digits
0-7999 from ../shared/data/mnist, or, where they are absent, the app's generated digits. Digits
8000-9999 (or a separate generated set) are held out and scored once at the end; that score is
written into the checkpoint and printed last. The Transfer learning page reuses its features on
the shapes task (engine.data.shapes), a task it was never trained on.

    nice -n 10 .venv/bin/python scripts/make_backbone.py [--mnist DIR] [--epochs N]
"""
from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.data import DatasetError, load_dataset  # noqa: E402
from engine.files import atomic_write  # noqa: E402
from engine.models import MODELS_DIR, build_model, parameter_count, save_checkpoint  # noqa: E402
from engine.train import TrainConfig, evaluate, fit  # noqa: E402
from engine.transfer import BACKBONE  # noqa: E402

# TinyVGG, not LeNet-5: its head reads the conv features directly, which are general strokes and
# corners; LeNet's last hidden layer (84 units) is already too specific to digits to transfer
ARCH, KWARGS = "tinyvgg", {"input_shape": (1, 28, 28), "num_classes": 10, "hidden": 10}


def digits(mnist: str, seed: int):
    """(train, held-out test, dataset name, a sentence naming the data)."""
    try:
        data = load_dataset("mnist", root=mnist)   # a t10k-only folder: 0-7999 / 8000-9999
        return (data.train, data.test, "mnist",
                f"MNIST test digits 0-7999 from {mnist} (8000-9999 held out)")
    except DatasetError:
        data = load_dataset("generated", train_size=8000, test_size=2000, seed=seed)
        return (data.train, data.test, "generated",
                "8,000 generated digits (MNIST not found; 2,000 held out)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(MODELS_DIR / f"{BACKBONE}.pt"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    train, test, dataset, source = digits(args.mnist, args.seed)
    print(f"training on {source}: {len(train)} train, {len(test)} held out")
    torch.manual_seed(args.seed)
    model = build_model(ARCH, **KWARGS)
    config = TrainConfig(optimizer="adam", lr=1e-3, batch_size=64, epochs=args.epochs,
                         seed=args.seed, device="cpu")

    def report(event):
        if event.kind == "epoch":
            print(f"epoch {event.epoch + 1}: train accuracy {event.train_accuracy:.3f}")

    fit(config, model, train, None, report)
    accuracy, _, _ = evaluate(model, test, torch.device("cpu"))
    meta = {"arch": ARCH, "kwargs": KWARGS, "dataset": dataset, "classes": [str(d) for d in range(10)],
            "input_shape": [1, 28, 28], "accuracy": round(float(accuracy), 4),
            "made_by": f"scripts/make_backbone.py: {source}; Adam lr 1e-3, batch 64, "
                       f"{args.epochs} epochs, seed {args.seed}",
            "date": datetime.date.today().isoformat()}
    atomic_write(args.out, lambda tmp: save_checkpoint(tmp, model, meta))
    print(f"saved {args.out} ({parameter_count(model):,} parameters)")
    print(f"held-out accuracy: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
