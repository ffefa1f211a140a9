"""The Train a CNN page's run bar: Start / Pause / Stop, the run's progress, Save / Load.

The page connects the buttons; `show_progress(percent)` sets the bar without the synchronous
repaint QProgressBar.setValue does for a large change (in the Start click that painted every
pending change of the window at once, before the page's own repaint painted them again).
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from gui.pages.train_cnn.checkpoints import CheckpointButtons


class RunBar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.setToolTip("Train a new network from its seeded initial weights with "
                                     "the settings on the left")
        self.pause_button.setToolTip("Pause the run, or resume it where it paused")
        self.stop_button.setToolTip("End the run now; the model trained so far is kept (and can "
                                    "be saved)")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%p%")
        self.checkpoints = CheckpointButtons()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.start_button, self.pause_button, self.stop_button):
            row.addWidget(w)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.checkpoints)

    def show_progress(self, percent: int) -> None:
        """The bar at `percent`, painted with the rest of the window in the next event-loop pass."""
        bar = self.progress_bar
        bar.setUpdatesEnabled(False)   # setValue's repaint() does nothing while updates are off
        bar.setValue(percent)
        bar.setUpdatesEnabled(True)    # schedules an ordinary update() of the bar
