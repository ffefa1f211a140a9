"""Torch's CPU threads: one for the GUI thread, every core for a training run.

`torch.set_num_threads` sets the count of the OS thread that calls it (once that thread has
asked for its count, which locks it in) and the count later threads start with. What the GUI
thread computes is small: one digit through a small CNN, one kernel window, one LSTM step.
There a second OpenMP thread only spins, against the event loop and against a training run
for the same cores, and the Draw page's stroke-to-prediction time doubles at its tail
(benchmarks/draw_latency.py measures both counts side by side). So the GUI thread keeps one
thread, and each training worker takes back the count torch chose for the machine.
"""
from __future__ import annotations

import torch

TRAINING_THREADS = torch.get_num_threads()   # torch's own choice for this machine


def for_gui_thread() -> None:
    """Call from the GUI thread: its torch work runs on one thread from now on."""
    torch.set_num_threads(1)
    torch.get_num_threads()      # lock the count in for this thread before a worker changes it


def for_training() -> None:
    """Call first thing in a training worker's thread: its torch work uses every core."""
    torch.set_num_threads(TRAINING_THREADS)
    torch.get_num_threads()
