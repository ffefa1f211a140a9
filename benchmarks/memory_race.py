"""The long-memory race of the RNN step-through page: final validation MSE of a plain RNN, an
LSTM and a GRU on the adding task at several sequence lengths (engine.signals.AddingRace, the
page's defaults: hidden 32, 1200 steps of 64 sequences each, Adam 1e-2, gradients clipped at 1).

Always answering 1 scores 1/6 = 0.167; a cell "learned" the task when it ends far below that.

    .venv/bin/python benchmarks/memory_race.py [--lengths 10 50 100] [--steps 1200]

Last line: T and each cell's MSE at the longest length.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.signals import ADDING_BASELINE_MSE, AddingRace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--steps", type=int, default=1200)
    args = parser.parse_args()
    print(f"adding task; always answering 1 scores {ADDING_BASELINE_MSE:.3f}; "
          f"{torch.get_num_threads()} torch threads")
    line = ""
    for length in args.lengths:
        race = AddingRace(seq_len=length, steps=args.steps, snapshot_every=args.steps)
        finals: dict[str, float] = {}
        times: dict[str, float] = {}

        def on_step(event, finals=finals):
            if event.snapshot is not None:
                finals[event.snapshot["cell"]] = event.snapshot["val_mse"]
                times[event.snapshot["cell"]] = time.perf_counter()
        start = time.perf_counter()
        result = race.run(on_step)
        previous, spent = start, {}
        for cell, t in times.items():
            spent[cell], previous = t - previous, t
        line = f"T={length}: " + ", ".join(f"{c.upper()} {finals[c]:.4f} ({spent[c]:.0f} s)"
                                            for c in race.cells)
        print(line + f" [{result.status}]", flush=True)
    print(line)


if __name__ == "__main__":
    main()
