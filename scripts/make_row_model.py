"""Train and save the shipped row-reading RNN, assets/models/row_rnn.pt (a few minutes of CPU).

    nice -n 10 .venv/bin/python scripts/make_row_model.py [--epochs 14] [--synth 8000]

Training data: MNIST test digits 0-6999 from ../shared/data/mnist (digits 7000-7999 pick the
best epoch; 8000-9999 are touched only once, at the end, to report held-out accuracy), plus
generated digits from engine.data.synth_digits when that module exists. Nothing decoded from
MNIST is written anywhere but the model's weights.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from engine.data.readers import read_idx  # noqa: E402
from engine.models import MODELS_DIR, save_checkpoint  # noqa: E402
from engine.row_reader import RowRNN  # noqa: E402
from engine.train import TrainConfig, evaluate, fit  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist"
KWARGS = {"hidden_size": 64, "cell": "lstm", "num_layers": 1, "num_classes": 10}


def mnist(lo: int, hi: int, folder: Path = MNIST) -> tuple[np.ndarray, np.ndarray]:
    files = [folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        sys.exit(f"The MNIST test files are not in {folder} ({', '.join(missing)} missing). "
                 "Point --mnist at the folder that holds them.")
    images = read_idx(files[0])[lo:hi]
    labels = read_idx(files[1])[lo:hi]
    return images.astype(np.float32)[:, None] / 255.0, labels.astype(np.int64)


def shifted(x: np.ndarray, seed: int) -> np.ndarray:
    """Each image moved by up to 2 pixels each way: drawn digits are rarely centred exactly."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(x)
    for k, (dy, dx) in enumerate(rng.integers(-2, 3, (len(x), 2))):
        out[k] = np.roll(x[k], (dy, dx), axis=(1, 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--synth", type=int, default=8000, help="generated digits to add")
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "row_rnn.pt")
    parser.add_argument("--mnist", type=Path, default=MNIST,
                        help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: far faster than two fighting on a busy 2-core box

    x, y = mnist(0, 7000, args.mnist)
    sources = ["MNIST test digits 0-6999"]
    x, y = np.concatenate([x, shifted(x, 1)]), np.concatenate([y, y])
    try:
        from engine.data.synth_digits import make_synth_digits
    except ImportError:
        make_synth_digits = None
    if make_synth_digits is not None and args.synth:
        sx, sy = make_synth_digits(args.synth, seed=4)
        x, y = np.concatenate([x, sx.astype(np.float32)]), np.concatenate([y, sy])
        sources.append(f"{args.synth} generated digits (engine.data.synth_digits)")
    train = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    val = TensorDataset(*map(torch.from_numpy, mnist(7000, 8000, args.mnist)))
    print(f"training on {len(train)} images: {', '.join(sources)}", flush=True)

    torch.manual_seed(0)
    model = RowRNN(**KWARGS)
    best = {"acc": -1.0, "state": None, "epoch": -1}

    def on_step(event):
        if event.kind == "epoch":
            acc = evaluate(model, val, torch.device("cpu"))[0]
            print(f"epoch {event.epoch + 1}: train {event.train_accuracy:.3f} val {acc:.4f} "
                  f"({event.elapsed_s:.0f} s)", flush=True)
            if acc > best["acc"]:
                best.update(acc=acc, state=copy.deepcopy(model.state_dict()), epoch=event.epoch + 1)

    cfg = TrainConfig(lr=2e-3, batch_size=128, epochs=args.epochs, device="cpu")
    fit(cfg, model, train, None, on_step)
    model.load_state_dict(best["state"])
    held = TensorDataset(*map(torch.from_numpy, mnist(8000, 10000, args.mnist)))
    held_acc = evaluate(model, held, torch.device("cpu"))[0]
    meta = {"arch": "row_rnn", "kwargs": dict(KWARGS), "input_shape": (1, 28, 28),
            "classes": [str(d) for d in range(10)], "dataset": "; ".join(sources),
            "val_accuracy": round(best["acc"], 4), "heldout_accuracy": round(held_acc, 4),
            "heldout": "MNIST test digits 8000-9999", "epoch": best["epoch"],
            "made_by": "scripts/make_row_model.py"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out, model, meta)
    print(f"saved {args.out} (epoch {best['epoch']}, validation {best['acc']:.4f})")
    print(f"held-out accuracy (MNIST 8000-9999): {held_acc:.4f}")


if __name__ == "__main__":
    main()
