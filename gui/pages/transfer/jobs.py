"""What the Transfer learning page runs in the background: training runs and a weights download.

`TrainingJob` trains one or more runs one after the other with `engine.train.fit`, for
`gui.workers.TrainRunner` (it is the `job(on_step, control)` callable). Its events are
`RunEvent`s: a TrainEvent plus the name of the run and the epoch the run's curve starts at, so
the page draws each run's curve. After the job the trained models are in `job.models`.
`DownloadRunner` fetches torchvision weights in a QThread (engine.transfer.download_weights),
with progress and a cancel flag, so the window never waits on the network.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot
from torch import nn

from engine import transfer
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


class DownloadRunner(QObject):
    """Downloads one model's ImageNet weights in a QThread; `cancel()` stops between chunks."""

    progress = Signal(int, int)      # bytes done, bytes in all (0 when the server does not say)
    finished = Signal(str)           # the saved file
    failed = Signal(str)             # one sentence: offline, cancelled, corrupt

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _DownloadWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, name: str) -> None:
        if self.running:
            return
        thread, worker = QThread(), _DownloadWorker(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.done.connect(self._on_done)
        worker.done.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        self._thread, self._worker = thread, worker
        thread.start()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancelled.set()

    def stop_and_wait(self, timeout_ms: int = 5000) -> None:
        thread = self._thread
        if thread is not None:
            self.cancel()
            thread.quit()
            thread.wait(timeout_ms)
            self._thread, self._worker = None, None

    def _on_done(self, path: str, error: str) -> None:
        thread = self._thread
        self._thread, self._worker = None, None
        if thread is not None:
            thread.quit()
            thread.wait(2000)
        if error:
            self.failed.emit(error)
        else:
            self.finished.emit(path)


class _DownloadWorker(QObject):
    progress = Signal(int, int)
    done = Signal(str, str)          # (path, "") or ("", error message)

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.cancelled = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            path = transfer.download_weights(self.name, progress=self.progress.emit,
                                             cancel=self.cancelled.is_set)
        except transfer.WeightsError as exc:
            self.done.emit("", str(exc))
            return
        except Exception as exc:  # never let a worker exception reach Qt
            self.done.emit("", f"Download failed: {type(exc).__name__}: {exc}")
            return
        self.done.emit(str(path), "")
