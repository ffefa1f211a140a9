"""The Draw a digit page: draw, and watch a CNN read it, live.

Left: the canvas (pen width, undo, clear) and the model in use (`ModelBox`). Middle: the ten
class probabilities, and the preprocessing made visible (MNIST's recipe: crop, scale into
20x20, centre the mass in 28x28; `StageStrip`) with a Grad-CAM or saliency map over the 28x28
the model sees. Right: every conv layer's feature maps (`FeatureMapMosaic`). Everything
updates on each stroke (the canvas throttles its signal); the views are made once and an
update only hands them new pixels and values.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QSplitter,
    QVBoxLayout, QWidget,
)

from engine.digits import SIZE, Preprocessed, model_input, preprocess_stages
from engine.inspect import analyse
from gui import style
from gui.bind import Bindings
from gui.pages.base import Page
from gui.pages.draw_digit.feature_mosaic import FeatureMapMosaic
from gui.pages.draw_digit.model_box import FILE, SHIPPED, TRAINED, ModelBox
from gui.pages.draw_digit.stage_strip import CROP_SIDE, HEAT_ALPHA, StageStrip, fit_square
from gui.widgets.digit_canvas import DigitCanvas
from gui.widgets.prob_bars import ProbabilityBars, percent

__all__ = ["DrawDigitPage", "DrawState", "CROP_SIDE", "HEAT_ALPHA", "fit_square",
           "SHIPPED", "TRAINED", "FILE"]

HEAT_METHODS = {"gradcam": "Grad-CAM", "saliency": "Saliency", "off": "Off"}
HEAT_CAPTIONS = {"gradcam": "4 · Grad-CAM", "saliency": "4 · saliency", "off": "4 · input"}

EXPLANATION = """
<p>Draw a digit and watch a trained CNN read it on every stroke. Before the model sees it, the
drawing goes through <b>MNIST's preprocessing</b>: (1) crop to the ink, (2) scale so the longer
side is 20 pixels, (3) place it in a 28 × 28 field with its centre of mass in the middle. So a
small, off-centre digit still reaches the model as a centred one.</p>
<p>The bars are the softmax of the model's ten scores. <b>Grad-CAM</b> weights the last conv
layer's maps by how much each raises the winning score; <b>saliency</b> is how much each input
pixel would change it. The feature maps on the right are each conv layer's outputs after ReLU:
early layers find strokes and edges, later ones parts of digits.</p>
"""


@dataclass
class DrawState:
    pen_width: int = 22                 # pen width in canvas pixels (of 280)
    heat: str = "gradcam"               # key of HEAT_METHODS
    checkpoint_dir: str = ""            # where the checkpoint dialog opens


class DrawDigitPage(Page):
    page_id = "draw_digit"
    title = "Draw a digit"
    explanation = EXPLANATION
    shortcuts = [("Ctrl+Z or right-click the canvas", "undo the last stroke"),
                 ("Delete", "clear the drawing")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.settings = DrawState()
        self._stages: Preprocessed | None = None
        self._build()
        self.bind = Bindings(self.settings, self._on_setting)
        self.bind.spin("pen_width", self.pen_slider)
        self.bind.combo("heat", self.heat_combo, HEAT_METHODS)
        self._show_pen_width()
        if not self.model_box.use_shipped():
            self._on_model_changed()          # (no model: say so in the views)

    # -- the model in use ------------------------------------------------------------------------
    @property
    def model(self) -> torch.nn.Module | None:
        return self.model_box.model

    @property
    def meta(self) -> dict:
        return self.model_box.meta

    def load_checkpoint_file(self, path: str | Path) -> bool:
        """Use the model in a checkpoint file; a bad file gives a message, the model stays."""
        return self.model_box.load_checkpoint_file(path)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.canvas = DigitCanvas(pen_width=self.settings.pen_width)
        self.canvas.drawingChanged.connect(self.update_prediction)
        self.pen_slider = QSlider(Qt.Horizontal, minimum=6, maximum=48)
        self.pen_slider.setToolTip("Pen width: thick or thin strokes, as the model then sees them")
        self.pen_label = QLabel()
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z, or right-click the canvas)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again (Delete)")
        self.clear_button.clicked.connect(self.canvas.clear)
        for text, keys, slot in (("Undo stroke", QKeySequence.Undo, self.canvas.undo),
                                 ("Clear drawing", QKeySequence(Qt.Key_Delete), self.canvas.clear)):
            action = QAction(text, self, shortcut=keys,
                             shortcutContext=Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        pen_row.addWidget(self.pen_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        self.model_box = ModelBox(self.app_state, self.settings)
        self.model_box.modelChanged.connect(self._on_model_changed)
        self.model_box.message.connect(self.notify)
        self.model_combo = self.model_box.combo
        tips = QLabel("Try it: draw small, off-centre or slanted — steps 1-3 undo size and "
                      "position, so the model still sees a centred digit.", wordWrap=True)
        tips.setStyleSheet("color: #555;")
        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(self.canvas, 1)
        llay.addLayout(pen_row)
        llay.addLayout(buttons)
        llay.addWidget(self.model_box)
        llay.addWidget(tips)

        # middle: prediction, preprocessing stages, heat map
        self.verdict = style.set_role(QLabel(alignment=Qt.AlignCenter), "big", bold=True)
        self.bars = ProbabilityBars()
        self.stages_view = StageStrip(["1 · crop", "2 · 20×20", "3 · 28×28", HEAT_CAPTIONS["gradcam"]])
        self.heat_combo = QComboBox()
        self.heat_combo.setToolTip("Grad-CAM: where the last conv layer found evidence for the "
                                   "predicted class. Saliency: how much each pixel's change "
                                   "would move that class's score.")
        heat_row = QHBoxLayout()
        heat_row.addStretch(1)
        heat_row.addWidget(QLabel("Heat map (4):"))
        heat_row.addWidget(self.heat_combo)
        note = QLabel("2: longer side 20 px, aspect kept → 3: centre of mass moved to the "
                      "middle of 28×28 → 4: which pixels mattered.", wordWrap=True)
        note.setStyleSheet("color: #555;")
        prep = QGroupBox("What the model sees (MNIST's preprocessing)")
        play = QVBoxLayout(prep)
        play.addLayout(heat_row)
        play.addWidget(self.stages_view)
        self.stage_numbers = QLabel()     # what changes with each stroke, above the fixed recipe
        self.stage_numbers.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        play.addWidget(self.stage_numbers)
        play.addWidget(note)
        middle = QWidget()
        mid = QVBoxLayout(middle)
        mid.setContentsMargins(0, 0, 0, 0)
        mid.addWidget(self.verdict)
        mid.addWidget(self.bars, 1)
        mid.addWidget(prep)

        # right: feature maps per conv layer (laid out again only when the model changes)
        self.maps_hint = QLabel(wordWrap=True)
        self.maps_hint.setStyleSheet("color: #555;")
        self.maps_view = FeatureMapMosaic()
        maps_box = QGroupBox("Feature maps (after ReLU)")
        blay = QVBoxLayout(maps_box)
        blay.addWidget(self.maps_hint)
        blay.addWidget(self.maps_view, 1)

        split = QSplitter(Qt.Horizontal, childrenCollapsible=False)
        for column, stretch in ((left, 3), (middle, 4), (maps_box, 3)):
            split.addWidget(column)
            split.setStretchFactor(split.count() - 1, stretch)
        split.setSizes([330, 400, 290])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    # -- settings ------------------------------------------------------------------------------
    def _on_setting(self, name: str) -> None:
        if name in ("pen_width", "*"):
            self.canvas.set_pen_width(self.settings.pen_width)
            self._show_pen_width()
        if name in ("heat", "*"):
            self.update_prediction()

    def _show_pen_width(self) -> None:
        # the digit is scaled down ~10x into the 20x20 box, so this is roughly its stroke in pixels
        self.pen_label.setText(f"{self.settings.pen_width} px")

    # -- a new model ---------------------------------------------------------------------------
    def _on_model_changed(self) -> None:
        """Relabel the bars and lay out one mosaic per conv layer (not on the per-stroke path)."""
        if self.model is None:
            self.maps_hint.setText("No model loaded.")
            self.maps_view.set_layers([])
            self.update_prediction()
            return
        self.bars.set_classes(self.meta["classes"])
        maps = analyse(self.model, torch.zeros(1, SIZE, SIZE), method=None).feature_maps
        if not maps:
            self.maps_hint.setText("This model has no convolution layers (an MLP): it sees the "
                                   "784 pixels as one long list, so there are no maps to show.")
        else:
            self.maps_hint.setText("Each small image is one filter's response to the drawing "
                                   "(bright = strong). Each layer has its own brightness scale.")
        self.maps_view.set_layers([(name, m.shape) for name, m in maps])
        self.update_prediction()

    # -- the per-stroke update -----------------------------------------------------------------
    def current_input(self) -> np.ndarray | None:
        """The preprocessed (28, 28) image the model sees, or None while the canvas is empty."""
        if self._stages is None or self._stages.empty:
            return None
        return self._stages.centred.copy()

    def update_prediction(self) -> None:
        """Preprocess the drawing, run the model, and refresh bars, stages, heat map and maps."""
        # only the part of the canvas that can hold ink: preprocessing crops to the ink first,
        # so the stages are the same as the whole canvas'; the box is shifted back below
        ink, row0, col0 = self.canvas.ink_region()
        stages = preprocess_stages(ink)
        if stages.bbox is not None:
            r0, c0, r1, c1 = stages.bbox
            stages = replace(stages, bbox=(r0 + row0, c0 + col0, r1 + row0, c1 + col0))
        self._stages = stages
        self.app_state.set_drawn_digit(self.current_input())   # for the RNN page's row reader
        self._show_stages(stages)
        method = self.settings.heat
        self.stages_view.set_caption(3, HEAT_CAPTIONS[method])
        if self.model is None or stages.empty:
            self.bars.set_probabilities(None)
            self.verdict.setText("No model loaded" if self.model is None
                                 else "Draw a digit on the left")
            if stages.empty:
                self.stages_view.set_empty()
            else:
                self.stages_view.set_stage(3, stages.centred)
                self.stages_view.show_heat(None)
            self.maps_view.set_maps(None)
            return
        x = model_input(stages.centred, self.meta)
        result = analyse(self.model, x, None if method == "off" else method)
        self.bars.set_probabilities(result.probs)
        name = self.bars.classes[result.target]
        self.verdict.setText(f"It's a {name}  ({percent(result.probs[result.target])} sure)")
        self.stages_view.set_stage(3, stages.centred, dim=1.0 if result.heat is None else 0.55)
        self.stages_view.show_heat(result.heat)
        self.stages_view.boxes[3].setToolTip(f"Which pixels mattered for “{name}”")
        self.maps_view.set_maps([maps for _name, maps in result.feature_maps])

    def _show_stages(self, stages: Preprocessed) -> None:
        view = self.stages_view
        if stages.empty:
            view.set_empty()
            self.stage_numbers.setText("The canvas is empty: draw a digit to see each step.")
            return
        else:
            view.set_stage(0, stages.cropped)
            h, w = stages.cropped.shape
            self.stage_numbers.setText(f"1: ink box {w}×{h} px → 2: ×{stages.scale:.3f}")
        view.set_stage(1, stages.scaled)
        view.set_stage(2, stages.centred)

    def page_opened(self) -> None:
        self.canvas.setFocus()
