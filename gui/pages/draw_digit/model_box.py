"""`ModelBox`: which network reads the drawing: the shipped digit model, the one trained on
the Train a CNN page (read from the shared `AppState`, never from that page), or a checkpoint
file. A model is taken only if it reads one 1x28x28 image into 10 finite scores; otherwise the
box says why and keeps the model it had."""
from __future__ import annotations

import copy
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QLabel, QVBoxLayout

from engine.digits import SIZE
from engine.models import ARCHITECTURE_LABELS, CheckpointError, load_checkpoint, load_pretrained
from gui.state import AppState

SHIPPED, TRAINED, FILE = "shipped", "trained", "file"
CLASSES = 10


class ModelBox(QGroupBox):
    modelChanged = Signal()             # `model` and `meta` are a new model's
    message = Signal(str, str)          # text, level: what went wrong

    def __init__(self, app_state: AppState, settings, parent=None):
        """`settings`: the page's settings; its `checkpoint_dir` is where the file dialog
        opens, and the folder of the last checkpoint loaded."""
        super().__init__("Model", parent)
        self.app_state = app_state
        self.settings = settings
        self.model: torch.nn.Module | None = None
        self.meta: dict = {}
        self.source = SHIPPED
        self.combo = QComboBox()
        self.combo.addItem("Shipped digit model", SHIPPED)
        self.combo.addItem("Model from the Train a CNN page", TRAINED)
        self.combo.addItem("Load a checkpoint file…", FILE)
        self.combo.setToolTip("Which network reads the drawing")
        self.combo.activated.connect(self._on_chosen)
        self.info = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.combo)
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        app_state.modelTrained.connect(self._on_model_trained)

    # -- the three sources ---------------------------------------------------------------------
    def use_shipped(self) -> bool:
        try:
            model = load_pretrained("digits")
        except CheckpointError as exc:
            return self._failed(f"The shipped digit model could not be loaded: {exc} "
                                "Rerun scripts/make_digit_model.py.")
        return self.set_model(model, model.meta, SHIPPED, "shipped with the app")

    def use_trained(self) -> bool:
        trained = self.app_state.trained_model
        if trained is None:
            return self._failed("No model trained yet: train one on 28×28 images on the "
                                "Train a CNN page (or load a checkpoint there), then pick it here.")
        # a copy: the Train page may go on training its own
        return self.set_model(copy.deepcopy(trained.model), trained.meta, TRAINED,
                              "from the Train a CNN page")

    def load_checkpoint_file(self, path: str | Path) -> bool:
        """Use the model in a checkpoint file; a bad file gives a message, the model stays."""
        try:
            model, meta = load_checkpoint(path)
        except CheckpointError as exc:
            return self._failed(str(exc))
        ok = self.set_model(model, meta, FILE, f"from {Path(path).name}")
        if ok:
            self.settings.checkpoint_dir = str(Path(path).parent)
        return ok

    def set_model(self, model: torch.nn.Module, meta: dict, source: str, origin: str) -> bool:
        """Use `model` if it reads one 28x28 image into 10 finite scores; else say why."""
        try:
            with torch.no_grad():
                out = model.eval()(torch.zeros(1, 1, SIZE, SIZE))
        except Exception as exc:  # a shape mismatch is the usual reason
            return self._failed(f"{origin} does not take a 1×28×28 image: "
                                f"{str(exc).splitlines()[0]}")
        if not bool(torch.isfinite(out).all()):
            return self._failed(f"{origin} gives NaN or infinite outputs: its weights are broken "
                                "(a training run that diverged leaves such a model). Train it "
                                "again with a lower learning rate.")
        classes = meta.get("classes") or range(out.shape[-1])
        if out.shape[-1] != CLASSES or len(classes) != CLASSES:
            return self._failed(f"{origin} has {out.shape[-1]} outputs; this page needs 10 classes.")
        self.model, self.meta, self.source = model, dict(meta), source
        self.meta["classes"] = [str(c) for c in classes]
        self.error.hide()
        self.combo.setCurrentIndex(self.combo.findData(source))
        self.info.setText(self._describe(origin))
        self.modelChanged.emit()
        return True

    # -- details -------------------------------------------------------------------------------
    def _describe(self, origin: str) -> str:
        arch = self.meta.get("arch", "?")
        parts = [f"<b>{ARCHITECTURE_LABELS.get(arch, arch)}</b> · {origin}"]
        if self.meta.get("dataset"):
            parts.append(f"trained on {self.meta['dataset']}")
        acc = self.meta.get("heldout_accuracy", self.meta.get("test_accuracy"))
        if isinstance(acc, (int, float)) and acc == acc:
            what = "held-out MNIST" if "heldout_accuracy" in self.meta else "test"
            parts.append(f"{what} accuracy {acc:.1%}")
        return "<br>".join(parts)

    def _failed(self, text: str) -> bool:
        self.error.setText(text)
        self.error.show()
        self.message.emit(text, "error")
        # keep showing the model still in use
        self.combo.setCurrentIndex(self.combo.findData(self.source) if self.model is not None else 0)
        return False

    def _on_chosen(self, index: int) -> None:
        source = self.combo.itemData(index)
        if source == SHIPPED:
            self.use_shipped()
        elif source == TRAINED:
            self.use_trained()
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Load a checkpoint",
                                                  self.settings.checkpoint_dir,
                                                  "Checkpoints (*.pt *.pth);;All files (*)")
            if path:
                self.load_checkpoint_file(path)
            else:  # cancelled: back to the model in use
                self.combo.setCurrentIndex(self.combo.findData(self.source))

    def _on_model_trained(self, trained) -> None:
        """A newly trained model replaces the previous one if that is the one in use."""
        if trained is not None and self.source == TRAINED:
            self.use_trained()
