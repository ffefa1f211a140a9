"""Transfer learning's lesson, measured: from scratch vs frozen backbone vs fine-tuned.

The three runs of engine.transfer.compare_runs on the shapes task (engine.data.shapes) with the
shipped digit backbone, at EQUAL STEPS (the same epochs and batch size for every run; their
wall times are printed too), for a few numbers of labelled training shapes. Test accuracy on
the same held-out shapes after the last epoch, and after the first (how fast each starts).
Then at EQUAL TRAINING TIME: each run's test accuracy after the last epoch it had finished when
the quickest of the three ended (a frozen backbone takes the cheapest steps, so it sets the
budget), from the same runs' epoch times (each epoch's test pass included).

    nice -n 10 .venv/bin/python benchmarks/transfer_runs.py [--labels 48 120 400] [--seeds 2]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.transfer import MODES, TransferConfig, compare_runs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=int, nargs="+", default=[48, 120, 400])
    ap.add_argument("--seeds", type=int, default=2, help="runs per setting (seeds 0, 1, ...)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    base = TransferConfig()
    print(f"equal steps: {base.epochs} epochs, batch {base.batch_size}; Adam lr {base.lr:g} "
          f"(fine-tune {base.finetune_lr:g}); {base.n_test} test shapes; mean of {args.seeds} seeds")
    print(f"{'labels':>6}  {'run':<9} {'trainable':>9} {'acc ep1':>8} {'acc end':>8} "
          f"{'steps':>6} {'time s':>7}")
    finals: dict[tuple[int, str], float] = {}
    at_budget: dict[tuple[int, str], float] = {}
    budgets: dict[int, float] = {}
    for n in args.labels:
        per_seed, times = [], []
        for s in range(args.seeds):
            ends: dict[str, list[float]] = {mode: [] for mode in MODES}   # each epoch's end, s
            per_seed.append(compare_runs(replace(base, n_train=n, seed=s), on_step=lambda mode, e,
                            ends=ends: ends[mode].append(e.elapsed_s) if e.kind == "epoch" else None))
            times.append(ends)
        budget = statistics.mean(min(ends[mode][-1] for mode in MODES) for ends in times)
        budgets[n] = budget
        for mode in MODES:
            reached = []
            for runs, ends in zip(per_seed, times):
                quickest = min(ends[m][-1] for m in MODES)
                done = [i for i, t in enumerate(ends[mode]) if t <= quickest + 1e-9]
                reached.append(runs[mode].test_accuracy[done[-1]] if done else 0.0)
            at_budget[n, mode] = statistics.mean(reached)
        for mode in MODES:
            runs = [r[mode] for r in per_seed]
            first = statistics.mean(r.test_accuracy[0] for r in runs)
            final = statistics.mean(r.final_accuracy for r in runs)
            finals[n, mode] = final
            print(f"{n:>6}  {mode:<9} {runs[0].trainable:>9,} {first:>8.3f} {final:>8.3f} "
                  f"{runs[0].steps:>6} {statistics.mean(r.elapsed_s for r in runs):>7.1f}")
    parts = [f"{n} labels: scratch {finals[n, 'scratch']:.1%}, frozen {finals[n, 'frozen']:.1%}, "
             f"fine-tuned {finals[n, 'finetune']:.1%}" for n in args.labels]
    print("summary (equal steps): " + "; ".join(parts))
    parts = [f"{n} labels, {budgets[n]:.1f} s: scratch {at_budget[n, 'scratch']:.1%}, frozen "
             f"{at_budget[n, 'frozen']:.1%}, fine-tuned {at_budget[n, 'finetune']:.1%}"
             for n in args.labels]
    print("summary (equal training time, the quickest run's): " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
