"""What the "Dying ReLU" tab runs in the background: `DyingReluJob` (no Qt).

It runs engine.dying_relu.dying_relu_experiment once per activation (ReLU, then Leaky ReLU, the
same seed, data and learning rate) for gui.workers.TrainRunner: it is the
`job(on_step, control) -> TrainResult` callable. Each measurement becomes a `DeadShareEvent`;
when one activation's run ends, an event of kind "curve" carries its whole DeadUnitCurve
(step 0, the losses, how it ended), which the page draws in place of the live points.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.dying_relu import DeadUnitCurve, DyingReluConfig, dying_relu_experiment
from engine.train import TrainControl, TrainResult

ACTIVATIONS = ("relu", "leaky_relu")
# The page's run: the engine's default (lr 0.2, seed 0), measured a little more often for
# smoother live curves. Measured: ReLU ends at 52% test accuracy with half its last hidden layer
# dead; Leaky ReLU at 78%. At lr 0.25 and 0.3 the Leaky run diverges (NaN loss).
PAGE_CONFIG = DyingReluConfig(lr=0.2, record_every=20)


@dataclass
class DeadShareEvent:
    """One measurement (the fields gui.workers.TrainWorker reads come first)."""
    kind: str                      # "step" (a live measurement) or "curve" (a run has ended)
    step: int                      # the training step measured at
    total_steps: int               # steps of one activation's run
    activation: str                # "relu" or "leaky_relu"
    dead: dict[str, float]         # layer -> share of units never positive on the probe images
    curve: DeadUnitCurve | None = None   # kind "curve": the whole run
    snapshot: dict | None = None   # unused


@dataclass
class DyingReluJob:
    config: DyingReluConfig
    curves: dict[str, DeadUnitCurve] = dataclasses.field(default_factory=dict, init=False)

    def __call__(self, on_step, control: TrainControl) -> TrainResult:
        cfg = self.config
        status = "finished"
        for activation in ACTIVATIONS:
            if control.stopped:
                status = "stopped"
                break

            def on_record(act, step, dead):
                event = DeadShareEvent("step", step, cfg.steps + 1, act, dict(dead))
                return bool(on_step(event)) and not control.stopped

            curve = dying_relu_experiment(cfg, (activation,), on_record)[activation]
            self.curves[activation] = curve
            on_step(DeadShareEvent("curve", curve.steps[-1], cfg.steps + 1, activation,
                                   {k: v[-1] for k, v in curve.dead.items()}, curve))
            if curve.status == "stopped":
                status = "stopped"
                break
        return TrainResult(status, summary(self.curves, status),
                           steps=sum(c.steps[-1] for c in self.curves.values()))


def summary(curves: dict[str, DeadUnitCurve], status: str) -> str:
    """One sentence on how the runs ended (a NaN loss named as such)."""
    parts = []
    for activation, curve in curves.items():
        name = "ReLU" if activation == "relu" else "Leaky ReLU"
        if curve.status == "diverged":
            parts.append(f"{name}: the loss became NaN or infinite after step {curve.steps[-1]}"
                         " and training stopped; try a lower learning rate")
        else:
            parts.append(f"{name}: {curve.status}, test accuracy {curve.test_accuracy:.0%}")
    text = "; ".join(parts) or "Nothing trained yet"
    return text + (" (stopped)." if status == "stopped" else ".")
