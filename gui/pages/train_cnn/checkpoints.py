"""Checkpoints of the Train a CNN page: what a run stores besides its weights, and files.

A checkpoint (engine.models.save_checkpoint) holds the model's weights and plain metadata: the
architecture and its arguments, the dataset, the recipe (`settings`), and here also the run's
curves (`history`, from CurvePanel.history) and last confusion matrix (`confusion`), so that
loading it shows what that run showed. Files are written atomically (engine.files.atomic_write:
a failed save leaves the previous file as it was) and read with `torch.load(weights_only=True)`
(engine.models.load_checkpoint).

`CheckpointButtons` are the page's Save / Load buttons: each asks for a file and emits its path
(`saveTo`, `loadFrom`); `control_values(meta)` and `loaded_message(meta)` are what the page shows
of a loaded checkpoint.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QWidget
from torch import nn

from engine.data import DATASETS
from engine.files import atomic_write
from engine.models import ARCHITECTURE_LABELS, CheckpointError, load_checkpoint, save_checkpoint
from engine.train import SCHEDULES
from engine.train_job import image_input_shape
from gui.pages.train_cnn.controls import OPTIMIZERS, PAGE_ARCHS


def run_label(settings: dict, accuracy: float | None = None) -> str:
    """A run's recipe in a few words, for the legend of its faded curves:
    "LeNet-5 · Adam 0.008 one-cycle · batch 128 · seed 0: 91.2%"."""
    arch = settings.get("arch", "?")
    parts = [ARCHITECTURE_LABELS.get(arch, arch).split(" (")[0]]
    if settings.get("activation", "relu") != "relu":
        parts[0] += " (leaky)"
    optimizer = OPTIMIZERS.get(settings.get("optimizer"), "?").split(" ")[0]
    lr = settings.get("lr")
    parts.append(f"{optimizer} {lr:g}" if isinstance(lr, (int, float)) else optimizer)
    if settings.get("schedule", "constant") != "constant":   # (runs saved before it: constant)
        parts[-1] += f" {SCHEDULES.get(settings['schedule'], settings['schedule'])}"
    parts.append(f"batch {settings.get('batch_size', '?')}")
    parts.append(f"seed {settings.get('seed', '?')}")
    label = " · ".join(parts)
    if isinstance(accuracy, (int, float)) and math.isfinite(accuracy):
        label += f": {accuracy:.1%}"
    return label


def checkpoint_meta(meta: dict, accuracy: float, steps: int, history: dict,
                    confusion: np.ndarray | None) -> dict:
    """A finished (or stopped) run's metadata: `meta` (engine.train_job.run_meta) plus its
    result, its curves and its last confusion matrix (plain lists: weights_only loads them)."""
    out = dict(meta)
    if math.isfinite(accuracy):
        out["test_accuracy"] = float(accuracy)
    out["steps"] = int(steps)
    out["history"] = history
    if confusion is not None:
        out["confusion"] = np.asarray(confusion, dtype=np.int64).tolist()
    return out


def write_checkpoint(path: str | Path, model: nn.Module, meta: dict) -> Path:
    """Save atomically; raises engine.files.FileWriteError (an OSError) saying why."""
    return atomic_write(path, lambda temporary: save_checkpoint(temporary, model, meta))


def read_checkpoint(path: str | Path) -> tuple[nn.Module, dict, tuple[int, ...]]:
    """(model, meta, input shape) of a checkpoint this page trains; CheckpointError else."""
    model, meta = load_checkpoint(path)
    arch = meta.get("arch")
    shape = image_input_shape(meta)
    if arch not in PAGE_ARCHS or shape is None:
        names = ", ".join(ARCHITECTURE_LABELS.get(a, a).split(" (")[0] for a in PAGE_ARCHS)
        raise CheckpointError(f"{Path(path).name} holds a {arch!r} model, which this page does "
                              f"not train (it takes {names}).")
    return model, meta, shape


def checkpoint_classes(meta: dict) -> list[str]:
    """The class names a checkpoint's model was trained on."""
    classes = meta.get("classes")
    if isinstance(classes, list) and classes:
        return [str(c) for c in classes]
    spec = DATASETS.get(meta.get("dataset"))
    n = int(meta.get("kwargs", {}).get("num_classes", 10))
    return list(spec.classes) if spec is not None else [str(k) for k in range(n)]


def checkpoint_label(meta: dict) -> str:
    settings = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    label = run_label({"arch": meta.get("arch"), **settings}, meta.get("test_accuracy"))
    return f"loaded: {label}"


def control_values(meta: dict) -> dict:
    """The page's settings a checkpoint fixes: its network, the network's options, its dataset."""
    kwargs = meta.get("kwargs", {})
    values = {"arch": meta["arch"], "dropout": kwargs.get("dropout", 0.0),
              "batchnorm": kwargs.get("batchnorm", False),
              "activation": kwargs.get("activation", "relu")}
    if meta.get("dataset") in DATASETS:
        values["dataset"] = meta["dataset"]
    return values


def loaded_message(meta: dict) -> str:
    acc = meta.get("test_accuracy")
    extra = f", test accuracy {acc:.1%}" if isinstance(acc, float) else ""
    arch = meta["arch"]
    return (f"Loaded {ARCHITECTURE_LABELS.get(arch, arch)} trained on "
            f"{meta.get('dataset_label', meta.get('dataset', '?'))}{extra}.")


class CheckpointButtons(QWidget):
    """Save checkpoint… / Load checkpoint…: a file dialog each, then the path chosen."""

    saveTo = Signal(str)
    loadFrom = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.save_button = QPushButton("Save checkpoint…")
        self.save_button.clicked.connect(self.ask_save_path)
        self.load_button = QPushButton("Load checkpoint…")
        self.load_button.clicked.connect(self.ask_load_path)
        self.save_button.setToolTip("Save the trained model to a .pt file: its weights, its "
                                    "settings, its curves and its confusion matrix")
        self.load_button.setToolTip("Open a saved .pt checkpoint: its model, settings, curves "
                                    "and confusion matrix come back")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.save_button)
        row.addWidget(self.load_button)

    def ask_save_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", str(Path.home() / "cnn.pt"),
                                              "Checkpoints (*.pt)")
        if path:
            self.saveTo.emit(path)

    def ask_load_path(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load checkpoint", str(Path.home()),
                                              "Checkpoints (*.pt);;All files (*)")
        if path:
            self.loadFrom.emit(path)
