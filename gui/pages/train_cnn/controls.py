"""The Train a CNN page's left column: the data, the network and the training recipe.

Every control is bound to a field of `TrainCnnSettings` (`gui.bind.Bindings`); a change calls
the page's `changed(name)`. The column only shows what the page tells it (`show_dataset`,
`show_model`, `show_model_error`, `show_device`); it loads and builds nothing itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from engine import data as datasets
from engine import models
from engine.data import DATASETS, DatasetInfo
from engine.train import SCHEDULES, available_devices
from engine.train_job import CNN_ARCHS, CnnRunConfig
from gui.bind import Bindings
from gui.widgets.layer_table import LayerTable

ERROR_STYLE = "color: #b00020; font-weight: bold;"
WARNING_STYLE = "color: #8a5a00;"
# the notes' own networks, where engine.models has them
PAGE_ARCHS = list(CNN_ARCHS) + [a for a in ("notes_mnist", "notes_cifar")
                                if a in models.ARCHITECTURES]
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU (slope 0.01)"}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD + momentum"}
# the lecture notes' recipe (their PyTorch CIFAR-10 tutorial): a preset of the Training box
NOTES_RECIPE = {"optimizer": "sgd", "lr": 0.001, "schedule": "constant", "momentum": 0.9,
                "batch_size": 4}
FOLDER_DATASETS = ("mnist", "fashion_mnist", "cifar10")   # readable from a folder of files


@dataclass
class TrainCnnSettings(CnnRunConfig):
    """The page's settings: the run's recipe exactly as engine.train_job.CnnRunConfig holds it
    (data, network with its activation, optimiser, device)."""


def _combo(choices: dict) -> QComboBox:
    """A combo with each choice's key as its item data (so `findData(key)` works)."""
    combo = QComboBox()
    # long names (the notes' networks) must not widen the column: the popup shows them whole
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    for key, text in choices.items():
        combo.addItem(text, key)
    return combo


