"""The Draw a digit page: draw, and watch a CNN read it, live.

Left: the canvas (pen width, undo, clear) and the model in use (the shipped one, the one trained
on the Train a CNN page, or a checkpoint file). Middle: the ten class probabilities, and the
preprocessing made visible (MNIST's recipe: crop, scale into 20x20, centre the mass in 28x28)
with a Grad-CAM or saliency map over the 28x28 the model sees. Right: every conv layer's
feature maps for the current drawing. Everything updates on each stroke (throttled by the
canvas); the update path only calls setImage/setOpts on items made once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QScrollArea, QSizePolicy, QSlider, QSplitter, QVBoxLayout, QWidget,
)

from engine.digits import BOX, SIZE, Preprocessed, model_input, preprocess_stages
from engine.inspect import analyse, conv_layer_names
from engine.models import ARCHITECTURE_LABELS, CheckpointError, load_checkpoint, load_pretrained
from gui.app import app_settings
from gui.pages.base import Page
from gui.widgets.digit_canvas import DigitCanvas
from gui.widgets.map_grid import MapGrid
from gui.widgets.matrix_view import MatrixView
from gui.widgets.prob_bars import ProbabilityBars

HEAT_METHODS = {"Grad-CAM": "gradcam", "Saliency": "saliency", "Off": None}
SOURCE_SHIPPED, SOURCE_TRAINED, SOURCE_FILE = "shipped", "trained", "file"
HEAT_ALPHA = 170          # peak opacity of the heat overlay (of 255)


@dataclass
class DrawState:
    pen_width: int = 22                 # pen width in canvas pixels (of 280)
    heat: str = "Grad-CAM"              # key of HEAT_METHODS
    source: str = SOURCE_SHIPPED        # where the model in use came from


def _heat_lut() -> np.ndarray:
    """(256, 3) uint8 colours for the heat overlay (dark red -> yellow)."""
    return pg.colormap.get("CET-L3").getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


class StageView(QWidget):
    """One preprocessing stage: a caption above a grayscale MatrixView."""

    def __init__(self, caption: str, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setWordWrap(True)
        self.view = MatrixView(show_numbers=False)
        self.view.setMinimumSize(110, 110)
        lay.addWidget(self.caption)
        lay.addWidget(self.view, 1)


class LayerMaps(MapGrid):
    """A conv layer's feature maps: each view shows exactly its map (no auto-range padding)."""

    def set_maps(self, maps, levels="each", titles=None) -> None:
        rebuilt = maps.shape[0] != self.count
        super().set_maps(maps, levels, titles)
        if rebuilt:
            h, w = maps.shape[1:]
            for label in self._labels:       # a slim title row, the rest for the map
                label.setMaximumHeight(14)
            for img in self._images:
                box = img.getViewBox()
                box.setRange(QRectF(0, 0, w, h), padding=0.02)
                box.disableAutoRange()

    def fit_height(self, width: int) -> None:
        """Rows of square cells (plus their titles) for the width the grid gets."""
        rows = -(-max(self.count, 1) // self.columns)
        self.setFixedHeight(int(rows * (width / self.columns + 18) + 8))


class DrawDigitPage(Page):
    title = "Draw a digit"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = app_settings()
        self.state = DrawState(
            pen_width=self.settings.value("draw_digit/pen_width", DrawState.pen_width, type=int),
            heat=self.settings.value("draw_digit/heat", DrawState.heat, type=str))
        if self.state.heat not in HEAT_METHODS:
            self.state.heat = DrawState.heat
        self.model: torch.nn.Module | None = None
        self.meta: dict = {}
        self._stages: Preprocessed | None = None
        self._lut = _heat_lut()
        self._layer_grids: list[tuple[QLabel, MapGrid]] = []
        self._map_shapes: list[tuple[int, int, int]] = []
        self._build()
        self._use_shipped_model()
        self.update_prediction()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.canvas = DigitCanvas(pen_width=self.state.pen_width)
        self.canvas.drawingChanged.connect(self.update_prediction)

        self.pen_slider = QSlider(Qt.Horizontal)
        self.pen_slider.setRange(6, 48)
        self.pen_slider.setValue(self.state.pen_width)
        self.pen_slider.valueChanged.connect(self._on_pen_width)
        self.pen_label = QLabel()
        self._show_pen_width()
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z, or right-click the canvas)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again (Delete)")
        self.clear_button.clicked.connect(self.canvas.clear)
        for text, keys, slot in (("Undo stroke", QKeySequence.Undo, self.canvas.undo),
                                 ("Clear drawing", QKeySequence(Qt.Key_Delete), self.canvas.clear)):
            action = QAction(text, self, shortcut=keys, shortcutContext=Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        pen_row.addWidget(self.pen_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)

        self.model_combo = QComboBox()
        self.model_combo.addItem("Shipped digit model", SOURCE_SHIPPED)
        self.model_combo.addItem("Model from the Train a CNN page", SOURCE_TRAINED)
        self.model_combo.addItem("Load a checkpoint file…", SOURCE_FILE)
        self.model_combo.setToolTip("Which network reads the drawing")
        self.model_combo.activated.connect(self._on_model_chosen)
        self.model_info = QLabel()
        self.model_info.setWordWrap(True)
        self.model_info.setTextFormat(Qt.RichText)
        self.model_error = QLabel()
        self.model_error.setWordWrap(True)
        self.model_error.setStyleSheet("color: #b00020;")
        self.model_error.hide()
        model_box = QGroupBox("Model")
        mlay = QVBoxLayout(model_box)
        mlay.addWidget(self.model_combo)
        mlay.addWidget(self.model_info)
        mlay.addWidget(self.model_error)

        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(self.canvas, 1)
        llay.addLayout(pen_row)
        llay.addLayout(buttons)
        llay.addWidget(model_box)
        tips = QLabel("Try it: draw small, off-centre or slanted — steps 1-3 undo size and "
                      "position, so the model still sees a centred digit. Thick or thin pen? "
                      "Watch the bars.")
        tips.setWordWrap(True)
        tips.setStyleSheet("color: #555;")
        llay.addWidget(tips)

        # middle: prediction, preprocessing stages, heat map
        self.verdict = QLabel()
        self.verdict.setAlignment(Qt.AlignCenter)
        self.verdict.setTextFormat(Qt.RichText)
        self.bars = ProbabilityBars()
        self.bars.setMinimumHeight(190)
        self.stage_cropped = StageView("1 · cropped to the ink")
        self.stage_scaled = StageView("2 · scaled into 20×20")
        self.stage_input = StageView("3 · centred in 28×28: the input")
        self.heat_combo = QComboBox()
        self.heat_combo.addItems(list(HEAT_METHODS))
        self.heat_combo.setCurrentText(self.state.heat)
        self.heat_combo.setToolTip("Grad-CAM: where the last conv layer found evidence for the "
                                   "predicted class. Saliency: how much each pixel's change "
                                   "would move that class's score.")
        self.heat_combo.currentTextChanged.connect(self._on_heat_method)
        self.heat_view = MatrixView(show_numbers=False)
        self.heat_view.setMinimumSize(110, 110)
        self.heat_caption = QLabel()
        self.heat_caption.setAlignment(Qt.AlignCenter)
        self.heat_caption.setWordWrap(True)
        heat_head = QHBoxLayout()
        heat_head.addWidget(QLabel("4 ·"))
        heat_head.addWidget(self.heat_combo, 1)
        heat_box = QWidget()
        hlay = QVBoxLayout(heat_box)
        hlay.setContentsMargins(0, 0, 0, 0)
        hlay.setSpacing(2)
        hlay.addLayout(heat_head)
        hlay.addWidget(self.heat_view, 1)
        hlay.addWidget(self.heat_caption)

        stages = QGridLayout()
        stages.setSpacing(6)
        for col, w in enumerate((self.stage_cropped, self.stage_scaled, self.stage_input, heat_box)):
            stages.addWidget(w, 0, col)
            stages.setColumnStretch(col, 1)
        self.stage_note = QLabel()
        self.stage_note.setWordWrap(True)
        self.stage_note.setStyleSheet("color: #555;")

        middle = QWidget()
        mid = QVBoxLayout(middle)
        mid.setContentsMargins(0, 0, 0, 0)
        mid.addWidget(self.verdict)
        mid.addWidget(self.bars, 3)
        prep = QGroupBox("What the model sees (MNIST's preprocessing)")
        play = QVBoxLayout(prep)
        play.addLayout(stages, 1)
        play.addWidget(self.stage_note)
        prep.setMaximumHeight(330)
        mid.addWidget(prep, 2)

        # right: feature maps per conv layer (grids are rebuilt only when the model changes)
        self.maps_holder = QWidget()
        self.maps_layout = QVBoxLayout(self.maps_holder)
        self.maps_layout.setContentsMargins(4, 4, 4, 4)
        self.maps_hint = QLabel()
        self.maps_hint.setWordWrap(True)
        self.maps_hint.setStyleSheet("color: #555;")
        self.maps_layout.addWidget(self.maps_hint)
        self.maps_layout.addStretch(1)
        self.maps_scroll = QScrollArea()
        self.maps_scroll.setWidgetResizable(True)
        self.maps_scroll.setFrameShape(QFrame.NoFrame)
        self.maps_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.maps_scroll.setWidget(self.maps_holder)
        self.maps_scroll.viewport().installEventFilter(self)
        maps_box = QGroupBox("Feature maps (after ReLU; bright = strong)")
        QVBoxLayout(maps_box).addWidget(self.maps_scroll)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(maps_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 3)
        split.setSizes([450, 500, 390])
        QVBoxLayout(self).addWidget(split)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.maps_scroll.viewport() and event.type() == QEvent.Resize:
            for _label, grid in self._layer_grids:
                grid.fit_height(event.size().width() - 12)
        return super().eventFilter(watched, event)

    def _rebuild_map_grids(self) -> None:
        """One titled MapGrid per conv layer of the current model (not on the per-stroke path)."""
        for label, grid in self._layer_grids:
            self.maps_layout.removeWidget(label)
            self.maps_layout.removeWidget(grid)
            label.deleteLater()
            grid.deleteLater()
        self._layer_grids, self._map_shapes = [], []
        if self.model is None:
            self.maps_hint.setText("No model loaded.")
            return
        with torch.no_grad():
            result = analyse(self.model, torch.zeros(1, SIZE, SIZE), method=None)
        if not result.feature_maps:
            self.maps_hint.setText("This model has no convolution layers (an MLP): it sees the "
                                   "784 pixels as one long list, so there are no maps to show.")
            return
        self.maps_hint.setText("Each small image is one filter's response to the drawing. "
                               "Early layers find strokes and edges; later ones, parts of digits.")
        for name, maps in result.feature_maps:
            c, h, w = maps.shape
            label = QLabel(f"<b>{name}</b> · {c} maps of {h}×{w}")
            columns = 3 if c <= 6 else 4 if c <= 16 else 8
            grid = LayerMaps(columns=columns, colormap="gray")
            grid.set_maps(maps, levels=(0.0, 1.0), titles=[str(i + 1) for i in range(c)])
            grid.fit_height(self.maps_scroll.viewport().width() - 12)
            self.maps_layout.insertWidget(self.maps_layout.count() - 1, label)
            self.maps_layout.insertWidget(self.maps_layout.count() - 1, grid)
            self._layer_grids.append((label, grid))
            self._map_shapes.append(maps.shape)

    # -- model choice --------------------------------------------------------------------------
    def _set_model(self, model: torch.nn.Module, meta: dict, source: str, origin: str) -> bool:
        """Use `model` if it takes one 28x28 image; else say why and keep the previous one."""
        try:
            with torch.no_grad():
                out = model.eval()(torch.zeros(1, 1, SIZE, SIZE))
        except Exception as exc:  # a shape mismatch is the usual reason
            self._model_failed(f"{origin} does not take a 1×28×28 image: {str(exc).splitlines()[0]}")
            return False
        n = int(out.shape[-1])
        classes = [str(c) for c in meta.get("classes", [])] or [str(i) for i in range(n)]
        if n != len(self.bars.classes) or len(classes) != n:
            self._model_failed(f"{origin} has {n} outputs; this page needs 10 classes.")
            return False
        self.model, self.meta = model, dict(meta)
        self.state.source = source
        self.bars.set_classes(classes)
        self.model_error.hide()
        self.model_combo.setCurrentIndex(self.model_combo.findData(source))
        self.model_info.setText(self._describe(origin))
        self._rebuild_map_grids()
        self.update_prediction()
        return True

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

    def _model_failed(self, text: str) -> None:
        self.model_error.setText(text)
        self.model_error.show()
        self.notify(text, "error")
        # keep showing the model still in use
        index = self.model_combo.findData(self.state.source)
        self.model_combo.setCurrentIndex(index if self.model is not None else 0)

    def _use_shipped_model(self) -> None:
        try:
            model = load_pretrained("digits")
        except CheckpointError as exc:
            self._model_failed(f"The shipped digit model could not be loaded: {exc} "
                               "Rerun scripts/make_digit_model.py.")
            self._rebuild_map_grids()
            return
        self._set_model(model, model.meta, SOURCE_SHIPPED, "shipped with the app")

    def _use_trained_model(self) -> None:
        window = self.property("app_window") or self.window()
        found = None
        try:
            train_page = window.page("train_cnn") if hasattr(window, "page") else None
            if train_page is not None and hasattr(train_page, "trained_model"):
                found = train_page.trained_model()
        except Exception as exc:  # that page failed to build: say so, keep the current model
            self._model_failed(f"The Train a CNN page is not available ({exc}).")
            return
        if found is None:
            self._model_failed("No model trained yet: train one on 28×28 images on the "
                               "Train a CNN page (or load a checkpoint there), then pick it here.")
            return
        model, meta = found
        self._set_model(model, meta, SOURCE_TRAINED, "from the Train a CNN page")

    def load_checkpoint_file(self, path: str | Path) -> bool:
        """Use the model in a checkpoint file; a bad file gives a message, the model stays."""
        try:
            model, meta = load_checkpoint(path)
        except CheckpointError as exc:
            self._model_failed(str(exc))
            return False
        ok = self._set_model(model, meta, SOURCE_FILE, f"from {Path(path).name}")
        if ok:
            self.settings.setValue("draw_digit/last_checkpoint", str(path))
        return ok

    def _on_model_chosen(self, index: int) -> None:
        source = self.model_combo.itemData(index)
        if source == SOURCE_SHIPPED:
            self._use_shipped_model()
        elif source == SOURCE_TRAINED:
            self._use_trained_model()
        else:
            start = self.settings.value("draw_digit/last_checkpoint", "", type=str)
            path, _ = QFileDialog.getOpenFileName(self, "Load a checkpoint", start,
                                                  "Checkpoints (*.pt *.pth);;All files (*)")
            if path:
                self.load_checkpoint_file(path)
            else:  # cancelled: back to the model in use
                self.model_combo.setCurrentIndex(self.model_combo.findData(self.state.source))

    # -- controls ------------------------------------------------------------------------------
    def _on_pen_width(self, value: int) -> None:
        self.state.pen_width = value
        self.canvas.set_pen_width(value)
        self.settings.setValue("draw_digit/pen_width", value)
        self._show_pen_width()

    def _show_pen_width(self) -> None:
        # the digit is scaled down ~10x into the 20x20 box, so this is roughly its stroke in pixels
        self.pen_label.setText(f"{self.state.pen_width} px")

    def _on_heat_method(self, text: str) -> None:
        self.state.heat = text
        self.settings.setValue("draw_digit/heat", text)
        self.update_prediction()

    # -- the per-stroke update -----------------------------------------------------------------
    def current_input(self) -> np.ndarray | None:
        """The preprocessed (28, 28) image the model sees, or None while the canvas is empty."""
        if self._stages is None or self._stages.empty:
            return None
        return self._stages.centred.copy()

    def update_prediction(self) -> None:
        """Preprocess the drawing, run the model, and refresh bars, stages, heat map and maps."""
        stages = preprocess_stages(self.canvas.image())
        self._stages = stages
        self._show_stages(stages)
        if self.model is None:
            self.bars.set_probabilities(None)
            self.verdict.setText("<span style='font-size:16pt; color:#777'>No model loaded</span>")
            return
        if stages.empty:
            self.bars.set_probabilities(None)
            self.verdict.setText("<span style='font-size:16pt; color:#777'>"
                                 "Draw a digit on the left</span>")
            self.heat_view.set_matrix(stages.centred, levels=(0.0, 1.0))
            self.heat_view.overlay.clear()
            self.heat_caption.setText("")
            for (_label, grid), shape in zip(self._layer_grids, self._map_shapes):
                grid.set_maps(np.zeros(shape, np.float32), levels=(0.0, 1.0))
            return
        method = HEAT_METHODS[self.state.heat]
        x = model_input(stages.centred, self.meta)
        result = analyse(self.model, x, method)
        self.bars.set_probabilities(result.probs)
        top = result.target
        name = self.bars.classes[top]
        self.verdict.setText(f"<span style='font-size:22pt'>It's a <b style='color:#e6781e'>{name}"
                             f"</b></span> <span style='font-size:14pt; color:#555'>"
                             f"({result.probs[top]:.1%} sure)</span>")
        self._show_heat(stages.centred, result.heat, name)
        for (_label, grid), (_name, maps) in zip(self._layer_grids, result.feature_maps):
            # one colour scale per layer, so strong and weak filters can be compared
            peak = float(maps.max())
            grid.set_maps(maps, levels=(0.0, peak if peak > 0 else 1.0))

    def _show_stages(self, stages: Preprocessed) -> None:
        if stages.empty:
            self.stage_cropped.view.set_matrix(np.zeros((BOX, BOX), np.float32), levels=(0.0, 1.0))
            self.stage_note.setText("The canvas is empty: the model would see a blank 28×28 field.")
        else:
            self.stage_cropped.view.set_matrix(stages.cropped, levels=(0.0, 1.0))
            h, w = stages.cropped.shape
            self.stage_note.setText(
                f"Ink box {w}×{h} px on the canvas → ×{stages.scale:.3f} so the longer side is 20 px "
                f"(aspect kept) → moved so its centre of mass sits at the middle of 28×28.")
        self.stage_scaled.view.set_matrix(stages.scaled, levels=(0.0, 1.0))
        self.stage_input.view.set_matrix(stages.centred, levels=(0.0, 1.0))

    def _show_heat(self, centred: np.ndarray, heat: np.ndarray | None, name: str) -> None:
        self.heat_view.set_matrix(centred * 0.55, levels=(0.0, 1.0))   # dimmed under the overlay
        if heat is None:
            self.heat_view.overlay.clear()
            self.heat_caption.setText("the input, no overlay")
            return
        peak = float(heat.max())
        level = heat / peak if peak > 0 else heat
        rgba = np.empty(heat.shape + (4,), np.uint8)
        rgba[..., :3] = self._lut[(level * 255).astype(np.uint8)]
        rgba[..., 3] = (level * HEAT_ALPHA).astype(np.uint8)
        self.heat_view.overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
        what = "evidence for" if self.state.heat == "Grad-CAM" else "pixels that move the score of"
        self.heat_caption.setText(f"{what} “{name}”")

    def page_opened(self) -> None:
        self.canvas.setFocus()
