"""The background workers: the one every training page uses, and one for downloads.

`TrainWorker` runs a job (a callable `job(on_step, control) -> TrainResult`, typically
`functools.partial(engine.train.fit, config, model, train, test, snapshot_fn=...)`) in a
QThread. It batches the engine's per-step events and emits them at most every `emit_interval_s`
(~30 times a second unless the page asks for fewer), so the window never drowns in signals;
epoch events, snapshots and the last step always go out.
`TrainRunner` owns the thread: start, pause, resume, and `stop_and_wait()` for closeEvent.
`BackgroundCall` runs one other long call (a download) the same way, with progress and cancel.
Each run's signals reach the runner through a `_RunRelay` of its own, which drops them once the
runner has let that run go: a stopped run's queued signals never reach the next run.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.train import TrainControl, TrainEvent, TrainResult, preload
from gui import torch_threads

EMIT_INTERVAL_S = 1 / 30


def _thread_for(worker: QObject, done) -> QThread:
    """A QThread (not started) that runs `worker.run`, quits when the worker's `done` signal
    fires (after the slots already connected to it) and deletes itself and the worker then."""
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    done.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    return thread


class TrainWorker(QObject):
    progress = Signal(object)   # list[TrainEvent] since the last emit (copies, no tensors)
    finished = Signal(object)   # TrainResult, whatever the outcome ("finished", "stopped", ...)
    failed = Signal(str)        # an unexpected error, as a message for the user

    def __init__(self, job: Callable[..., TrainResult], control: TrainControl | None = None,
                 emit_interval_s: float = EMIT_INTERVAL_S):
        super().__init__()
        self.job = job
        self.control = control or TrainControl()
        self.emit_interval_s = emit_interval_s
        self._pending: list[TrainEvent] = []
        self._last_emit = 0.0

    def _on_step(self, event: TrainEvent) -> bool:
        self._pending.append(event)
        now = time.perf_counter()
        if (event.kind != "step" or event.snapshot is not None or event.step == event.total_steps
                or now - self._last_emit >= self.emit_interval_s):
            self._flush(now)
        return not self.control.stopped

    def _flush(self, now: float | None = None) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.progress.emit(batch)
        self._last_emit = time.perf_counter() if now is None else now

    @Slot()
    def run(self) -> None:
        torch_threads.for_training()
        try:
            result = self.job(self._on_step, self.control)
        except Exception as exc:  # never let a worker exception reach Qt
            traceback.print_exc()
            self._flush()
            self.failed.emit(f"Training failed: {type(exc).__name__}: {exc}")
            self.finished.emit(TrainResult("failed", str(exc)))
            return
        self._flush()
        self.finished.emit(result)


class _RunRelay(QObject):
    """Lives in the GUI thread and passes one run's signals to its runner while that run is the
    runner's current one. After `stop_and_wait()` the old worker's queued signals (its last
    progress, its finished) still arrive; `release()` makes them land here and go no further,
    so they cannot touch the thread or the page of a run started in the meantime."""

    def __init__(self, runner: "TrainRunner"):
        super().__init__(runner)
        self.runner: TrainRunner | None = runner

    def release(self) -> None:
        self.runner = None
        self.deleteLater()   # queued after the worker's signals already posted: they come first

    @Slot(object)
    def on_progress(self, events) -> None:
        if self.runner is not None:
            self.runner.progress.emit(events)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        if self.runner is not None:
            self.runner.failed.emit(message)

    @Slot(object)
    def on_finished(self, result) -> None:
        if self.runner is not None:
            self.runner._on_finished(self, result)


class TrainRunner(QObject):
    """Owns one worker and its QThread at a time. Connect to its signals, not the worker's:
    the keyword arguments connect the usual four at once.

    `emit_interval_s`: the least time between two progress signals. Each one wakes the GUI
    thread, which then takes the GIL from the training thread; a page that redraws only every
    few hundred ms gains nothing from more frequent batches."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    runningChanged = Signal(bool)

    def __init__(self, parent=None, *, on_progress=None, on_finished=None, on_failed=None,
                 on_running=None, emit_interval_s: float = EMIT_INTERVAL_S):
        super().__init__(parent)
        # torch.optim's imports (engine.train.preload) now, while the page that trains is being
        # built (the window then freezes what they made): in the background they slowed every
        # step of a freshly opened page about 4x for 2 s; left to the first run, they delayed
        # its first step and made the next collections stall the window
        preload()
        self.emit_interval_s = emit_interval_s
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._relay: _RunRelay | None = None
        for signal, slot in ((self.progress, on_progress), (self.finished, on_finished),
                             (self.failed, on_failed), (self.runningChanged, on_running)):
            if slot is not None:
                signal.connect(slot)

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._worker is not None and self._worker.control.paused

    def start(self, job: Callable[..., TrainResult]) -> None:
        if self.running:
            raise RuntimeError("a training run is already in progress")
        worker = TrainWorker(job, emit_interval_s=self.emit_interval_s)
        relay = _RunRelay(self)
        worker.progress.connect(relay.on_progress)
        worker.failed.connect(relay.on_failed)
        worker.finished.connect(relay.on_finished)
        thread = _thread_for(worker, worker.finished)
        self._thread, self._worker, self._relay = thread, worker, relay
        thread.start()
        self.runningChanged.emit(True)

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.control.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.control.resume()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.control.stop()

    def stop_and_wait(self, timeout_ms: int = 10000) -> None:
        """Stop the run and block until its thread has ended (for closeEvent)."""
        thread = self._thread
        if thread is None:
            return
        self.stop()
        thread.quit()
        thread.wait(timeout_ms)
        self._relay.release()   # its worker's finished, already queued, must not reach a new run
        self._thread, self._worker, self._relay = None, None, None
        self.runningChanged.emit(False)

    def _on_finished(self, relay: _RunRelay, result) -> None:
        """The current run's worker finished (`relay`: its run; a released one never calls)."""
        if relay is not self._relay:
            return
        relay.release()
        thread = self._thread
        self._thread, self._worker, self._relay = None, None, None
        if thread is not None:
            thread.quit()
            thread.wait(2000)
        self.finished.emit(result)
        self.runningChanged.emit(False)