def _pair(first: QWidget, label: str | None, second: QWidget, stretch: int = 1) -> QWidget:
    """Two controls on one form row (the column must fit a 720-pixel-high screen); with
    `stretch` 0 the second keeps its own width and the first takes the rest."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(first, 1)
    if label:
        line.addWidget(QLabel(label))
    line.addWidget(second, stretch)
    return row


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setContentsMargins(6, 4, 6, 4)
    form.setRowWrapPolicy(QFormLayout.DontWrapRows)
    return box, form


class TrainControls(QWidget):
    def __init__(self, settings: TrainCnnSettings, changed, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.bind = Bindings(settings, changed)
        b = self.bind
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)

        data_box, form = _form("Data")
        self.dataset_combo = b.combo("dataset", _combo({k: i.label for k, i in DATASETS.items()}),
                                     {k: i.label for k, i in DATASETS.items()})
        self.dataset_combo.setToolTip("Generated and scikit-learn digits are always there; "
                                      "MNIST, Fashion-MNIST and CIFAR-10 need a download")
        form.addRow("Dataset", self.dataset_combo)
        self.dataset_status = QLabel()
        self.dataset_status.setWordWrap(True)
        self.dataset_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.dataset_status)
        buttons = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip(f"Download into {datasets.CACHE_DIR}")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Use a folder holding the standard dataset files")
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.folder_button)
        form.addRow(buttons)
        self.download_progress = QProgressBar()
        self.download_progress.setVisible(False)
        form.addRow(self.download_progress)
        self.train_size_spin = b.spin("train_size", QSpinBox(
            minimum=0, maximum=60000, singleStep=1000, specialValueText="all"))
        self.train_size_spin.setToolTip("How many training images to learn from, a seeded random "
                                         "subset (\"all\": the whole training set)")
        form.addRow("Training images", self.train_size_spin)
        self.test_size_spin = b.spin("test_size", QSpinBox(
            minimum=0, maximum=10000, singleStep=500, specialValueText="all"))
        self.test_size_spin.setToolTip("Held-out images scored after every epoch for the test "
                                        "accuracy; never trained on (\"all\": the whole test set)")
        form.addRow("Test images", self.test_size_spin)
        col.addWidget(data_box)

        model_box, form = _form("Model")
        archs = {a: models.ARCHITECTURE_LABELS.get(a, a) for a in PAGE_ARCHS}
        self.arch_combo = b.combo("arch", _combo(archs), archs)
        self.arch_combo.setToolTip("The architecture to train; the Layers tab lists its layers, "
                                   "output shapes and parameters")
        form.addRow("Network", self.arch_combo)
        activations = {a: ACTIVATION_LABELS.get(a, a) for a in models.ACTIVATIONS}
        self.activation_combo = b.combo("activation", _combo(activations), activations)
        self.activation_combo.setToolTip("The non-linearity after every convolution and "
                                         "hidden layer; Leaky ReLU lets a little of x < 0 through")
        form.addRow("Activation", self.activation_combo)
        self.dropout_spin = b.spin("dropout", QDoubleSpinBox(minimum=0.0, maximum=0.9,
                                                             singleStep=0.1, decimals=2))
        self.dropout_spin.setToolTip("Probability p that nn.Dropout zeroes each unit of the "
                                     "classifier while training (none at test time); 0: off")
        form.addRow("Dropout", self.dropout_spin)
        self.batchnorm_check = b.check("batchnorm", QCheckBox("Batch normalisation"))
        self.batchnorm_check.setToolTip("A batch norm layer after every convolution (every "
                                        "hidden layer of the MLP): it rescales each channel to "
                                        "mean 0, variance 1 over the batch")
        form.addRow(self.batchnorm_check)
        # shown in the page's "Layers" tab: in this column it pushed the Training box below
        # the fold at 1280x720
        self.layer_table = LayerTable()
        self.total_label = QLabel()
        self.total_label.setWordWrap(True)
        form.addRow(self.total_label)
        col.addWidget(model_box)

        hyper_box, form = _form("Training")
        self.optimizer_combo = b.combo("optimizer", _combo(OPTIMIZERS), OPTIMIZERS)
        self.optimizer_combo.setToolTip("How each step moves the weights along the gradient: "
                                        "Adam adapts the step per weight; SGD uses the learning "
                                        "rate and momentum")
        form.addRow("Optimizer", self.optimizer_combo)
        lr = QDoubleSpinBox(minimum=1e-5, maximum=100.0, decimals=5)
        lr.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
        self.lr_spin = b.spin("lr", lr)
        self.lr_spin.setToolTip("Step size η (SGD: w ← w − η·∂L/∂w): too large "
                                "diverges, too small learns slowly. With one-cycle: its peak")
        self.schedule_combo = b.combo("schedule", _combo(SCHEDULES), SCHEDULES)
        self.schedule_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)   # its words whole
        self.schedule_combo.setMinimumContentsLength(0)
        self.schedule_combo.setToolTip("Constant: every step uses the learning rate. One-cycle "
                                       "(torch's OneCycleLR): the rate warms up to it over the "
                                       "first 30 % of the steps, then anneals to almost 0 by the "
                                       "last; it reaches the same accuracy in fewer epochs")
        form.addRow("Learning rate", _pair(self.lr_spin, None, self.schedule_combo, stretch=0))
        self.momentum_spin = b.spin("momentum", QDoubleSpinBox(minimum=0.0, maximum=0.99,
                                                               singleStep=0.05, decimals=2))
        self.momentum_spin.setToolTip("SGD only: how much of the last step each step keeps")
        form.addRow("Momentum", self.momentum_spin)
        self.batch_spin = b.spin("batch_size", QSpinBox(minimum=1, maximum=4096))
        self.batch_spin.setToolTip("Images per training step: one gradient step per batch")
        form.addRow("Batch size", self.batch_spin)
        self.epochs_spin = b.spin("epochs", QSpinBox(minimum=1, maximum=200))
        self.epochs_spin.setToolTip("Passes over the training images; the test accuracy is "
                                    "scored after each one")
        self.seed_spin = b.spin("seed", QSpinBox(minimum=0, maximum=999999))
        self.seed_spin.setToolTip("Seeds the initial weights, the shuffling and the subsets: "
                                  "the same seed gives the same run")
        form.addRow("Epochs", _pair(self.epochs_spin, "Seed", self.seed_spin))
        devices = {"auto": "Automatic", **{d: d.upper() for d in available_devices()}}
        self.device_combo = b.combo("device", _combo(devices), devices)
        self.device_combo.setToolTip("Where the training runs; Automatic picks a GPU (CUDA or "
                                     "MPS) when there is one, else the CPU")
        form.addRow("Device", self.device_combo)
        self.notes_button = QPushButton("The notes' recipe")
        self.notes_button.setToolTip("SGD, constant learning rate 0.001, momentum 0.9, batch "
                                     "size 4")
        self.notes_button.clicked.connect(lambda: self.bind.apply(NOTES_RECIPE))
        self.device_label = QLabel()
        self.device_label.setWordWrap(True)
        form.addRow(_pair(self.notes_button, None, self.device_label))
        col.addWidget(hyper_box)
        col.addStretch(1)
        # locked while a run trains (the run keeps the settings it started with)
        self.run_locked = [w for w in b.widgets().values()] + [self.folder_button,
                                                               self.notes_button]

    # -- what the page tells it ----------------------------------------------------------------
    def show_dataset(self, info: DatasetInfo | None, error: str, downloading: bool) -> None:
        """The chosen dataset's sizes and source, or why it cannot be used (`error`)."""
        name = self.settings.dataset
        spec = DATASETS[name]
        if info is not None:
            text = (f"{info.n_train:,} training / {info.n_test:,} test images, "
                    f"{'×'.join(map(str, info.input_shape))}<br>Source: {info.source}")
            if info.note:
                text += f"<br><i>{info.note}</i>"
            self.dataset_status.setStyleSheet("")
            self.dataset_status.setText(text)
            # generated digits are unlimited: up to 60,000 like MNIST (drawing them takes a while)
            self.train_size_spin.setMaximum(60000 if name == "generated" else info.n_train)
            self.test_size_spin.setMaximum(info.n_test)
        else:
            self.dataset_status.setStyleSheet(WARNING_STYLE)
            self.dataset_status.setText(error)
        self.download_button.setVisible(spec.downloadable and (info is None or downloading))
        self.download_button.setText("Cancel download" if downloading else
                                     f"Download ({spec.download_mb:.0f} MB)")
        self.folder_button.setVisible(name in FOLDER_DATASETS)

    def show_model(self, model, info: DatasetInfo) -> None:
        total = self.layer_table.show_model(model, info.input_shape)
        self.total_label.setText(f"<b>{total:,} parameters</b> for "
                                 f"{'×'.join(map(str, info.input_shape))} input "
                                 "(each layer's: the Layers tab)")

    def show_model_error(self, info: DatasetInfo, error: str) -> None:
        self.layer_table.clear_rows()
        self.total_label.setText(f"<span style='{ERROR_STYLE}'>This network cannot take "
                                 f"{info.label} images: {error}</span>")

    def show_device(self, name: str) -> None:
        self.device_label.setText(f"In use: <b>{name}</b>")

    def set_running(self, running: bool) -> None:
        for w in self.run_locked:
            w.setEnabled(not running)
