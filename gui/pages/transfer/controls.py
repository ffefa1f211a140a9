"""`TransferControls`: the left column of the Transfer learning page.

1. the pretrained network (the shipped digit backbone, or torchvision's ResNet-18 / VGG16 when
   their ImageNet weights are cached, with a cancellable download), 2. what trains (from
   scratch / frozen / fine-tuned), 3. the training settings, and the buttons that start runs.
Every control is bound to a field of `TransferSettings` (gui.bind), so state() round-trips.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QRadioButton,
                               QSpinBox, QVBoxLayout, QWidget)

from engine.transfer import BASES, MODE_LABELS, TransferConfig
from gui.bind import Bindings

DEFAULTS = TransferConfig()


@dataclass
class TransferSettings:
    base: str = "backbone"                 # the pretrained network (a key of engine BASES)
    mode: str = "frozen"                   # the run the layers and the code show
    n_train: int = DEFAULTS.n_train        # labelled training shapes
    epochs: int = DEFAULTS.epochs          # epochs of every run (equal steps)
    lr: float = DEFAULTS.lr                # learning rate: from scratch and the new head
    finetune_lr: float = DEFAULTS.finetune_lr  # lower learning rate for fine-tuning
    seed: int = DEFAULTS.seed              # seeds the shapes, the new head and the shuffling


MODE_TIPS = {
    "scratch": "The same network with fresh random weights: every layer trains, nothing is "
               "transferred",
    "frozen": "Keep every pretrained layer as it is (requires_grad = False) and train only a "
              "new head for the shapes",
    "finetune": "A new head, and the last conv block unfrozen too, trained with a lower "
                "learning rate",
}


def _spin(minimum, maximum, tip, double=False, step=None):
    box = QDoubleSpinBox(decimals=4) if double else QSpinBox()
    box.setRange(minimum, maximum)
    if step is not None:
        box.setSingleStep(step)
    box.setToolTip(tip)
    return box


class TransferControls(QWidget):
    def __init__(self, settings: TransferSettings, changed, parent=None):
        super().__init__(parent)
        self.bind = Bindings(settings, changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._base_box())
        layout.addWidget(self._mode_box())
        layout.addWidget(self._training_box())
        layout.addLayout(self._buttons())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def _base_box(self) -> QGroupBox:
        box = QGroupBox("1. Pretrained network")
        form = QVBoxLayout(box)
        self.base = self.bind.combo("base", QComboBox(), BASES)
        self.base.setToolTip("The network trained on another task whose layers are reused: "
                             "the shipped digit net, or an ImageNet net from torchvision")
        self.weights = QLabel("")
        self.weights.setWordWrap(True)
        self.download = QPushButton("Download ImageNet weights")
        self.download.setToolTip("Fetch the weights from download.pytorch.org into the torch "
                                 "hub cache (only when you ask)")
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the download; nothing is left behind")
        self.progress = QProgressBar()
        self.progress.setToolTip("Downloaded so far")
        row = QHBoxLayout()
        row.addWidget(self.download, 1)
        row.addWidget(self.cancel)
        for widget in (self.base, self.weights):
            form.addWidget(widget)
        form.addLayout(row)
        form.addWidget(self.progress)
        return box

    def _mode_box(self) -> QGroupBox:
        box = QGroupBox("2. What trains")
        column = QVBoxLayout(box)
        group = QButtonGroup(self)
        self.mode_buttons = {}
        for mode, label in MODE_LABELS.items():
            button = QRadioButton(label)
            button.setToolTip(MODE_TIPS[mode])
            group.addButton(button)
            column.addWidget(button)
            self.mode_buttons[mode] = button
        self.bind.radio("mode", group, self.mode_buttons)
        return box

    def _training_box(self) -> QGroupBox:
        box = QGroupBox("3. Training (the same for every run)")
        form = QFormLayout(box)
        fields = (
            ("n_train", "Labelled shapes", _spin(16, 4000, "How many labelled training shapes "
                                                 "every run sees (the few labels)")),
            ("epochs", "Epochs", _spin(1, 100, "Passes over the labelled shapes; every run "
                                       "takes the same number of steps")),
            ("lr", "Learning rate", _spin(1e-4, 0.1, "Adam's learning rate for the run from "
                                          "scratch and for the new head", True, 5e-4)),
            ("finetune_lr", "Fine-tune rate", _spin(1e-5, 0.1, "The lower learning rate of "
                                                    "fine-tuning: small steps keep the "
                                                    "pretrained filters", True, 5e-4)),
            ("seed", "Seed", _spin(0, 9999, "Seeds the shapes, the new head's weights and the "
                                   "order of the batches")),
        )
        for name, label, widget in fields:
            form.addRow(label, self.bind.spin(name, widget))
        return box

    def _buttons(self) -> QVBoxLayout:
        self.train_selected = QPushButton("Train selected")
        self.train_selected.setToolTip("Train the run chosen in 2. on the labelled shapes")
        self.compare = QPushButton("Compare all 3")
        self.compare.setToolTip("Train from scratch, frozen and fine-tuned one after the other "
                                "and draw their curves on one plot")
        self.stage_two = QPushButton("Then unfreeze the last block and fine-tune")
        self.stage_two.setToolTip("The notes' second stage: continue the frozen run's model "
                                  "(its trained head kept) with the last block unfrozen, at "
                                  "the fine-tune rate")
        self.stop = QPushButton("Stop")
        self.stop.setToolTip("Stop training after the current step")
        column = QVBoxLayout()
        row = QHBoxLayout()
        for button in (self.train_selected, self.compare, self.stop):
            row.addWidget(button)
        column.addLayout(row)
        column.addWidget(self.stage_two)
        return column

    def set_running(self, running: bool, stage_two_ready: bool, can_train: bool) -> None:
        for button in (self.train_selected, self.compare):
            button.setEnabled(can_train and not running)
        self.stage_two.setEnabled(can_train and stage_two_ready and not running)
        self.stop.setEnabled(running)
        for widget in self.bind.widgets().values():
            widget.setEnabled(not running)
        for button in self.mode_buttons.values():
            button.setEnabled(not running)

    def set_weights(self, text: str, downloadable: bool, downloading: bool) -> None:
        self.weights.setText(text)
        self.download.setVisible(downloadable or downloading)
        self.download.setEnabled(downloadable and not downloading)
        self.cancel.setVisible(downloading)
        self.progress.setVisible(downloading)
