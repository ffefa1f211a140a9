"""Where the Train a CNN page's images come from: downloads (in a thread of their own, only
when asked) and folders the user points at.

`DatasetSources` handles the data box's Download and Folder… buttons: it remembers a folder per
dataset in the settings (`folder(name)`), runs and cancels downloads, shows their progress, and
tells the page `message(text, level, cause)`, `notice(text)` and `changed()` (look again).
A download is `engine.data.download_dataset` in a `gui.workers.BackgroundCall` (a QThread);
Cancel stops it between chunks; `stop_and_wait()` is for the window closing.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from engine import data as datasets
from engine.data import DATASETS, DatasetError
from gui.workers import BackgroundCall


class DatasetSources(QObject):
    """The data box's Download / Cancel and Folder… buttons of `form` (controls.TrainControls),
    and the folder remembered for each dataset (QSettings "train_cnn/folder_<name>")."""

    message = Signal(str, str, object)   # text, level ("info", "error"), cause (None, "dataset"...)
    notice = Signal(str)              # for the status bar only
    changed = Signal()                # a download ended or a folder was set: look at the data again

    def __init__(self, form, qsettings: QSettings, parent=None):
        super().__init__(parent)
        self.form, self.qsettings = form, qsettings
        self.downloads = BackgroundCall(self)
        self.downloads.progress.connect(self._on_progress)
        self.downloads.finished.connect(lambda _root: self._on_done(""))
        self.downloads.failed.connect(self._on_done)
        form.download_button.clicked.connect(self.download_clicked)
        form.folder_button.clicked.connect(self.choose_folder)

    @property
    def downloading(self) -> bool:
        return self.downloads.running

    def folder(self, name: str) -> str | None:
        """The folder chosen for dataset `name`, None for the default places."""
        return self.qsettings.value(f"train_cnn/folder_{name}", "", type=str) or None

    def download_clicked(self) -> None:
        """Download the chosen dataset, or cancel the download running."""
        if self.downloads.running:
            self.downloads.cancel()
            return
        name = self.form.settings.dataset
        self.downloads.start(lambda progress, should_stop: datasets.download_dataset(
            name, datasets.CACHE_DIR, progress, should_stop))
        self.form.download_progress.setValue(0)
        self.form.download_progress.setVisible(True)
        self.notice.emit(f"Downloading {DATASETS[name].label} into {datasets.CACHE_DIR}…")
        self.changed.emit()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, filename: str) -> None:
        bar = self.form.download_progress
        bar.setMaximum(100 if total > 0 else 0)   # unknown size: a busy indicator
        if total > 0:
            bar.setValue(int(100 * done / total))
        bar.setFormat(f"{filename}: {done / 1e6:.1f} MB %p%")

    @Slot(str)
    def _on_done(self, error: str) -> None:
        self.form.download_progress.setVisible(False)
        if error:
            self.message.emit(error, "error", "download")
        else:
            self.message.emit(f"{DATASETS[self.form.settings.dataset].label} downloaded.",
                              "info", None)
        self.changed.emit()

    def choose_folder(self) -> None:
        name = self.form.settings.dataset
        title = f"Folder holding {DATASETS[name].label}"
        start = self.folder(name) or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self.form, title, start)
        if folder:
            self.set_folder(name, folder)

    def set_folder(self, name: str, folder: str | None) -> bool:
        """Use `folder` for dataset `name` when it holds that dataset (remembered), else say why."""
        try:
            datasets.describe_dataset(name, folder)
        except DatasetError as exc:
            self.message.emit(str(exc), "error", "dataset")
            return False
        self.qsettings.setValue(f"train_cnn/folder_{name}", folder or "")
        self.changed.emit()
        return True

    def stop_and_wait(self) -> None:
        self.downloads.stop_and_wait()
