"""One training step with the gradient of every hidden state (the Gradients through time page's
step): an LSTM, hidden 128, on one 100-step adding-task sequence, CPU. engine.bptt.train_step
runs the unrolled cell, one backward pass for ‖∂L/∂hₜ‖ and the parameters, clipping and the
update; side by side, the plain nn.LSTM step (forward, backward, clip, update) it is compared to.

    .venv/bin/python benchmarks/bptt_step.py          (goal: under 50 ms; last line: ms)
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.bptt import RecurrentRegressor, train_step  # noqa: E402
from engine.signals import adding_task  # noqa: E402

T, HIDDEN, REPEATS = 100, 128, 30


def timed(fn) -> list[float]:
    fn()                                                  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    torch.manual_seed(0)
    x, y = (torch.from_numpy(a) for a in adding_task(1, T, seed=0))
    model = RecurrentRegressor("lstm", HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    page = timed(lambda: train_step(model, optimizer, x, y, clip_threshold=1.0))

    plain_model = RecurrentRegressor("lstm", HIDDEN)
    plain_opt = torch.optim.Adam(plain_model.parameters(), lr=1e-3)

    def plain():
        plain_opt.zero_grad()
        torch.nn.functional.mse_loss(plain_model(x), y).backward()
        torch.nn.utils.clip_grad_norm_(plain_model.parameters(), 1.0)
        plain_opt.step()
    bare = timed(plain)
    print(f"LSTM, hidden {HIDDEN}, T = {T}, {torch.get_num_threads()} threads, {REPEATS} steps")
    print(f"step with per-step gradient norms: median {statistics.median(page):.1f} ms, "
          f"max {max(page):.1f} ms")
    print(f"plain nn.LSTM step (no per-step norms): median {statistics.median(bare):.1f} ms")
    print(f"{statistics.median(page):.1f}")


if __name__ == "__main__":
    main()
