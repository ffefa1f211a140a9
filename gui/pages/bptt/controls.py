"""`BpttControls`: the left column of the Gradients-through-time page.

1. the recurrent weights: the spectral radius every W_hh block is scaled to (a slider and a spin
   box; at 0 PyTorch's own initialisation is kept) with the radii the models really have next to
   it, and the plain RNN's activation; 2. the sequence length T; 3. clipping by norm and its
   threshold; 4. the optimiser, learning rate, steps per run and seed; then Start / Stop / Reset.
Every setting is a field of `BpttSettings` bound to its control (gui.bind), so state() round-trips.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from gui.bind import Bindings

MAX_SCALE = 4.0
SLIDER_STEPS = 100          # slider positions per unit of the scale


@dataclass
class BpttSettings:
    weight_scale: float = 0.0       # ρ of every W_hh block; 0: PyTorch's initialisation as it is
    activation: str = "tanh"        # the plain RNN's nonlinearity: "tanh" or "relu"
    seq_len: int = 50               # T, steps of every adding-task sequence
    clip: bool = True               # clip each update's gradient by its norm
    clip_threshold: float = 1.0     # the largest gradient norm an update may have
    optimizer: str = "adam"         # "adam" or "sgd"
    lr: float = 0.01                # learning rate
    steps: int = 1500               # training steps one Start runs
    seed: int = 0                   # seeds the data and the three cells' initial weights


def _spin(minimum, maximum, tip, decimals=None, step=None, special=""):
    box = QDoubleSpinBox(decimals=decimals) if decimals is not None else QSpinBox()
    box.setRange(minimum, maximum)
    if step is not None:
        box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)
    box.setToolTip(tip)
    return box


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


class BpttControls(QWidget):
    def __init__(self, settings: BpttSettings, changed, parent=None):
        super().__init__(parent)
        self._changed = changed
        self.bind = Bindings(settings, self._on_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._weights_box())
        layout.addWidget(self._sequence_box())
        layout.addWidget(self._training_box())
        layout.addLayout(self._buttons())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setToolTip("How far training got, or why a cell stopped")
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        layout.addWidget(self.status)
        layout.addStretch(1)

    # -- the groups -------------------------------------------------------------------------------
    def _weights_box(self) -> QGroupBox:
        box = QGroupBox("1. Recurrent weights Wₕ")
        column = QVBoxLayout(box)
        self.scale = self.bind.spin("weight_scale", _spin(
            0.0, MAX_SCALE, "The spectral radius ρ (largest |eigenvalue|) every recurrent "
            "block Wₕ (PyTorch's weight_hh) is scaled to: the factor each step multiplies the "
            "carried gradient by, before the activation's slope. Lowest value: keep "
            "PyTorch's initialisation",
            decimals=2, step=0.05, special="PyTorch init"))
        self.slider = QSlider(Qt.Horizontal, minimum=0, maximum=round(MAX_SCALE * SLIDER_STEPS))
        self.slider.setToolTip("Drag to scale the recurrent weights: ρ < 1 the gradient "
                               "vanishes backwards through time, ρ > 1 it can explode")
        self.slider.setValue(round(self.scale.value() * SLIDER_STEPS))
        self.slider.valueChanged.connect(self._slider_moved)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.scale)
        column.addLayout(row)
        self.radius = QLabel("")
        self.radius.setWordWrap(True)
        self.radius.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.radius.setToolTip("The spectral radius ρ(Wₕ) the three models have now "
                               "(for the LSTM and GRU the largest of their gate blocks), from "
                               "engine.bptt.recurrent_radii; it drifts while they train")
        column.addWidget(self.radius)
        form = QFormLayout()
        self.activation = self.bind.combo("activation", QComboBox(), {"tanh": "tanh",
                                                                      "relu": "ReLU"})
        self.activation.setToolTip("The plain RNN's nonlinearity: tanh's slope is at most 1 "
                                   "(it only shrinks the factor), ReLU's is 1 where it is on")
        form.addRow("Plain RNN activation", self.activation)
        column.addLayout(form)
        return box

    def _sequence_box(self) -> QGroupBox:
        box = QGroupBox("2. Sequence and clipping")
        form = QFormLayout(box)
        self.seq_len = self.bind.spin("seq_len", _spin(
            5, 200, "T, the steps of every adding-task sequence: the two marked numbers can be "
            "far apart, so the gradient has to travel back up to T steps"))
        form.addRow("Sequence length T", self.seq_len)
        self.clip = self.bind.check("clip", QCheckBox("Clip by norm"))
        self.clip.setToolTip("Rescale every update's gradient g to threshold · g/‖g‖ when "
                             "‖g‖ is larger (torch.nn.utils.clip_grad_norm_); can be changed "
                             "while training")
        self.threshold = self.bind.spin("clip_threshold", _spin(
            0.01, 100.0, "The largest gradient norm an update may have when clipping is on",
            decimals=2, step=0.1))
        form.addRow(self.clip, self.threshold)
        return box

    def _training_box(self) -> QGroupBox:
        box = QGroupBox("3. Training (all three alike)")
        form = QFormLayout(box)
        self.optimizer = self.bind.combo("optimizer", QComboBox(), {"adam": "Adam", "sgd": "SGD"})
        self.optimizer.setToolTip("The optimiser of every cell (each has its own)")
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.bind.spin("lr", _spin(
            1e-4, 1.0, "The learning rate of every cell", decimals=4, step=0.005)))
        form.addRow("Steps per run", self.bind.spin("steps", _spin(
            1, 20000, "How many training steps (batches of 16 sequences) one Start runs; "
            "Start again to go on", step=100)))
        form.addRow("Seed", self.bind.spin("seed", _spin(
            0, 9999, "Seeds the adding-task data and the initial weights (all three cells "
            "start from the same seed)")))
        return box

    def _buttons(self) -> QHBoxLayout:
        self.start = _button("Start", "Train the three cells side by side on the same batches "
                                      "(continues from where the last run stopped)")
        self.stop = _button("Stop", "Stop training after the current step")
        self.reset_button = _button("Reset", "Fresh untrained models with these settings")
        row = QHBoxLayout()
        for button in (self.start, self.stop, self.reset_button):
            row.addWidget(button)
        return row

    # -- the slider follows the spin box, and drives it ----------------------------------------------
    def _slider_moved(self, value: int) -> None:
        self.scale.setValue(value / SLIDER_STEPS)

    def _on_changed(self, name: str) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(self.scale.value() * SLIDER_STEPS))
        self._changed(name)

    def set_radii(self, radii: dict[str, dict[str, float]]) -> None:
        """Show {cell: {gate: ρ}} (from engine.bptt.recurrent_radii)."""
        parts = [f"{cell.upper()} {max(gates.values()):.3f}" for cell, gates in radii.items()]
        self.radius.setText("ρ(Wₕ) now: " + " · ".join(parts))

    def set_running(self, running: bool) -> None:
        """While training, only clipping can change (the experiment reads it every step)."""
        live = {"clip", "clip_threshold"}
        for name, widget in self.bind.widgets().items():
            widget.setEnabled(not running or name in live)
        self.slider.setEnabled(not running)
        self.start.setEnabled(not running)
        self.stop.setEnabled(running)
        self.reset_button.setEnabled(not running)
