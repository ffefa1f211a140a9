"""The Train a CNN page: pick data, model and hyper-parameters, then watch the network learn.

Training runs in `gui.workers.TrainRunner` (a QThread around `engine.train.fit`). The job loads
the data and builds the snapshots in that thread (`engine.cnn_snapshot`), so the window only
receives numpy copies and its slots only call `setData` / `setImage` / `set_matrix`.
Downloads (MNIST, Fashion-MNIST, CIFAR-10) run in their own thread, only when the user asks.
"""
from __future__ import annotations

import copy
import functools
import math
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog,
    QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
    QScrollArea, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from engine import data as datasets
from engine.cnn_snapshot import first_conv, first_layer_filters, make_snapshot_fn
from engine.data import DATASETS, DatasetError, DatasetInfo
from engine.models import (
    ARCHITECTURE_LABELS, CheckpointError, build_model, layer_table, load_checkpoint,
    save_checkpoint,
)
from engine.train import (TrainConfig, TrainEvent, TrainResult, available_devices, device_name, fit,
                          pick_device)
from gui.app import app_settings
from gui.pages.base import Page
from gui.widgets.compact_map_grid import CompactMapGrid
from gui.widgets.curve_panel import CurvePanel
from gui.widgets.live_label import LiveLabel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.prediction_grid import PredictionGrid
from gui.workers import TrainRunner

N_PREDICTIONS = 16
SNAPSHOT_INTERVAL_S = 1.0    # newest filters/maps/predictions at most once a second
RENDER_INTERVAL_MS = 400     # the views redraw at most 2.5 times a second (painting costs
                             # a core on a 2-core machine; training needs it more)
CNN_ARCHS = ["lenet5", "cifarnet", "tinyvgg", "mlp"]
ERROR_STYLE = "color: #b00020; font-weight: bold;"
WARNING_STYLE = "color: #8a5a00;"


@dataclass
class TrainCnnSettings:
    dataset: str = "fashion_mnist"   # key of engine.data.DATASETS
    train_size: int = 10000          # training images used (0: all)
    test_size: int = 2000            # test images used each epoch (0: all)
    arch: str = "lenet5"             # key of engine.models.ARCHITECTURES
    dropout: float = 0.0             # dropout probability in the classifier
    batchnorm: bool = False          # batch-norm after every convolution
    optimizer: str = "adam"          # "adam" or "sgd" (with momentum 0.9)
    lr: float = 1e-3                 # learning rate
    batch_size: int = 64             # images per step
    epochs: int = 3                  # passes over the training images
    seed: int = 0                    # seeds the weights, the shuffling and the subsets
    device: str = "auto"             # "auto", "cuda", "mps" or "cpu"

    def model_kwargs(self, info: DatasetInfo) -> dict:
        return {"input_shape": tuple(info.input_shape), "num_classes": len(info.classes),
                "dropout": self.dropout, "batchnorm": self.batchnorm}

    def config(self) -> TrainConfig:
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size,
                           epochs=self.epochs, seed=self.seed, device=self.device)


