"""The Transfer learning page: a pretrained network reused on a new task with few labels.

Left: the pretrained network, what trains (from scratch / frozen / fine-tuned) and the training
settings. Right, first tab: the layers coloured frozen / trainable with their parameter counts,
next to the test-accuracy curves of the runs on one plot; second tab: the PyTorch code of the
notes' recipe for the current choice. Training runs in `gui.workers.TrainRunner` (a QThread around
engine.train.fit); the ImageNet weights download in a `gui.workers.BackgroundCall`.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from engine import transfer
from engine.data.shapes import SHAPE_CLASSES
from gui.widgets.controls_column import ControlsColumn
from gui.pages.base import Page
from gui.pages.transfer.controls import TransferControls, TransferSettings
from gui.pages.transfer.curves import RUN_STYLE, AccuracyCurves, legend_html
from gui.pages.transfer.jobs import RunSpec, TrainingJob
from gui.pages.transfer.layers import LayerStateTable
from gui.widgets.code_panel import CodePanel
from gui.workers import BackgroundCall, TrainRunner

NUM_CLASSES = len(SHAPE_CLASSES)
TABLE_DEPTH = {"resnet18": 2}   # ResNet's blocks as rows; the others' leaf layers


class TransferPage(Page):
    page_id = "transfer"
    title = "Transfer learning"
    explanation = (
        "<p>A network trained on one task (here handwritten digits) has learned filters for "
        "strokes, corners and curves. <b>Transfer learning</b> reuses them for a new task with "
        "few labels (here 8 kinds of shapes): replace the <b>head</b>, the last layer, by a new "
        "<code>nn.Linear(in_features, 8)</code>, <b>freeze</b> the rest "
        "(<code>requires_grad = False</code>: the optimizer leaves those weights alone) and "
        "train the head; then <b>fine-tune</b>: unfreeze the last conv block too and train "
        "with a lower learning rate, so the pretrained filters move only a little.</p>"
        "<p>The curves compare three runs on the same labelled shapes and the same number of "
        "steps: from scratch (every weight random and trainable), frozen, and fine-tuned. With "
        "few labels the transferred features start far higher and stay ahead.</p>")
    shortcuts: list[tuple[str, str]] = []

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.settings = TransferSettings()
        self.controls_panel = TransferControls(self.settings, self._settings_changed)
        self.bind = self.controls_panel.bind
        self.layers = LayerStateTable()
        self.code = CodePanel("PyTorch: the notes' recipe for this choice (it runs as shown)")
        self.curves = AccuracyCurves()
        self.results = QLabel(self.summary())
        self.results.setWordWrap(True)
        # its lines wrap: the plot's width decides the column's, not the longest line
        self.results.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.results.setToolTip("Each run's test accuracy after its last epoch")
        self.runner = TrainRunner(self, on_progress=self.curves.add_epochs,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._update_buttons, emit_interval_s=0.2)
        self.downloader = BackgroundCall(self)
        self.downloader.progress.connect(self._on_download_progress)
        self.downloader.finished.connect(self._on_downloaded)
        self.downloader.failed.connect(self._on_download_failed)
        self._bases: dict[tuple[str, bool], object] = {}
        self._job: TrainingJob | None = None
        self._trained: dict[str, object] = {}   # run -> model of the last job (stage two)
        self._build_layout()
        self._connect()
        self._refresh()

    # -- layout ----------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        left = ControlsColumn(self.controls_panel, max_width=380)
        results = QWidget()
        column = QVBoxLayout(results)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.curves, 1)
        column.addWidget(self.results)
        training = QSplitter(Qt.Horizontal)
        training.addWidget(self.layers)
        training.addWidget(results)
        training.setChildrenCollapsible(False)
        self.layers.setMinimumWidth(340)
        # the code gets a tab of its own: its lines need the width of both panels
        self.tabs = QTabWidget()
        self.tabs.addTab(training, "Layers and training")
        self.tabs.addTab(self.code, "PyTorch code")
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(self.tabs, 1)

    def _connect(self) -> None:
        c = self.controls_panel
        c.train_selected.clicked.connect(self._train_selected)
        c.compare.clicked.connect(self._compare)
        c.stage_two.clicked.connect(self._stage_two)
        c.stop.clicked.connect(self.runner.stop)
        c.download.clicked.connect(self._download)
        c.cancel.clicked.connect(self.downloader.cancel)

    # -- what the page shows ---------------------------------------------------------------------
    def _config(self) -> transfer.TransferConfig:
        s = self.settings
        return transfer.TransferConfig(n_train=s.n_train, epochs=s.epochs, lr=s.lr,
                                       finetune_lr=s.finetune_lr, seed=s.seed)

    def _weights_cached(self) -> bool:
        base = self.settings.base
        return base == "backbone" or base in transfer.available_pretrained()

    def _base(self, pretrained: bool):
        """The chosen base, kept while it stays chosen (VGG16 alone holds 138 M weights).
        Without its weights it is built on the meta device: the diagram needs no numbers."""
        key = (self.settings.base, pretrained)
        if key not in self._bases:
            self._bases.clear()
            device = None if pretrained or key[0] == "backbone" else "meta"
            self._bases[key] = transfer.load_base(*key, device=device)
        return self._bases[key]

    def prepared(self, mode: str | None = None):
        """The chosen base prepared for `mode` (the selected one by default)."""
        return transfer.prepare(self._base(self._weights_cached()), mode or self.settings.mode,
                                NUM_CLASSES, seed=self.settings.seed)

    def _settings_changed(self, name: str) -> None:
        if name != "mode":   # a trained head belongs to the base, data and seed it was made with
            self._trained.clear()
        self._refresh()

    def _refresh(self) -> None:
        s = self.settings
        try:
            model = self.prepared()
        except (ValueError, transfer.WeightsError) as exc:
            self.notify(str(exc), "error")
            return
        self.clear_notice()
        head = transfer.head_name(model)
        self.layers.set_model(model, head, TABLE_DEPTH.get(s.base))
        lr = s.finetune_lr if s.mode == "finetune" else s.lr
        self.code.set_code(transfer.transfer_code(s.mode, s.base, NUM_CLASSES, lr, s.epochs,
                                                  n_train=s.n_train))
        self.curves.show_epochs(s.epochs * (2 if "frozen+finetune" in self.curves.runs() else 1))
        self._show_weights()
        self._update_buttons()

    def _show_weights(self) -> None:
        base = self.settings.base
        if base == "backbone":
            text, downloadable = "Shipped with the app: trained on MNIST digits.", False
        elif self._weights_cached():
            text, downloadable = f"ImageNet weights found in {transfer.weights_path(base).parent}.", False
        else:
            text = ("ImageNet weights not downloaded: the layers and the code are shown, "
                    "training needs the weights.")
            downloadable = True
        self.controls_panel.set_weights(text, downloadable, self.downloader.running)

    def _update_buttons(self, *_args) -> None:
        self.controls_panel.set_running(self.runner.running, "frozen" in self._trained,
                                        self._weights_cached())

    # -- training --------------------------------------------------------------------------------
    def _data(self):
        train, test, _ = transfer.target_data(self._config())
        if self.settings.base != "backbone":
            train, test = transfer.as_rgb32(train), transfer.as_rgb32(test)
        return train, test

    def _spec(self, mode: str) -> RunSpec:
        return RunSpec(mode, self.prepared(mode), transfer.run_config(mode, self._config()))

    def _start(self, specs: list[RunSpec]) -> None:
        if self.runner.running:
            return
        self.curves.clear_runs([spec.run for spec in specs])
        self._job = TrainingJob(specs, *self._data())
        self.notify(f"Training {', '.join(transfer.MODE_LABELS.get(s.run, s.run) for s in specs)}…")
        self.runner.start(self._job)

    def _train_selected(self) -> None:
        self._start([self._spec(self.settings.mode)])

    def _compare(self) -> None:
        self._start([self._spec(mode) for mode in transfer.MODES])

    def _stage_two(self) -> None:
        frozen = self._trained.get("frozen")
        if frozen is None:
            return
        cfg = self._config()
        spec = RunSpec("frozen+finetune", transfer.unfreeze_last_block(frozen),
                       transfer.run_config("finetune", cfg), epoch_offset=cfg.epochs)
        self._start([spec])
        self.curves.continue_from("frozen+finetune", "frozen")
        self.curves.show_epochs(2 * cfg.epochs)

    def _on_finished(self, result) -> None:
        if self._job is not None:
            self._trained.update(self._job.models)
        level = "info" if result.status in ("finished", "stopped") else "error"
        self.notify(result.message, level)
        self.controls_panel.status.setText("" if level == "info" else result.message)
        self.results.setText(self.summary())
        self._update_buttons()

    def trained_model(self, run: str):
        """The model the last run named `run` trained (None before it ran)."""
        return self._trained.get(run)

    def summary(self) -> str:
        """The legend of the curves with each run's last test accuracy (HTML)."""
        parts = []
        for run in RUN_STYLE:
            _, ys = self.curves.curve(run)
            if ys or run != "frozen+finetune":
                parts.append(legend_html(run, f": {ys[-1]:.1f} %" if ys else ": not trained"))
        return "Test accuracy after the last epoch:<br>" + "<br>".join(parts)

    def _on_failed(self, message: str) -> None:
        self.notify(message, "error")

    # -- the ImageNet weights --------------------------------------------------------------------
    def _download(self) -> None:
        name = self.settings.base
        self.downloader.start(lambda progress, should_stop: transfer.download_weights(
            name, progress=lambda done, total: progress(done, total, name), cancel=should_stop))
        self.controls_panel.progress.setRange(0, 0)
        self._show_weights()

    def _on_download_progress(self, done: int, total: int, _name: str) -> None:
        bar = self.controls_panel.progress
        if total > 0:
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * done / total))

    def _on_downloaded(self, path) -> None:
        self.notify(f"Saved {path}.")
        self._bases.clear()
        self._refresh()

    def _on_download_failed(self, message: str) -> None:
        self.notify(message, "error")
        self.controls_panel.status.setText(message)
        self._show_weights()

    # -- life cycle ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.runner.stop_and_wait()
        self.downloader.stop_and_wait()
