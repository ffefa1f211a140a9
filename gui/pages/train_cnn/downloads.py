"""Dataset downloads for the Train a CNN page, in a thread of their own, only when asked.

`DownloadRunner.start(name)` runs `engine.data.download_dataset` in a QThread; `cancel()` stops
it between chunks; `progress(done, total, file)` and `done(error)` ("" on success) come back in
the GUI thread. `stop_and_wait()` is for the window closing.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import data as datasets


class DatasetDownloader(QObject):
    """The worker: engine.data.download_dataset, with cancel() checked between chunks."""

    progress = Signal(int, int, str)   # bytes done, bytes total (0: unknown), file name
    done = Signal(str)                 # "" on success, else the error message

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        try:
            datasets.download_dataset(self.name, datasets.CACHE_DIR, self.progress.emit,
                                      self._cancel.is_set)
        except Exception as exc:  # DatasetError, cancellation, anything: a message, no crash
            self.done.emit(str(exc) or type(exc).__name__)
            return
        self.done.emit("")


class DownloadRunner(QObject):
    progress = Signal(int, int, str)
    done = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: DatasetDownloader | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, name: str) -> None:
        if self.running:
            return
        thread = QThread()
        worker = DatasetDownloader(name)
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
            self._worker.cancel()

    @Slot(str)
    def _on_done(self, error: str) -> None:
        thread = self._thread
        self._thread, self._worker = None, None
        if thread is not None:
            thread.quit()
            thread.wait(5000)
        self.done.emit(error)

    def stop_and_wait(self, timeout_ms: int = 10000) -> None:
        self.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(timeout_ms)
            self._thread, self._worker = None, None
