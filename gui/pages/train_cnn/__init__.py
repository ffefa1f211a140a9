"""The Train a CNN page: pick data, model and hyper-parameters, then watch the network learn.

Left, `controls.TrainControls`: the data, the network (with its layer table) and the recipe.
Right: `run_bar.RunBar` (Start / Pause / Stop, the progress, checkpoints) and `views.RunViews`
(curves with the earlier runs faded under them, the confusion matrix, predictions, filters,
feature maps).
A run is an `engine.train_job.CnnTrainingJob` in `gui.workers.TrainRunner` (a QThread): the
engine loads the data and throttles the snapshots, so the window only receives numpy copies and
redraws at most every RENDER_INTERVAL_MS; the job builds the network in that thread too, so
the Start click only resets the views and paints them once. `downloads.DatasetSources` runs the
downloads (only when the user asks) and remembers dataset folders; `checkpoints` saves and loads.
"""
from __future__ import annotations

import copy
import math
import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine import data as datasets
from engine.data import DATASETS, DatasetError
from engine.models import ARCHITECTURE_LABELS, CheckpointError
from engine.train import device_name, pick_device
from engine.train_job import (CnnTrainingJob, DataCache, build_cnn, image_input_shape, run_meta,
                              steps_per_epoch)
from gui.settings import app_settings
from gui.widgets.controls_column import ControlsColumn
from gui.pages.base import Page
from gui.state import TrainedModel
from gui.torch_threads import TRAINING_THREADS
from gui.pages.train_cnn.code_tab import LoopCode
from gui.pages.train_cnn.checkpoints import (
    checkpoint_classes, checkpoint_label, checkpoint_meta, control_values, loaded_message,
    read_checkpoint, run_label, write_checkpoint,
)
from gui.pages.train_cnn.controls import ERROR_STYLE, WARNING_STYLE, TrainCnnSettings, TrainControls
from gui.pages.train_cnn.downloads import DatasetSources
from gui.pages.train_cnn.explanation import EXPLANATION, clock_text as _clock
from gui.pages.train_cnn.run_bar import RunBar
from gui.pages.train_cnn.views import RunViews
from gui.widgets.live_label import LiveLabel
from gui.workers import TrainRunner

RENDER_INTERVAL_MS = 400   # the views redraw at most 2.5 times a second (painting costs a core
                           # on a 2-core machine; training needs it more)
MODEL_FIELDS = {"dataset", "arch", "activation", "dropout", "batchnorm", "seed", "*"}
RECIPE_FIELDS = {"optimizer", "lr", "schedule", "momentum", "batch_size", "epochs", "seed", "*"}



