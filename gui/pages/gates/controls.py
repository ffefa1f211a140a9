"""The Gates page's controls: the sentence row, clamping an LSTM gate, retraining the cell."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QRadioButton, QSpinBox, QWidget,
)

from gui import style

from gui.pages.gates.reading import CLAMPS


class ClampBox(QGroupBox):
    """Choose a gate value to force from the current token on; `clampRequested` / `released`."""

    clampRequested = Signal()
    released = Signal()

    def __init__(self, parent=None):
        super().__init__("Intervene (LSTM)", parent)
        self.choice = QComboBox()
        self.choice.addItems([text for _g, _v, text in CLAMPS])
        self.choice.setToolTip("Which gate to force, and to what")
        self.clamp_button = QPushButton("Clamp from this token")
        self.clamp_button.setToolTip("Force the gate from the current token to the end and see "
                                     "what the cell state and the prediction do")
        self.clamp_button.clicked.connect(self.clampRequested)
        self.release_button = QPushButton("Release")
        self.release_button.setToolTip("Back to the model's own computation")
        self.release_button.clicked.connect(self.released)
        self.unit_only = QCheckBox("only the selected unit")
        self.unit_only.setToolTip("Clamp the gate of the selected unit alone, not of all units")
        self.summary = QLabel("No intervention: the model's own computation.")
        self.summary.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.choice, 0, 0, 1, 2)
        layout.addWidget(self.clamp_button, 1, 0)
        layout.addWidget(self.release_button, 1, 1)
        layout.addWidget(self.unit_only, 2, 0, 1, 2)
        layout.addWidget(self.summary, 3, 0, 1, 2)


class RetrainBox(QGroupBox):
    """Train a fresh model of the shown cell type on generated sentences; `retrainRequested`."""

    retrainRequested = Signal(int)
    stopRequested = Signal()

    def __init__(self, parent=None):
        super().__init__("Train", parent)
        self.epochs = QSpinBox(minimum=1, maximum=20, value=3, suffix=" epochs")
        self.epochs.setToolTip("Passes over the 4000 generated training sentences")
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setToolTip("Train a fresh model of this cell type on 4000 generated "
                                       "sentences (it replaces the shipped one until you restart)")
        self.retrain_button.clicked.connect(lambda: self.retrainRequested.emit(self.epochs.value()))
        self.stop_button = QPushButton("Stop", enabled=False)
        self.stop_button.setToolTip("Stop training; the shown model stays as it was")
        self.stop_button.clicked.connect(self.stopRequested)
        self.status = QLabel("Shipped model.")
        self.status.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.epochs, 0, 0)
        layout.addWidget(self.retrain_button, 0, 1)
        layout.addWidget(self.stop_button, 0, 2)
        layout.addWidget(self.status, 1, 0, 1, 3)

    def set_running(self, running: bool) -> None:
        self.retrain_button.setEnabled(not running)
        self.stop_button.setEnabled(running)


class SentenceRow(QWidget):
    """The sentence (typed, or one of the examples) and the cell type."""

    PRESETS = [
        "the food was good, not bad at all",
        "the food was bad, not good at all",
        "the film was never boring",
        "although the service was slow, the food was great",
        "the food was great but the service was slow",
        "the hotel was not very clean, it was dirty",
        "this camera is no longer slow",
        "the plot was terrible but the acting was really superb",
    ]

    def __init__(self, cells: dict[str, str], parent=None):
        super().__init__(parent)
        self.edit = style.set_role(QLineEdit(), "big")
        self.edit.setPlaceholderText("Type a sentence, e.g. the film was never boring")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("The sentence the model reads, one token per step; the maps follow "
                             "as you type")
        self.presets = QComboBox()
        self.presets.addItem("Examples…")
        self.presets.addItems(self.PRESETS)
        self.presets.setMaximumWidth(160)
        self.presets.setToolTip("Sentences the lecture uses: negations, 'but', 'although'")
        self.cell_group = QButtonGroup(self)
        self.cell_buttons: dict[str, QRadioButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.presets)
        for cell, label in cells.items():
            button = QRadioButton(label)
            button.setToolTip(f"Read the sentence with the shipped {label} sentiment model")
            self.cell_group.addButton(button)
            self.cell_buttons[cell] = button
            layout.addWidget(button)
