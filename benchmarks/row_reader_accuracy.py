"""Held-out accuracy of the shipped row-reading RNN (assets/models/row_rnn.pt).

Reads MNIST test digits 8000-9999 from ../shared/data/mnist (never used for training or picking
the model) and reports the accuracy after all 28 rows, and after only the first 14 and 21 rows
(what the page shows while stepping). Last line: the 28-row accuracy in percent.
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine.data.readers import read_idx  # noqa: E402
from engine.row_reader import load_row_model  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist"


def main() -> None:
    model, meta = load_row_model()
    x = read_idx(MNIST / "t10k-images-idx3-ubyte.gz")[8000:10000].astype(np.float32) / 255.0
    y = read_idx(MNIST / "t10k-labels-idx1-ubyte.gz")[8000:10000].astype(np.int64)
    start = time.perf_counter()
    with torch.no_grad():
        out, _ = model.rnn(torch.from_numpy(x))                 # (N, 28 rows, hidden)
        pred = model.head(out).argmax(-1).numpy()               # (N, 28): guess after each row
    elapsed = time.perf_counter() - start
    for rows in (14, 21, 28):
        print(f"after {rows:2d} rows: {np.mean(pred[:, rows - 1] == y):.2%}")
    print(f"trained on: {meta.get('dataset')}; {2000 / elapsed:.0f} digits/s on CPU")
    print(f"{100 * np.mean(pred[:, -1] == y):.2f}")


if __name__ == "__main__":
    main()
