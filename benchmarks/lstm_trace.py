"""Time of engine.rnn.lstm_trace on a 50-token sentence, LSTM input 64, hidden 128 (CPU).

Every gate, the cell and hidden state of every step are recomputed from the module's weights.
Reports the median of 200 runs after a warm-up (and torch's own forward for comparison); the
last line is the median trace time in ms (target: under 5 ms).
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from engine.rnn import lstm_trace  # noqa: E402


def timed(fn, runs=200):
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), sorted(times)[int(0.95 * runs)]


def main():
    torch.manual_seed(0)
    lstm = nn.LSTM(64, 128).eval()
    x = torch.randn(50, 64)
    med, p95 = timed(lambda: lstm_trace(lstm, x))
    with torch.no_grad():
        fwd, _ = timed(lambda: lstm(x.unsqueeze(1)))
    print(f"lstm_trace, 50 tokens, hidden 128: median {med:.2f} ms, p95 {p95:.2f} ms "
          f"(torch forward alone: {fwd:.2f} ms)")
    print(f"{med:.2f}")


if __name__ == "__main__":
    main()