class _CallWorker(QObject):
    progress = Signal(int, int, str)
    done = Signal(object, str)       # (result, "") or (None, the error as one sentence)

    def __init__(self, call: Callable):
        super().__init__()
        self.call = call
        self.cancelled = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            result = self.call(self.progress.emit, self.cancelled.is_set)
        except Exception as exc:  # DatasetError, WeightsError, a cancel, anything: a message
            self.done.emit(None, str(exc) or type(exc).__name__)
            return
        self.done.emit(result, "")


class BackgroundCall(QObject):
    """One long call (a download) in a QThread of its own, only when the user asks.

    `start(call)` runs `call(progress, should_stop)`: the call reports
    `progress(done, total, text)` (total 0 when unknown) and stops between chunks once
    `should_stop()` is true (`cancel()`). `finished(result)` or `failed(message)` come back in
    the GUI thread; `stop_and_wait()` is for the window closing."""

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _CallWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, call: Callable) -> None:
        if self.running:
            return
        worker = _CallWorker(call)
        worker.progress.connect(self.progress)
        worker.done.connect(self._on_done)
        thread = _thread_for(worker, worker.done)
        self._thread, self._worker = thread, worker
        thread.start()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancelled.set()

    @Slot(object, str)
    def _on_done(self, result, error: str) -> None:
        thread = self._thread
        self._thread, self._worker = None, None
        if thread is not None:
            thread.quit()
            thread.wait(5000)
        if error:
            self.failed.emit(error)
        else:
            self.finished.emit(result)

    def stop_and_wait(self, timeout_ms: int = 10000) -> None:
        thread = self._thread
        if thread is not None:
            self.cancel()
            thread.quit()
            thread.wait(timeout_ms)
            self._thread, self._worker = None, None