def training_job(settings: TrainCnnSettings, root: str | None, model: torch.nn.Module,
                 cache: dict, on_step, control):
    """Runs in the worker thread: load (or reuse) the data, then `fit` with live snapshots."""
    key = (settings.dataset, root, settings.train_size, settings.test_size, settings.seed)
    if key not in cache:
        cache.clear()  # keep one dataset in memory at a time
        try:
            cache[key] = datasets.load_dataset(settings.dataset, root, settings.train_size or None,
                                               settings.test_size or None, settings.seed)
        except DatasetError as exc:  # e.g. files deleted or damaged since they were found
            return TrainResult("data_error", str(exc))
    loaded = cache[key]
    test_x, test_y = loaded.test.tensors
    pick = torch.randperm(len(test_x), generator=torch.Generator().manual_seed(settings.seed))
    pick = pick[:N_PREDICTIONS]
    sample = test_x[pick[:1]]                                  # (1, C, H, W): the fixed sample
    samples = {"sample": sample[0].numpy().copy(), "images": test_x[pick].numpy().copy(),
               "truth": test_y[pick].numpy().copy(), "info": loaded.info}
    snapshot = make_snapshot_fn(sample, test_x[pick])
    state = {"first": True, "last": 0.0}

    def snapshot_fn(m):
        # at most every SNAPSHOT_INTERVAL_S: the view stays lively without stealing the trainer's time
        now = time.perf_counter()
        if not state["first"] and now - state["last"] < SNAPSHOT_INTERVAL_S:
            return None
        state["last"] = now
        out = snapshot(m)
        if state["first"]:  # the fixed images travel once, with the first snapshot
            out.update(samples)
            state["first"] = False
        return out

    config = settings.config()
    steps_per_epoch = math.ceil(len(loaded.train) / config.batch_size)
    config.snapshot_every = max(1, min(10, steps_per_epoch // 20))
    result = fit(config, model, loaded.train, loaded.test, on_step, control, snapshot_fn=snapshot_fn)
    if result.status in ("finished", "stopped") and result.steps:
        # the state the run ended in, whatever the throttle skipped (the model is on the CPU now)
        with torch.no_grad():
            was_training = model.training
            model.eval()
            final = snapshot(model)
            model.train(was_training)
        on_step(TrainEvent("final", max(result.epochs_done - 1, 0), result.steps, result.steps,
                           math.nan, math.nan, 0.0, result.elapsed_s, final))
    return result


class DatasetDownloader(QObject):
    """Runs engine.data.download_dataset in a QThread; cancel() stops it between chunks."""

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


class LayerTable(QTableWidget):
    """Each layer of a model: name, output shape for one input, parameters; total underneath."""

    def __init__(self, parent=None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Layer", "Output shape", "Params"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)

    def show_model(self, model: torch.nn.Module, input_shape) -> int:
        rows = layer_table(model, tuple(input_shape))
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            shape = "×".join(str(s) for s in row.output_shape)
            for c, text in enumerate((f"{row.kind} ({row.name})", shape, f"{row.params:,}")):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)
        return sum(row.params for row in rows)


class TrainCnnPage(Page):
    title = "Train a CNN"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = TrainCnnSettings()
        self.qsettings = app_settings()
        # progress in batches of a fifth of a second: the views redraw at most every
        # RENDER_INTERVAL_MS, and each batch costs the training thread the GIL once
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  emit_interval_s=RENDER_INTERVAL_MS / 2000)
        self._data_cache: dict = {}            # touched only by the worker thread while it runs
        self._model: torch.nn.Module | None = None   # the last trained or loaded model (CPU)
        self._meta: dict | None = None
        self._training_model = None
        self._training_meta = None
        self._classes: list[str] = DATASETS[self.settings.dataset].classes
        self._steps_per_epoch = 1
        self._rate = deque(maxlen=60)          # (time, step) for the ETA
        self._last_result = None
        self._pending: list = []               # events received, not yet drawn
        self._render_timer = QTimer(self, singleShot=True, interval=RENDER_INTERVAL_MS,
                                    timeout=self._render_pending)
        # The heavier views (filters, maps, predictions, confusion) are drawn one per pass of
        # the event loop after the curves, so no single slot holds the window for long.
        self._staged: list = []
        self._stage_timer = QTimer(self, singleShot=True, interval=0, timeout=self._run_stage)
        self._download_thread: QThread | None = None
        self._shut_down = False                 # the window is closing: start nothing new
        self._downloader: DatasetDownloader | None = None
        self._build()
        self._on_dataset_changed()
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        controls = QWidget()
        col = QVBoxLayout(controls)
        col.setContentsMargins(4, 4, 4, 4)

        data_box = QGroupBox("Data")
        form = QFormLayout(data_box)
        self.dataset_combo = QComboBox()
        for name, info in DATASETS.items():
            self.dataset_combo.addItem(info.label, name)
        self.dataset_combo.setCurrentIndex(list(DATASETS).index(self.settings.dataset))
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        form.addRow("Dataset", self.dataset_combo)
        self.dataset_status = QLabel()
        self.dataset_status.setWordWrap(True)
        self.dataset_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.dataset_status)
        buttons = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip(f"Download into {datasets.CACHE_DIR}")
        self.download_button.clicked.connect(self._on_download_clicked)
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Use a folder holding the standard dataset files")
        self.folder_button.clicked.connect(self._choose_folder)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.folder_button)
        form.addRow(buttons)
        self.download_progress = QProgressBar()
        self.download_progress.setVisible(False)
        form.addRow(self.download_progress)
        self.train_size_spin = QSpinBox(minimum=0, maximum=60000, singleStep=1000,
                                        value=self.settings.train_size, specialValueText="all")
        self.train_size_spin.valueChanged.connect(self._read_controls)
        form.addRow("Training images", self.train_size_spin)
        self.test_size_spin = QSpinBox(minimum=0, maximum=10000, singleStep=500,
                                       value=self.settings.test_size, specialValueText="all")
        self.test_size_spin.valueChanged.connect(self._read_controls)
        form.addRow("Test images", self.test_size_spin)
        col.addWidget(data_box)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.arch_combo = QComboBox()
        for arch in CNN_ARCHS:
            self.arch_combo.addItem(ARCHITECTURE_LABELS.get(arch, arch), arch)
        self.arch_combo.currentIndexChanged.connect(self._on_model_changed)
        form.addRow("Network", self.arch_combo)
        self.dropout_spin = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.1, decimals=2)
        self.dropout_spin.valueChanged.connect(self._on_model_changed)
        form.addRow("Dropout", self.dropout_spin)
        self.batchnorm_check = QCheckBox("Batch normalisation")
        self.batchnorm_check.toggled.connect(self._on_model_changed)
        form.addRow(self.batchnorm_check)
        self.layer_table = LayerTable()
        self.layer_table.setMinimumHeight(250)
        form.addRow(self.layer_table)
        self.total_label = QLabel()
        form.addRow(self.total_label)
        col.addWidget(model_box)

        hyper_box = QGroupBox("Training")
        form = QFormLayout(hyper_box)
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItem("Adam", "adam")
        self.optimizer_combo.addItem("SGD + momentum 0.9", "sgd")
        self.optimizer_combo.currentIndexChanged.connect(self._read_controls)
        form.addRow("Optimizer", self.optimizer_combo)
        self.lr_spin = QDoubleSpinBox(minimum=1e-5, maximum=100.0, decimals=5, value=self.settings.lr)
        self.lr_spin.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
        self.lr_spin.valueChanged.connect(self._read_controls)
        form.addRow("Learning rate", self.lr_spin)
        self.batch_spin = QSpinBox(minimum=1, maximum=4096, value=self.settings.batch_size)
        self.batch_spin.valueChanged.connect(self._read_controls)
        form.addRow("Batch size", self.batch_spin)
        self.epochs_spin = QSpinBox(minimum=1, maximum=200, value=self.settings.epochs)
        self.epochs_spin.valueChanged.connect(self._read_controls)
        form.addRow("Epochs", self.epochs_spin)
        self.seed_spin = QSpinBox(minimum=0, maximum=999999, value=self.settings.seed)
        self.seed_spin.valueChanged.connect(self._read_controls)
        form.addRow("Seed", self.seed_spin)
        self.device_combo = QComboBox()
        self.device_combo.addItem("Automatic", "auto")
        for dev in available_devices():
            self.device_combo.addItem(dev.upper(), dev)
        self.device_combo.currentIndexChanged.connect(self._on_device_changed)
        form.addRow("Device", self.device_combo)
        self.device_label = QLabel()
        self.device_label.setWordWrap(True)
        form.addRow(self.device_label)
        col.addWidget(hyper_box)
        col.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

        # run bar: buttons, progress, ETA, checkpoint, inline message
        run_bar = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start_training)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_training)
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%p%")
        self.eta_label = LiveLabel(min_width=420)  # changes every redraw: must not relayout the page
        self.save_button = QPushButton("Save checkpoint…")
        self.save_button.clicked.connect(self._save_dialog)
        self.load_button = QPushButton("Load checkpoint…")
        self.load_button.clicked.connect(self._load_dialog)
        for w in (self.start_button, self.pause_button, self.stop_button):
            run_bar.addWidget(w)
        run_bar.addWidget(self.progress_bar, 1)
        run_bar.addWidget(self.eta_label)
        run_bar.addWidget(self.save_button)
        run_bar.addWidget(self.load_button)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.curves = CurvePanel()
        self.confusion_view = MatrixView(colormap="viridis", number_format="{:.0f}", axes=True)
        self.confusion_view.plot.setLabel("left", "true class")
        self.confusion_view.plot.setLabel("bottom", "predicted class")
        for side in ("left", "bottom"):
            self.confusion_view.plot.getAxis(side).enableAutoSIPrefix(False)
        self.filter_grid = CompactMapGrid(columns=8)
        self.sample_view = MatrixView(colormap="gray", show_numbers=False)
        self.sample_view.setMinimumSize(90, 90)
        self.sample_view.setMaximumWidth(120)
        self.map_grid = CompactMapGrid(columns=6, colormap="magma")
        self.prediction_grid = PredictionGrid(columns=8)

        self.confusion_box = self._boxed("Confusion matrix (test set; rows: true, columns: predicted)",
                                         self.confusion_view)
        # which epoch it shows, in a label that cannot re-lay-out the page: a box title that
        # grew with "epoch 10" or "100.0%" widened the box and resized the curves beside it,
        # whose four axes were then drawn anew (50-77 ms gaps at some epoch ends)
        self.confusion_note = LiveLabel("Appears at the end of epoch 1.")
        self.confusion_box.layout().insertWidget(0, self.confusion_note)
        self.filters_box = self._boxed("First-layer filters", self.filter_grid)
        maps_box = QGroupBox("Feature maps of one test image (first conv block, after ReLU)")
        lay = QHBoxLayout(maps_box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.sample_view)
        lay.addWidget(self.map_grid, 1)
        self.maps_box = maps_box
        self.predictions_box = self._boxed("Predictions on test images (✓ green right, ✗ red wrong)",
                                           self.prediction_grid)

        top = QSplitter(Qt.Horizontal)
        top.addWidget(self._boxed("Loss and accuracy", self.curves))
        top.addWidget(self.confusion_box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        middle = QSplitter(Qt.Horizontal)
        middle.addWidget(self.filters_box)
        middle.addWidget(maps_box)
        middle.setStretchFactor(0, 1)
        middle.setStretchFactor(1, 1)
        views = QSplitter(Qt.Vertical)
        views.addWidget(top)
        views.addWidget(middle)
        views.addWidget(self.predictions_box)
        views.setStretchFactor(0, 5)
        views.setStretchFactor(1, 3)
        views.setStretchFactor(2, 4)
        # the splitter shares out the height in these proportions (the plots would otherwise
        # take most of it and leave the predictions' images small on a projector)
        views.setSizes([450, 240, 330])

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addLayout(run_bar)
        rlay.addWidget(self.message_label)
        rlay.addWidget(views, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(scroll)
        outer.addWidget(right, 1)

    @staticmethod
    def _boxed(title: str, widget: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(widget)
        return box

    # -- controls -> settings ------------------------------------------------------------------
    def _read_controls(self, *_):
        s = self.settings
        s.dataset = self.dataset_combo.currentData()
        s.train_size = self.train_size_spin.value()
        s.test_size = self.test_size_spin.value()
        s.arch = self.arch_combo.currentData()
        s.dropout = self.dropout_spin.value()
        s.batchnorm = self.batchnorm_check.isChecked()
        s.optimizer = self.optimizer_combo.currentData()
        s.lr = self.lr_spin.value()
        s.batch_size = self.batch_spin.value()
        s.epochs = self.epochs_spin.value()
        s.seed = self.seed_spin.value()
        s.device = self.device_combo.currentData()

    def _folder(self, name: str) -> str | None:
        folder = self.qsettings.value(f"train_cnn/folder_{name}", "", type=str)
        return folder or None

    def dataset_info(self) -> DatasetInfo | None:
        """The chosen dataset's info, or None (with the reason shown) when its files are missing."""
        try:
            return datasets.describe_dataset(self.settings.dataset, self._folder(self.settings.dataset))
        except DatasetError:
            return None

    def _on_dataset_changed(self, *_):
        self._read_controls()
        name = self.settings.dataset
        spec = DATASETS[name]
        self._classes = spec.classes
        if not self.runner.running:
            self._blank_confusion()
        try:
            info = datasets.describe_dataset(name, self._folder(name))
            text = f"{info.n_train:,} training / {info.n_test:,} test images, " \
                   f"{'×'.join(map(str, info.input_shape))}<br>from {info.source}"
            if info.note:
                text += f"<br><i>{info.note}</i>"
            self.dataset_status.setStyleSheet("")
            self.dataset_status.setText(text)
            # generated digits are unlimited: up to 60,000 like MNIST (drawing them takes a while)
            self.train_size_spin.setMaximum(60000 if name == "generated" else info.n_train)
            self.test_size_spin.setMaximum(info.n_test)
            ready = True
        except DatasetError as exc:
            self.dataset_status.setStyleSheet(WARNING_STYLE)
            self.dataset_status.setText(str(exc))
            ready = False
        downloading = self._download_thread is not None
        self.download_button.setVisible(spec.downloadable and (not ready or downloading))
        self.download_button.setText("Cancel download" if downloading else
                                     f"Download ({spec.download_mb:.0f} MB)")
        self.folder_button.setVisible(name in ("mnist", "fashion_mnist", "cifar10"))
        self._dataset_ready = ready
        self._on_model_changed()
        self._update_buttons()

    def _on_model_changed(self, *_):
        self._read_controls()
        info = DATASETS[self.settings.dataset]
        try:
            torch.manual_seed(self.settings.seed)
            model = build_model(self.settings.arch, **self.settings.model_kwargs(info))
            total = self.layer_table.show_model(model, info.input_shape)
        except Exception as exc:  # a model that cannot take this input: say so, keep the page
            self.layer_table.setRowCount(0)
            self.total_label.setText(f"<span style='{ERROR_STYLE}'>This network cannot take "
                                     f"{info.label} images: {exc}</span>")
            self._model_ok = False
            self._update_buttons()
            return
        self._model_ok = True
        self._prepare_grids(model, info)
        self.total_label.setText(f"<b>Total: {total:,} parameters</b> "
                                 f"(input {'×'.join(map(str, info.input_shape))})")
        self._update_buttons()

    def _prepare_grids(self, model: torch.nn.Module, info: DatasetInfo) -> None:
        """Build the filter and map grids' boxes for this network now, empty: built by a run's
        first snapshot, they held the window for 30-57 ms just after Start."""
        count = len(first_layer_filters(model, tuple(info.input_shape)))
        self.filter_grid.columns = _columns(count)
        self.filter_grid.prepare(count)
        conv = first_conv(model)
        maps = min(conv.out_channels, 16) if conv is not None else 0
        self.map_grid.columns = _columns(maps)
        self.map_grid.prepare(maps)

    def _on_device_changed(self, *_):
        self._read_controls()
        device = pick_device(self.settings.device)
        self.device_label.setText(f"In use: <b>{device_name(device)}</b>")

    # -- run state -----------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        for w in (self.dataset_combo, self.train_size_spin, self.test_size_spin, self.arch_combo,
                  self.dropout_spin, self.batchnorm_check, self.optimizer_combo, self.lr_spin,
                  self.batch_spin, self.epochs_spin, self.seed_spin, self.device_combo,
                  self.folder_button, self.load_button):
            w.setEnabled(not running)
        self.pause_button.setText("Pause")
        self._on_device_changed()
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.runner.running
        ready = getattr(self, "_dataset_ready", False) and getattr(self, "_model_ok", False)
        self.start_button.setEnabled(not running and ready and self._download_thread is None)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(not running and self._model is not None)

    def show_message(self, text: str, level: str = "info") -> None:
        """Inline (above the plots) and in the status bar."""
        style = {"error": ERROR_STYLE, "warning": WARNING_STYLE}.get(level, "")
        self.message_label.setStyleSheet(style)
        self.message_label.setText(text)
        self.notify(text, level)

    def start_training(self) -> None:
        if self.runner.running:
            return
        self._read_controls()
        s = copy.deepcopy(self.settings)
        info = DATASETS[s.dataset]
        root = self._folder(s.dataset)
        try:
            datasets.describe_dataset(s.dataset, root)
            torch.manual_seed(s.seed)  # the initial weights follow the seed too
            model = build_model(s.arch, **s.model_kwargs(info))
        except (DatasetError, Exception) as exc:
            self.show_message(str(exc), "error")
            return
        kwargs = s.model_kwargs(info)
        kwargs["input_shape"] = list(kwargs["input_shape"])
        self._training_model = model
        self._training_meta = {"arch": s.arch, "kwargs": kwargs, **info.meta(),
                               "settings": asdict(s)}
        self._classes = info.classes
        available_n = datasets.describe_dataset(s.dataset, root).n_train
        used = min(s.train_size, available_n) if s.train_size else available_n
        self._steps_per_epoch = math.ceil(used / s.batch_size)
        self.curves.clear_curves()
        self.curves.set_epochs(s.epochs)
        self._pending = []
        self._staged = []
        self._rate.clear()
        self._predictions_ready = False
        self.progress_bar.setValue(0)
        self.eta_label.setText(f"Drawing {s.train_size or info.n_train:,} digits…"
                               if s.dataset == "generated" else "Loading data…")
        self.message_label.setText("")
        self.message_label.setStyleSheet("")
        self._blank_confusion()
        self.confusion_note.setText("Appears at the end of epoch 1.")
        self._set_running(True)
        # paint the reset page now (the plots' scenes post their repaints: hence processEvents,
        # with no user input, so no second click can come in): once the worker runs it competes
        # with this thread for the GIL, and the same repaint stalled the window for up to
        # 50-70 ms instead of 15-25 (benchmarks/train_overhead.py)
        QApplication.processEvents(QEventLoop.ExcludeUserInputEvents)
        if self._shut_down:          # the window closed during that repaint: no thread to start
            self._training_model = None
            return
        job = functools.partial(training_job, s, root, model, self._data_cache)
        self.runner.start(job)
        self._update_buttons()
        self.notify(f"Training {ARCHITECTURE_LABELS.get(s.arch, s.arch)} on {info.label} "
                    f"on {device_name(pick_device(s.device))}.")

    def _toggle_pause(self) -> None:
        if not self.runner.running:
            return
        if self.runner.paused:
            self.runner.resume()
            self.pause_button.setText("Pause")
            self._rate.clear()
            self.notify("Training resumed.")
        else:
            self.runner.pause()
            self.pause_button.setText("Resume")
            self.eta_label.setText("Paused")
            self.notify("Training paused.")

    def stop_training(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.eta_label.setText("Stopping…")

    # -- progress from the worker --------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, events) -> None:
        """Collect events; the views redraw from them at most every RENDER_INTERVAL_MS, so
        painting never takes more of the two cores (and the GIL) than the picture needs."""
        self._pending.extend(events)
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _render_pending(self, staged: bool = True) -> None:
        """Draw the collected events: curves and progress now; the snapshot views and the
        confusion matrix one per event-loop pass (`staged`), or all now (the run's end)."""
        events, self._pending = self._pending, []
        if events:
            self.curves.add_events(events, self._steps_per_epoch)
            steps = [e for e in events if e.kind in ("step", "epoch")]
            if steps:
                self._show_progress(steps[-1])
            snapshots = [e.snapshot for e in events if e.snapshot is not None]
            first = next((snap for snap in snapshots if "info" in snap), None)
            if first is not None:
                self._staged.append(functools.partial(self._show_samples, first))
            if snapshots:
                # filters, maps and predictions one per pass: the first snapshot of a run
                # builds both map grids, and together they held the window for 30-57 ms
                snap = snapshots[-1]
                self._staged += [functools.partial(self._show_filters_of, snap),
                                 functools.partial(self._show_maps_of, snap),
                                 functools.partial(self.prediction_grid.set_predictions,
                                                   snap["predicted"], snap["probability"])]
            for e in events:
                if e.kind == "epoch" and e.confusion is not None:
                    self._staged.append(functools.partial(
                        self._show_confusion, e.confusion, e.epoch, e.test_accuracy))
        if not staged:
            self._stage_timer.stop()
            while self._staged:
                self._staged.pop(0)()
        elif self._staged and not self._stage_timer.isActive():
            self._stage_timer.start()

    def _run_stage(self) -> None:
        if self._staged:
            self._staged.pop(0)()
        if self._staged:
            self._stage_timer.start()

    def _show_progress(self, event) -> None:
        total = max(event.total_steps, 1)
        self.progress_bar.setValue(int(100 * event.step / total))
        now = time.perf_counter()
        self._rate.append((now, event.step))
        eta = ""
        if len(self._rate) >= 2 and not self.runner.paused:
            (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
            if s1 > s0 and t1 > t0:
                seconds = (total - event.step) * (t1 - t0) / (s1 - s0)
                eta = f" · ETA {_clock(seconds)}"
        if not self.runner.paused:
            self.eta_label.setText(f"epoch {event.epoch + 1} · step {event.step}/{total} · "
                                   f"{event.samples_per_s:,.0f} img/s{eta}")

    def _show_samples(self, snap: dict) -> None:
        """The first snapshot of a run carries the fixed images and the dataset's info."""
        info = snap["info"]
        self._classes = info.classes
        if self._training_meta is not None:
            self._training_meta.update(info.meta(), source=info.source)
        sample = snap["sample"]
        if sample.shape[0] == 3:
            self.sample_view.set_rgb(sample.transpose(1, 2, 0))
        else:
            self.sample_view.set_matrix(sample[0], levels=(0.0, 1.0))
        self.prediction_grid.set_samples(snap["images"], snap["truth"], info.classes)

    def _show_filters_of(self, snap: dict) -> None:
        self._show_filters(snap["filters"])
        if "maps" in snap:
            self.filters_box.setTitle("First-layer filters")
        else:
            self.filters_box.setTitle(f"First-layer weights of {len(snap['filters'])} hidden "
                                      "units, as images (an MLP's 'filters')")

    def _show_maps_of(self, snap: dict) -> None:
        if "maps" in snap:
            maps = snap["maps"][:16]
            self.map_grid.columns = _columns(len(maps))
            self.map_grid.set_maps(maps, levels="shared")
            self.maps_box.setTitle("Feature maps of one test image (first conv block, after ReLU)")
        else:
            self.map_grid.set_maps(np.zeros((0, 1, 1), np.float32))
            self.maps_box.setTitle("Feature maps: an MLP has none (no convolution)")

    def _show_filters(self, filters: np.ndarray) -> None:
        """(N, k, k) weights, each on its own scale, or (N, k, k, 3) RGB already in [0, 1]."""
        self.filter_grid.columns = _columns(len(filters))
        if filters.ndim == 4:
            self.filter_grid.set_maps(filters, levels=(0.0, 1.0))
        else:
            self.filter_grid.set_maps(filters, levels="each")

    def _blank_confusion(self) -> None:
        """Class labels on the axes and every cell covered until an epoch ends."""
        self._set_confusion_ticks()
        k = len(self._classes)
        self.confusion_view.set_matrix(np.zeros((k, k)), levels=(0.0, 1.0),
                                       mask=np.zeros((k, k), bool))

    def _set_confusion_ticks(self) -> None:
        classes = self._classes
        left = [(k + 0.5, f"{c} {k}" if c != str(k) else c) for k, c in enumerate(classes)]
        bottom = [(k + 0.5, str(k)) for k in range(len(classes))]
        self.confusion_view.plot.getAxis("left").setTicks([left])
        self.confusion_view.plot.getAxis("bottom").setTicks([bottom])

    def _show_confusion(self, confusion: np.ndarray, epoch: int, accuracy: float) -> None:
        self.confusion_view.set_matrix(confusion, levels=(0.0, float(max(confusion.max(), 1))))
        self.confusion_note.setText(f"After epoch {epoch + 1}: test accuracy {accuracy:.1%}.")

    @Slot(object)
    def _on_finished(self, result) -> None:
        self._render_timer.stop()
        self._render_pending(staged=False)  # every event arrived before `finished`: draw them all
        self._last_result = result
        level = {"finished": "info", "stopped": "info"}.get(result.status, "error")
        if result.status in ("finished", "stopped") and self._training_model is not None:
            self._model = self._training_model.cpu().eval()
            self._meta = dict(self._training_meta or {})
            if math.isfinite(result.test_accuracy):
                self._meta["test_accuracy"] = float(result.test_accuracy)
            self._meta["steps"] = result.steps
        self._training_model = None
        if result.status == "finished":
            self.progress_bar.setValue(100)
        self.eta_label.setText({"finished": "Done", "stopped": "Stopped"}.get(result.status, "Stopped"))
        if result.status != "failed":  # failures already came with their own message
            self.show_message(result.message, level)
        self._set_running(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_message(message, "error")

    # -- downloads -----------------------------------------------------------------------------
    def _on_download_clicked(self) -> None:
        if self._downloader is not None:
            self._downloader.cancel()
            return
        name = self.settings.dataset
        thread = QThread()
        worker = DatasetDownloader(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_download_progress)
        worker.done.connect(self._on_download_done)
        worker.done.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        self._download_thread, self._downloader = thread, worker
        self.download_progress.setValue(0)
        self.download_progress.setVisible(True)
        self.dataset_combo.setEnabled(False)
        thread.start()
        self.notify(f"Downloading {DATASETS[name].label} into {datasets.CACHE_DIR}…")
        self._on_dataset_changed()

    @Slot(int, int, str)
    def _on_download_progress(self, done: int, total: int, filename: str) -> None:
        if total > 0:
            self.download_progress.setMaximum(100)
            self.download_progress.setValue(int(100 * done / total))
        else:
            self.download_progress.setMaximum(0)  # unknown size: busy indicator
        self.download_progress.setFormat(f"{filename}: {done / 1e6:.1f} MB %p%")

    @Slot(str)
    def _on_download_done(self, error: str) -> None:
        thread = self._download_thread
        self._download_thread, self._downloader = None, None
        if thread is not None:
            thread.quit()
            thread.wait(5000)
        self.download_progress.setVisible(False)
        self.dataset_combo.setEnabled(not self.runner.running)
        if error:
            self.show_message(error, "error")
        else:
            self.show_message(f"{DATASETS[self.settings.dataset].label} downloaded.", "info")
        self._on_dataset_changed()

    def _choose_folder(self) -> None:
        name = self.settings.dataset
        folder = QFileDialog.getExistingDirectory(self, f"Folder holding {DATASETS[name].label}",
                                                  self._folder(name) or str(Path.home()))
        if folder:
            self.set_dataset_folder(name, folder)

    def set_dataset_folder(self, name: str, folder: str | None) -> None:
        """Use `folder` for dataset `name` (remembered in the settings)."""
        try:
            datasets.describe_dataset(name, folder)
        except DatasetError as exc:
            self.show_message(str(exc), "error")
            return
        self.qsettings.setValue(f"train_cnn/folder_{name}", folder or "")
        self._on_dataset_changed()

    # -- checkpoints ---------------------------------------------------------------------------
    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", str(Path.home() / "cnn.pt"),
                                              "Checkpoints (*.pt)")
        if path:
            self.save_checkpoint(path)

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load checkpoint", str(Path.home()),
                                              "Checkpoints (*.pt);;All files (*)")
        if path:
            self.load_checkpoint(path)

    def save_checkpoint(self, path: str | Path) -> bool:
        if self._model is None:
            self.show_message("Nothing to save yet: train or load a model first.", "warning")
            return False
        try:
            save_checkpoint(path, self._model, self._meta)
        except (OSError, RuntimeError, ValueError) as exc:
            self.show_message(f"Could not save {path}: {exc}", "error")
            return False
        self.show_message(f"Saved {ARCHITECTURE_LABELS.get(self._meta['arch'])} to {path}.")
        return True

    def load_checkpoint(self, path: str | Path) -> bool:
        try:
            model, meta = load_checkpoint(path)
        except CheckpointError as exc:
            self.show_message(str(exc), "error")
            return False
        arch = meta.get("arch")
        if arch not in CNN_ARCHS or first_image_input(meta) is None:
            self.show_message(f"{Path(path).name} holds a {arch!r} model, which this page does "
                              "not train (it takes LeNet-5, CIFAR net, TinyVGG or MLP).", "error")
            return False
        self._model, self._meta = model, dict(meta)
        self._apply_meta(meta)
        self._show_filters(first_layer_filters(model, first_image_input(meta)))
        acc = meta.get("test_accuracy")
        extra = f", test accuracy {acc:.1%}" if isinstance(acc, float) else ""
        self.show_message(f"Loaded {ARCHITECTURE_LABELS.get(arch, arch)} trained on "
                          f"{meta.get('dataset_label', meta.get('dataset', '?'))}{extra}.")
        self._update_buttons()
        return True

    def _apply_meta(self, meta: dict) -> None:
        """Show a loaded model's architecture and options in the controls."""
        kwargs = meta.get("kwargs", {})
        widgets = (self.arch_combo, self.dropout_spin, self.batchnorm_check, self.dataset_combo)
        for w in widgets:
            w.blockSignals(True)
        self.arch_combo.setCurrentIndex(max(0, CNN_ARCHS.index(meta["arch"])))
        self.dropout_spin.setValue(float(kwargs.get("dropout", 0.0)))
        self.batchnorm_check.setChecked(bool(kwargs.get("batchnorm", False)))
        if meta.get("dataset") in DATASETS:
            self.dataset_combo.setCurrentIndex(list(DATASETS).index(meta["dataset"]))
        for w in widgets:
            w.blockSignals(False)
        self._on_dataset_changed()

    # -- for other pages -----------------------------------------------------------------------
    def trained_model(self):
        """(model, meta) of the last trained or loaded model, a CPU copy in eval mode, when it
        takes 1x28x28 images (digits, clothes); else None."""
        if self._model is None or self._meta is None:
            return None
        if tuple(first_image_input(self._meta) or ()) != (1, 28, 28):
            return None
        model = copy.deepcopy(self._model).cpu().eval()
        return model, dict(self._meta)

    def shutdown(self) -> None:
        self._shut_down = True
        self.runner.stop_and_wait()
        if self._downloader is not None:
            self._downloader.cancel()
        if self._download_thread is not None:
            self._download_thread.quit()
            self._download_thread.wait(10000)
            self._download_thread, self._downloader = None, None


def _columns(count: int) -> int:
    """Grid columns for `count` small maps: two rows (bigger maps), never more than 8 across."""
    return count if count <= 3 else min(8, math.ceil(count / 2))


def first_image_input(meta: dict) -> tuple[int, ...] | None:
    shape = meta.get("input_shape") or meta.get("kwargs", {}).get("input_shape")
    return tuple(int(s) for s in shape) if shape else None


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else \
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