class TrainCnnPage(Page):
    page_id = "train_cnn"
    title = "Train a CNN"
    explanation = EXPLANATION
    shortcuts: list[tuple[str, str]] = []

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.settings = TrainCnnSettings()
        self.form = TrainControls(self.settings, self._settings_changed)
        self.sources = DatasetSources(self.form, app_settings(), self)
        self.sources.message.connect(self.show_message)
        self.sources.notice.connect(self.notify)
        self.sources.changed.connect(self._on_source_changed)
        self.bind = self.form.bind
        self.views = RunViews()
        self.code_panel = LoopCode(self.settings, self.sources.folder)
        self.views.tabs.addTab(self.form.layer_table, "Layers")
        self.views.tabs.addTab(self.code_panel, "PyTorch code")
        # progress in batches of a fifth of a second: the views redraw at most every
        # RENDER_INTERVAL_MS, and each batch costs the training thread the GIL once
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self.on_run_finished, on_failed=self._on_failed,
                                  emit_interval_s=RENDER_INTERVAL_MS / 2000)
        self._cache = DataCache()          # touched only by the worker thread while it runs
        self._model = None                 # the last trained or loaded model (CPU), its meta
        self._meta: dict | None = None
        self._run: dict | None = None      # the run in progress: job, meta, label
        self._shown_label = ""             # the recipe of the curves shown (they fade under it)
        self._steps_per_epoch = 1
        self._rate = deque(maxlen=60)      # (time, step) for the ETA
        self._pending: list = []           # events received, not yet drawn
        self.render_timer = QTimer(self, singleShot=True, interval=RENDER_INTERVAL_MS,
                                   timeout=self.render_pending)
        self._notice_cause: str | None = None   # what the message shown is about
        self._dataset_ready = self._model_ok = False
        self._shut_down = False            # the window is closing: start nothing new
        self._build()
        self._settings_changed("*")
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        scroll = ControlsColumn(self.form, max_width=340, min_width=300)

        bar = self.run_bar = RunBar()
        self.start_button, self.pause_button = bar.start_button, bar.pause_button
        self.stop_button, self.progress_bar = bar.stop_button, bar.progress_bar
        self.save_button = bar.checkpoints.save_button
        self.load_button = bar.checkpoints.load_button
        self.start_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        bar.checkpoints.saveTo.connect(self.save_checkpoint)
        bar.checkpoints.loadFrom.connect(self.load_checkpoint)
        # a line of its own (it changes at every redraw and must not re-lay-out the page)
        self.status_label = LiveLabel(min_width=200)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message_label.setVisible(False)   # only while it says something

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.setSpacing(3)
        rlay.addWidget(bar)
        rlay.addWidget(self.status_label)
        rlay.addWidget(self.message_label)
        rlay.addWidget(self.views, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(scroll)
        outer.addWidget(right, 1)

    # -- settings and data sources ------------------------------------------------------------
    def _settings_changed(self, name: str) -> None:
        if name in ("dataset", "*"):
            self._refresh_dataset()
        if name in MODEL_FIELDS:
            self._refresh_model()
        if name in ("device", "*"):
            self.form.show_device(device_name(pick_device(self.settings.device), TRAINING_THREADS))
        if name in RECIPE_FIELDS:
            self._clear_notice_of("recipe")
        self.code_panel.refresh()
        self._update_buttons()

    def _refresh_dataset(self) -> None:
        name = self.settings.dataset
        try:
            info, error = datasets.describe_dataset(name, self.sources.folder(name)), ""
        except DatasetError as exc:
            info, error = None, str(exc)
        self.form.show_dataset(info, error, self.sources.downloading)
        self._dataset_ready = info is not None
        if not self.runner.running:
            self.views.set_classes(DATASETS[name].classes)
        if self._dataset_ready:
            self._clear_notice_of("dataset")

    def _refresh_model(self) -> None:
        info = DATASETS[self.settings.dataset]
        try:
            model = build_cnn(self.settings, info)
            self.form.show_model(model, info)
        except Exception as exc:  # a model that cannot take this input: say so, keep the page
            self.form.show_model_error(info, str(exc))
            self._model_ok = False
            return
        self._model_ok = True
        self._clear_notice_of("model")
        if not self.runner.running:
            self.views.prepare_for(model, info.input_shape)

    @property
    def downloading(self) -> bool:
        return self.sources.downloading

    def set_dataset_folder(self, name: str, folder: str | None) -> bool:
        """Use `folder` for dataset `name` (remembered in the settings)."""
        return self.sources.set_folder(name, folder)

    def _on_source_changed(self) -> None:
        self._refresh_dataset()
        self.code_panel.refresh()
        self._update_buttons()

    # -- messages ------------------------------------------------------------------------------
    def show_message(self, text: str, level: str = "info", cause: str | None = None) -> None:
        """Inline (above the plots) and in the status bar; `cause` ("dataset", "model",
        "recipe", "save") names what fixing takes the message back."""
        self.message_label.setStyleSheet({"error": ERROR_STYLE,
                                          "warning": WARNING_STYLE}.get(level, ""))
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        self._notice_cause = cause
        self.notify(text, level)

    def _clear_message(self, keep_line: bool = False) -> None:
        """Take the message back; `keep_line` (Start) keeps its empty line so the views keep their
        size: hiding it re-laid out the curves and the matrix, and redrew all their axes."""
        if self.message_label.text():
            self.message_label.setText("")
            self.message_label.setStyleSheet("")
            self.message_label.setVisible(keep_line)
            self.clear_notice()
        self._notice_cause = None

    def _clear_notice_of(self, cause: str) -> None:
        if self._notice_cause == cause:
            self._clear_message()

    # -- run state -----------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.form.set_running(running)
        self.load_button.setEnabled(not running)
        self.pause_button.setText("Pause")
        self._update_buttons()

    def _update_buttons(self) -> None:
        running, downloading = self.runner.running, self.sources.downloading
        ready = self._dataset_ready and self._model_ok
        self.start_button.setEnabled(not running and ready and not downloading)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(not running and self._model is not None)
        self.form.dataset_combo.setEnabled(not running and not downloading)

    def start_training(self) -> None:
        if self.runner.running:
            return
        config = copy.deepcopy(self.settings)
        root = self.sources.folder(config.dataset)
        try:
            info = datasets.describe_dataset(config.dataset, root)
        except (DatasetError, OSError) as exc:  # files gone or damaged since they were found
            self.show_message(str(exc), "error", "dataset")
            return
        meta = {**run_meta(config, info), "source": info.source}   # where its images came from
        # the job builds the network (seeded, as the layer table's) in the worker, not in the click
        job = CnnTrainingJob(config, None, root, self._cache)
        self._run = {"job": job, "meta": meta, "label": run_label(meta["settings"])}
        self._steps_per_epoch = steps_per_epoch(config, info)
        self._pending = []
        self._rate.clear()
        self.views.start_run(info.classes, config.epochs, self._shown_label)
        self._shown_label = self._run["label"]
        self.run_bar.show_progress(0)
        self.status_label.setText(f"Drawing {config.train_size or info.n_train:,} digits…"
                                  if config.dataset == "generated" else "Loading data…")
        self._clear_message(keep_line=True)
        self._set_running(True)
        # paint the reset page now (with no user input, so no second click can come in): once
        # the worker runs it competes with this thread for the GIL, and the same repaint then
        # stalls the window for longer (benchmarks/train_overhead.py)
        QApplication.processEvents(QEventLoop.ExcludeUserInputEvents)
        if self._shut_down:          # the window closed during that repaint: no thread to start
            self._run = None
            return
        self.runner.start(job)
        self._update_buttons()
        self.notify(f"Training {ARCHITECTURE_LABELS.get(config.arch, config.arch)} on "
                    f"{info.label} on {device_name(pick_device(config.device), TRAINING_THREADS)}.")

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
            self.status_label.setText("Paused")
            self.notify("Training paused.")

    def stop_training(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.status_label.setText("Stopping…")

    # -- progress from the worker --------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, events) -> None:
        """Collect events; the views redraw from them at most every RENDER_INTERVAL_MS."""
        self._pending.extend(events)
        if not self.render_timer.isActive():
            self.render_timer.start()

    def render_pending(self, staged: bool = True) -> None:
        """Draw the collected events: curves and progress now, the heavier views staged."""
        events, self._pending = self._pending, []
        steps = [e for e in events if e.kind in ("step", "epoch")]
        if steps:
            self._show_progress(steps[-1])
        self.views.draw(events, self._steps_per_epoch, staged)

    def drawing_idle(self) -> bool:
        """Every event received is drawn (nothing pending, nothing staged)."""
        return not self._pending and not self.render_timer.isActive() and self.views.idle()

    def _show_progress(self, event) -> None:
        total = max(event.total_steps, 1)
        self.run_bar.show_progress(int(100 * event.step / total))
        now = time.perf_counter()
        self._rate.append((now, event.step))
        if self.runner.paused:
            return
        eta = ""
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        if s1 > s0 and t1 > t0:
            eta = f" · ETA {_clock((total - event.step) * (t1 - t0) / (s1 - s0))}"
        rate = f" · lr {event.lr:.5f}" if math.isfinite(event.lr) else ""   # (one-cycle moves it)
        self.status_label.setText(f"epoch {event.epoch + 1} · step {event.step}/{total}{rate} · "
                                  f"{event.samples_per_s:,.0f} img/s{eta}")

    @Slot(object)
    def on_run_finished(self, result) -> None:
        """The run's result (whatever its status): draw what is left, keep a good model."""
        self.render_timer.stop()
        self.render_pending(staged=False)  # every event arrived before `finished`: draw them all
        run, self._run = self._run, None
        ok = result.status in ("finished", "stopped")
        if ok and run is not None and result.steps and run["job"].model is not None:
            self._model = run["job"].model.cpu().eval()
            self._meta = checkpoint_meta(run["meta"], result.test_accuracy, result.steps,
                                         self.views.curves.history(), self.views.confusion)
            self._shown_label = run_label(run["meta"]["settings"], result.test_accuracy)
            self._publish()
        if result.status == "finished":
            self.run_bar.show_progress(100)
        self.status_label.setText({"finished": "Done"}.get(result.status, "Stopped"))
        if result.status != "failed":  # failures already came with their own message
            cause = {"data_error": "dataset", "diverged": "recipe",
                     "out_of_memory": "recipe"}.get(result.status)
            self.show_message(result.message, "info" if ok else "error", cause)
        self._set_running(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_message(message, "error")

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path: str | Path) -> bool:
        if self._model is None:
            self.show_message("Nothing to save yet: train or load a model first.", "warning")
            return False
        try:
            write_checkpoint(path, self._model, self._meta)
        except (OSError, RuntimeError, ValueError) as exc:   # FileWriteError says why
            self.show_message(str(exc), "error", "save")
            return False
        self._clear_notice_of("save")
        arch = self._meta["arch"]
        self.show_message(f"Saved {ARCHITECTURE_LABELS.get(arch, arch)} to {path}.")
        return True

    def load_checkpoint(self, path: str | Path) -> bool:
        """Load a checkpoint: its model, its settings in the controls, its curves and matrix."""
        try:
            model, meta, shape = read_checkpoint(path)
        except CheckpointError as exc:
            self.show_message(str(exc), "error", "load")
            return False
        self._model, self._meta = model, dict(meta)
        for name, value in control_values(meta).items():   # one by one: a value this version
            try:                                            # lacks is skipped
                self.bind.set(name, value)
            except ValueError:
                pass
        label = checkpoint_label(meta)
        self.views.show_checkpoint(model, meta, checkpoint_classes(meta), shape, self._shown_label)
        self._shown_label = label
        self._publish()
        self.run_bar.show_progress(0)
        self.status_label.setText(f"Loaded {Path(path).name}")
        self.show_message(loaded_message(meta))
        self._update_buttons()
        return True

    # -- for other pages -----------------------------------------------------------------------
    def trained_model(self):
        """(model, meta) of the last trained or loaded model, a CPU copy in eval mode, when it
        takes 1x28x28 images (digits, clothes); else None."""
        if self._model is None or self._meta is None:
            return None
        if image_input_shape(self._meta) != (1, 28, 28):
            return None
        return copy.deepcopy(self._model).cpu().eval(), dict(self._meta)

    def _publish(self) -> None:
        """Other pages (Draw a digit, the row reader) get a copy of a 1x28x28 model."""
        trained = self.trained_model()
        if trained is not None:
            self.app_state.set_trained_model(TrainedModel(*trained, self._shown_label))

    def shutdown(self) -> None:
        self._shut_down = True
        self.runner.stop_and_wait()
        self.sources.stop_and_wait()
