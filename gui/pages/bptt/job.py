"""What the Gradients-through-time page runs in the background: `BpttJob`.

It steps an `engine.bptt.BpttExperiment` (a plain RNN, an LSTM and a GRU on the same adding-task
batches) for `gui.workers.TrainRunner`: it is the `job(on_step, control) -> TrainResult` callable.
Every step becomes one `BpttEvent` of plain numbers (each cell's loss, total gradient norm before
and after clipping); every few steps the event also carries ‖∂L/∂hₜ‖ on the page's fixed probe
sequence and the recurrent weights' spectral radii, computed here in the worker thread so that
the page never reads weights that are being trained. No Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from engine.bptt import BpttExperiment, CellStep, hidden_grad_norms
from engine.train import TrainControl, TrainResult

PROBE_EVERY = 5   # training steps between two probe curves (each costs one more pass per cell)


@dataclass
class BpttEvent:
    """One training step of every cell (the fields gui.workers.TrainWorker reads come first)."""
    kind: str                        # always "step"
    step: int                        # training step of the experiment, 1-based
    total_steps: int                 # the step this run stops at
    results: dict[str, CellStep]     # cell -> its step (loss, grad norms, status)
    probe: dict[str, np.ndarray] | None = None  # cell -> (T,) ‖∂L/∂hₜ‖ on the probe sequence
    radii: dict[str, dict[str, float]] | None = None  # cell -> {gate: ρ of its W_hh block}
    snapshot: dict | None = None     # unused: the worker flushes early for snapshots
    run: int = 0                     # which experiment of the page it comes from


def probe_norms(experiment: BpttExperiment, probe: tuple[torch.Tensor, torch.Tensor]
                ) -> dict[str, np.ndarray]:
    """{cell: (T,) ‖∂L/∂hₜ‖₂} of every model on one sequence x (1, T, 2), y (1, 1)."""
    x, y = probe
    return {cell: hidden_grad_norms(model.rnn, model.head, x, y)
            for cell, model in experiment.models.items()}


@dataclass
class BpttJob:
    """Runs `steps` more training steps of `experiment`; stops when the control says so.

    The page may change `experiment.config.clip` / `.clip_threshold` while it runs: the
    experiment reads them at the start of every step."""
    experiment: BpttExperiment
    probe: tuple[torch.Tensor, torch.Tensor]   # the sequence the curve is drawn for
    steps: int                                 # training steps of this run
    probe_every: int = PROBE_EVERY
    run: int = 0                               # handed on in every event
    last: BpttEvent | None = field(default=None, init=False)

    def __call__(self, on_step, control: TrainControl) -> TrainResult:
        exp = self.experiment
        first = exp.steps + 1
        total = exp.steps + self.steps
        status = "finished"
        while exp.steps < total:
            control.wait_while_paused()
            if control.stopped:
                status = "stopped"
                break
            results = exp.step()
            event = BpttEvent("step", exp.steps, total, results, run=self.run)
            if exp.steps == first or exp.steps == total or exp.steps % self.probe_every == 0:
                event.probe = probe_norms(exp, self.probe)
                event.radii = exp.radii()
            self.last = event
            if not on_step(event):
                status = "stopped"
                break
            if all(s != "ok" for s in exp.status.values()):
                status = "diverged"
                break
        return TrainResult(status, self.summary(status), steps=exp.steps - first + 1)

    def summary(self, status: str) -> str:
        """One sentence for the status bar: how far the run got and each cell's last loss."""
        exp = self.experiment
        if self.last is None:
            return "Nothing trained."
        losses = ", ".join(f"{cell.upper()} {_loss(r)}" for cell, r in self.last.results.items())
        verb = {"finished": "Trained to", "stopped": "Stopped at",
                "diverged": "Every cell diverged by"}
        return f"{verb.get(status, status)} step {exp.steps}: loss {losses}."


def _loss(result: CellStep) -> str:
    return f"{result.loss:.4f}" if math.isfinite(result.loss) else "diverged"
