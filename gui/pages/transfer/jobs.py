"""What the Transfer learning page trains in the background.

`TrainingJob` trains one or more runs one after the other with `engine.train.fit`, for
`gui.workers.TrainRunner` (it is the `job(on_step, control)` callable). Its events are
`RunEvent`s: a TrainEvent plus the name of the run and the epoch the run's curve starts at, so
the page draws each run's curve. After the job the trained models are in `job.models`.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from engine.train import TrainConfig, TrainEvent, TrainResult, fit


@dataclass
class RunEvent(TrainEvent):
    run: str = ""          # which curve: "scratch", "frozen", "finetune" or "frozen+finetune"
    epoch_offset: int = 0  # epochs already on that curve before this stage (the notes' stage 2)


@dataclass
class RunSpec:
    run: str                 # the curve it draws
    model: nn.Module         # prepared: head replaced, requires_grad set
    config: TrainConfig      # its learning rate, epochs, batch
    epoch_offset: int = 0    # where its curve starts (stage 2 continues stage 1's curve)


class TrainingJob:
    """Runs `specs` in order on the same data; stops them all when the control is stopped."""

    def __init__(self, specs: list[RunSpec], train, test):
        self.specs, self.train, self.test = specs, train, test
        self.models: dict[str, nn.Module] = {}

    def __call__(self, on_step, control) -> TrainResult:
        result = TrainResult("finished", "Nothing to train.")
        for spec in self.specs:
            def tagged(event: TrainEvent, spec=spec):
                return on_step(RunEvent(**vars(event), run=spec.run,
                                        epoch_offset=spec.epoch_offset))

            result = fit(spec.config, spec.model, self.train, self.test, tagged, control)
            self.models[spec.run] = spec.model
            if result.status != "finished":
                break
        return result


