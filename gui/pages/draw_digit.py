"""The Draw a digit page: draw, and watch a CNN read it, live.

Left: the canvas (pen width, undo, clear) and the model in use (the shipped one, the one trained
on the Train a CNN page, or a checkpoint file). Middle: the ten class probabilities, and the
preprocessing made visible (MNIST's recipe: crop, scale into 20x20, centre the mass in 28x28)
with a Grad-CAM or saliency map over the 28x28 the model sees. Right: every conv layer's
feature maps for the current drawing. Everything updates on each stroke (throttled by the
canvas); the update path only hands new pixels and values to items made once, and preprocesses
only the canvas' ink box (benchmarks/draw_latency.py measures a stroke to the repainted page).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAction, QColor, QFont, QFontMetrics, QKeySequence, QPainter, QPen,
)
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGraphicsItem, QGraphicsView, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QSizePolicy, QSlider, QSplitter, QVBoxLayout, QWidget,
)

from engine.digits import BOX, SIZE, Preprocessed, model_input, preprocess_stages
from engine.inspect import Analyser
from engine.models import ARCHITECTURE_LABELS, CheckpointError, load_checkpoint, load_pretrained
from gui.app import app_settings
from gui.pages.base import Page
from gui.widgets.digit_canvas import DigitCanvas
from gui.widgets.pixel_image import PixelImage, gray8, to_argb32
from gui.widgets.plot_cache import paint_view
from gui.widgets.static_texts import StaticTexts
from gui.widgets.prob_bars import ProbabilityBars

HEAT_METHODS = {"Grad-CAM": "gradcam", "Saliency": "saliency", "Off": None}
HEAT_CAPTIONS = {"gradcam": "4 · Grad-CAM", "saliency": "4 · saliency", None: "4 · input"}
SOURCE_SHIPPED, SOURCE_TRAINED, SOURCE_FILE = "shipped", "trained", "file"
HEAT_ALPHA = 170          # peak opacity of the heat overlay (of 255)
CROP_SIDE = 192           # the ink box is shown resampled into a square of this many pixels


@dataclass
class DrawState:
    pen_width: int = 22                 # pen width in canvas pixels (of 280)
    heat: str = "Grad-CAM"              # key of HEAT_METHODS
    source: str = SOURCE_SHIPPED        # where the model in use came from


def _heat_lut() -> np.ndarray:
    """(256,) uint32 premultiplied ARGB32 for heat levels 0..255: the colour (dark red ->
    yellow) and an opacity growing to HEAT_ALPHA, so an overlay is one gather per stroke."""
    rgb = pg.colormap.get("CET-L3").getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
    rgba = np.empty((256, 4), np.uint8)
    rgba[:, :3] = rgb
    rgba[:, 3] = (np.arange(256) / 255 * HEAT_ALPHA).astype(np.uint8)
    return to_argb32(rgba[None])[0]          # (as a 1 x 256 RGBA image)


def _fit_square(gray: np.ndarray, side: int, pad: int = 255) -> np.ndarray:
    """uint8 (H, W) -> (side, side): scaled (nearest) so the longer side fills the square,
    centred, the margins `pad`."""
    h, w = gray.shape
    k = side / max(h, w, 1)
    sh, sw = max(1, min(side, round(h * k))), max(1, min(side, round(w * k)))
    rows = np.minimum(((np.arange(sh) + 0.5) / k).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(sw) + 0.5) / k).astype(np.intp), w - 1)
    out = np.full((side, side), pad, np.uint8)
    top, left = (side - sh) // 2, (side - sw) // 2
    out[top:top + sh, left:left + sw] = gray[rows][:, cols]     # (two 1-D gathers: 5x faster)
    return out


def _pixel_view(view: pg.GraphicsView) -> None:
    """Nearest-neighbour images and no antialiasing: crisp pixels, and a cheaper repaint. The
    white background is filled, not copied from a cached pixmap (pyqtgraph's default), which
    is cheaper for the small areas a stroke repaints; and only once: the view's own fill covers
    what it repaints, so Qt need not clear the viewport first."""
    view.setAntialiasing(False)
    view.setRenderHint(QPainter.SmoothPixmapTransform, False)
    view.setCacheMode(QGraphicsView.CacheNone)
    view.viewport().setAttribute(Qt.WA_OpaquePaintEvent)


def _no_contents(*items: QGraphicsItem) -> None:
    """Layouts and labels paint nothing themselves (a label's text is a child item): saying so
    spares Qt a call into Python for each of them on every repaint."""
    for item in items:
        item.setFlag(QGraphicsItem.ItemHasNoContents)


def _frameless(box: pg.ViewBox) -> None:
    """A view box without a frame paints nothing itself: tell Qt so (pyqtgraph's default
    invisible border pen is still stroked on every repaint, by the box and a frame item)."""
    box.border = None
    box.borderRect.hide()
    box.setFlag(QGraphicsItem.ItemHasNoContents)


def _image_box(layout, row: int, col: int) -> tuple[pg.ViewBox, pg.ImageItem]:
    box = layout.addViewBox(row=row, col=col, lockAspect=True, invertY=True, enableMouse=False)
    box.setMenuEnabled(False)
    _frameless(box)
    img = PixelImage(axisOrder="row-major")
    box.addItem(img)
    return box, img


class PaintedText(QWidget):
    """A line or two of text painted directly: unlike a QLabel, new text never asks the page to
    lay itself out again (that relayout cost more than the model on every stroke). Each text is
    laid out once (a QStaticText) and kept: the parts that recur from stroke to stroke (words,
    digits, the fixed explanation) cost only a blit of cached glyphs."""

    CACHE_LIMIT = 512      # laid-out texts kept (percentages recur; the rest are short)

    def __init__(self, point_size: float = 10.0, color: str = "#555", lines: int = 1,
                 align: Qt.AlignmentFlag = Qt.AlignHCenter, parent=None):
        super().__init__(parent)
        self.setAutoFillBackground(True)  # opaque: new text does not repaint the page behind it
        self._parts: list[tuple[str, str, bool]] = []     # (text, colour, bold)
        self._font = QFont(self.font())
        self._font.setPointSizeF(point_size)
        self._color = color
        self._centred = bool(align & Qt.AlignHCenter)
        self.setFixedHeight(int(QFontMetrics(self._font).lineSpacing() * lines + 6))
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.wrap = lines > 1
        bold = QFont(self._font)
        bold.setBold(True)
        self._fonts = {False: self._font, True: bold}
        self._pens: dict[str, QPen] = {}
        self._layouts = StaticTexts(self.CACHE_LIMIT)

    def set_parts(self, parts: list[tuple[str, str, bool]]) -> None:
        if parts != self._parts:
            self._parts = parts
            self.update()

    def setText(self, text: str) -> None:
        self.set_parts([(text, self._color, False)])

    def text(self) -> str:
        return "".join(t for t, _c, _b in self._parts)

    def _pen(self, color: str) -> QPen:
        pen = self._pens.get(color)
        if pen is None:
            pen = self._pens[color] = QPen(QColor(color))
        return pen

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.TextAntialiasing)
        if self.wrap:
            text = self.text()
            if text:
                painter.setFont(self._font)
                painter.setPen(self._pen(self._color))
                painter.drawStaticText(QPointF(2, 2),
                                       self._layouts.get(text, self._font, wrap=self.width() - 4))
            return
        statics = [self._layouts.get(text, self._fonts[bold]) for text, _c, bold in self._parts]
        widths = [static.size().width() for static in statics]
        x = (self.width() - sum(widths)) / 2 if self._centred else 2.0
        height = max((static.size().height() for static in statics), default=0.0)
        y = (self.height() - height) / 2
        for (_text, color, bold), static, w in zip(self._parts, statics, widths):
            painter.setFont(self._fonts[bold])
            painter.setPen(self._pen(color))
            painter.drawStaticText(QPointF(x, y), static)
            x += w


class _Caption(pg.LabelItem):
    """A label that may be narrower than its text (clipped), so it never pushes images out."""

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(10)
        self.setPreferredWidth(10)


class StageStrip(pg.GraphicsLayoutWidget):
    """The preprocessing stages (and the heat map) side by side, in one graphics view."""

    def __init__(self, captions: list[str], parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.captions: list[pg.LabelItem] = []
        self.boxes: list[pg.ViewBox] = []
        self.images: list[pg.ImageItem] = []
        self._values: list[np.ndarray] = []
        self._shapes: list[tuple[int, int] | None] = []
        for col, text in enumerate(captions):
            label = _Caption(text, size="9pt")
            self.ci.addItem(label, row=0, col=col)
            self.captions.append(label)
            self.ci.layout.setColumnStretchFactor(col, 1)
            box, img = _image_box(self.ci, 1, col)
            self.boxes.append(box)
            self.images.append(img)
            self._values.append(np.zeros((0, 0), np.float32))
            self._shapes.append(None)
        _pixel_view(self)
        _no_contents(self.ci, *self.captions)
        self.overlay = PixelImage(axisOrder="row-major")   # RGBA heat over the last image
        self.overlay.setZValue(1)
        self.boxes[-1].addItem(self.overlay)
        self.setMinimumHeight(150)

    def set_stage(self, index: int, values: np.ndarray, dim: float = 1.0,
                  fit: int | None = None) -> None:
        """Show ink `values` (H, W) in [0, 1]; `dim` < 1 darkens it (under an overlay).

        With `fit`, the values are resampled (nearest) into a fixed `fit` x `fit` square, aspect
        kept, the rest white like the view: it looks the same as showing them at their own size,
        but an image whose size changes on every stroke (the ink box while it grows) costs a new
        view range and geometry each time, and this one never does."""
        self._values[index] = values
        gray = gray8(values * dim if dim != 1.0 else values)
        if fit is not None:
            gray = _fit_square(gray, fit)
            values = gray                     # (only its shape is used below)
        self.images[index].set_pixels(gray)
        if values.shape != self._shapes[index]:
            self._shapes[index] = values.shape
            h, w = values.shape
            self.boxes[index].setRange(QRectF(0, 0, w, h), padding=0.03)
            # apply the new range now: left to the paint, it moves the image during the paint
            # and the view paints a second time
            self.boxes[index].updateMatrix()

    def paintEvent(self, event) -> None:
        paint_view(self, event, self.boxes)

    def set_caption(self, index: int, text: str) -> None:
        label = self.captions[index]
        if label.text != text:
            label.setText(text, size="9pt")

    def values(self, index: int) -> np.ndarray:
        return self._values[index]


class FeatureMapMosaic(pg.GraphicsLayoutWidget):
    """Every conv layer's feature maps, each layer tiled into ONE image (thin gaps between maps).

    One image per layer instead of one view per map (as MapGrid does) keeps the repaint on each
    stroke cheap: LeNet's 22 maps cost two image uploads, not 22 views with colour tables. The
    tiling is one gather through an index made when the model changes."""

    GAP_VALUE = 90        # gap colour (of 255): visible between black map backgrounds

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        _pixel_view(self)
        _no_contents(self.ci)
        # (name, (C, H, W), columns, gap in map pixels)
        self._layers: list[tuple[str, tuple[int, int, int], int, int]] = []
        self._boxes: list[pg.ViewBox] = []
        self._labels: list[pg.LabelItem] = []
        self._sizes: list[tuple[int, int]] = []   # (mh, mw) of each layer's mosaic image
        self._images: list[PixelImage] = []
        self._index: list[np.ndarray] = []     # (mh, mw) into a layer's C*H*W values; gaps: last
        self._tiles: list[np.ndarray] = []     # the (C, H, W) maps last shown

    @staticmethod
    def columns_for(channels: int) -> int:
        return 3 if channels <= 6 else 4 if channels <= 16 else 8

    def set_layers(self, layers: list[tuple[str, tuple[int, int, int]]]) -> None:
        """Lay out one titled mosaic per (name, (C, H, W)); called when the model changes."""
        self.ci.clear()
        self._layers, self._images, self._index, self._tiles = [], [], [], []
        self._boxes, self._labels, self._sizes = [], [], []
        for i, (name, (c, h, w)) in enumerate(layers):
            cols = self.columns_for(c)
            rows = -(-c // cols)
            gap = max(1, round(max(h, w) / 12))     # about a twelfth of a map between maps
            label = self.ci.addLabel(f"<b>{name}</b> · {c} maps of {h}×{w}", row=2 * i, col=0,
                                     size="9pt")
            label.setMaximumHeight(22)
            _no_contents(label)
            box, img = _image_box(self.ci, 2 * i + 1, 0)
            mh, mw = rows * (h + gap) - gap, cols * (w + gap) - gap
            box.setRange(QRectF(0, 0, mw, mh), padding=0.01)
            self._boxes.append(box)
            self._labels.append(label)
            self._sizes.append((mh, mw))
            index = np.full((mh, mw), c * h * w, np.intp)
            for m in range(c):
                r, q = divmod(m, cols)
                y, x = r * (h + gap), q * (w + gap)
                index[y:y + h, x:x + w] = np.arange(m * h * w, (m + 1) * h * w).reshape(h, w)
            self._layers.append((name, (c, h, w), cols, gap))
            self._images.append(img)
            self._index.append(index)
            self._tiles.append(np.zeros((c, h, w), np.float32))
        self.ci.layout.setRowStretchFactor(2 * len(layers), 1)   # what the mosaics leave over
        self._fit_rows()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def paintEvent(self, event) -> None:
        paint_view(self, event, self._boxes)

    def _fit_rows(self) -> None:
        """Each mosaic's box exactly as tall as its image at the full width (all shrunk alike
        when they do not fit), so every title sits right above its maps and the space left
        over goes below the last one instead of between them."""
        if not getattr(self, "_boxes", None):     # (also called while the view is being built)
            return
        left, top, right, bottom = self.ci.layout.getContentsMargins()
        width = self.viewport().width() - left - right
        labels = sum(label.maximumHeight() for label in self._labels)
        spacing = self.ci.layout.verticalSpacing() * 2 * len(self._boxes)
        room = self.viewport().height() - top - bottom - labels - spacing
        ratios = [mh / mw for mh, mw in self._sizes]
        scale = min(1.0, max(room, 0) / max(width * sum(ratios), 1))
        for box, ratio in zip(self._boxes, ratios):
            box.setFixedHeight(max(10.0, width * ratio * scale))

    def set_maps(self, maps: list[np.ndarray] | None) -> None:
        """One (C, H, W) array per layer (None: all black); each layer on its own 0..peak scale."""
        for k, ((_name, (c, h, w), _cols, _gap), img) in enumerate(zip(self._layers, self._images)):
            tiles = np.zeros((c, h, w), np.float32) if maps is None else maps[k]
            self._tiles[k] = tiles
            peak = float(tiles.max()) if tiles.size else 0.0
            gray = np.empty(c * h * w + 1, np.uint8)
            gray[:-1] = gray8(tiles.reshape(-1), 0.0, peak if peak > 0 else 1.0)
            gray[-1] = self.GAP_VALUE
            img.set_pixels(gray[self._index[k]])

    def layer_count(self) -> int:
        return len(self._layers)

    def mosaic(self, layer: int) -> np.ndarray:
        """The float values last shown for `layer`, NaN in the gaps."""
        values = np.append(self._tiles[layer].reshape(-1).astype(np.float32), np.nan)
        return values[self._index[layer]]


def _analyse_one(analyser: Analyser, x: torch.Tensor, method: str | None):
    """The model's analysis of the one 28x28 drawing, set up for a tiny input (measured with
    benchmarks/draw_latency.py): on one thread (handing work to a second costs more than it
    saves) and without oneDNN (its convolution set-up costs more than LeNet's convolutions:
    ~0.5 ms a stroke; the results agree to 1e-6). Both are given back right after. With torch's
    OpenMP build the thread count belongs to the calling thread, so a model training in a
    worker thread meanwhile keeps its threads (checked: a worker's `get_num_threads()` stays
    at 2); the oneDNN switch is process-wide, so such a model runs its convolutions without
    oneDNN for those few milliseconds."""
    threads = torch.get_num_threads()
    onednn = torch.backends.mkldnn.enabled
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    try:
        return analyser(x, method)
    finally:
        torch.backends.mkldnn.enabled = onednn
        torch.set_num_threads(threads)


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
        self._analyser: Analyser | None = None    # the model's plan, made once per model
        self.meta: dict = {}
        self._stages: Preprocessed | None = None
        self._lut = _heat_lut()
        self._heat_tip = ""
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
        self.verdict = PaintedText(point_size=20, color="#777")
        self.bars = ProbabilityBars()
        self.bars.setMinimumHeight(190)
        self.stages_view = StageStrip(["1 · crop", "2 · 20×20", "3 · 28×28",
                                       HEAT_CAPTIONS[HEAT_METHODS[self.state.heat]]])
        self.heat_combo = QComboBox()
        self.heat_combo.addItems(list(HEAT_METHODS))
        self.heat_combo.setCurrentText(self.state.heat)
        self.heat_combo.setToolTip("Grad-CAM: where the last conv layer found evidence for the "
                                   "predicted class. Saliency: how much each pixel's change "
                                   "would move that class's score.")
        self.heat_combo.currentTextChanged.connect(self._on_heat_method)
        heat_row = QHBoxLayout()
        heat_row.addStretch(1)
        heat_row.addWidget(QLabel("Heat map (4):"))
        heat_row.addWidget(self.heat_combo)
        # what changes with each stroke (one short line), then the recipe (fixed, laid out once)
        note_size = self.font().pointSizeF() * 0.95
        self.stage_numbers = PaintedText(point_size=note_size, align=Qt.AlignLeft)
        self.stage_note = PaintedText(point_size=note_size, lines=2)

        middle = QWidget()
        mid = QVBoxLayout(middle)
        mid.setContentsMargins(0, 0, 0, 0)
        mid.addWidget(self.verdict)
        mid.addWidget(self.bars, 3)
        prep = QGroupBox("What the model sees (MNIST's preprocessing)")
        play = QVBoxLayout(prep)
        play.addLayout(heat_row)
        play.addWidget(self.stages_view, 1)
        play.addWidget(self.stage_numbers)
        play.addWidget(self.stage_note)
        prep.setMaximumHeight(340)
        mid.addWidget(prep, 2)

        # right: feature maps per conv layer (laid out again only when the model changes)
        self.maps_hint = QLabel()
        self.maps_hint.setWordWrap(True)
        self.maps_hint.setStyleSheet("color: #555;")
        self.maps_view = FeatureMapMosaic()
        maps_box = QGroupBox("Feature maps (after ReLU; bright = strong)")
        blay = QVBoxLayout(maps_box)
        blay.addWidget(self.maps_hint)
        blay.addWidget(self.maps_view, 1)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(maps_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 3)
        split.setSizes([450, 500, 390])
        QVBoxLayout(self).addWidget(split)

    def _rebuild_map_grids(self) -> None:
        """One mosaic per conv layer of the current model (not on the per-stroke path)."""
        if self.model is None:
            self.maps_hint.setText("No model loaded.")
            self.maps_view.set_layers([])
            return
        with torch.no_grad():
            result = self._analyser(torch.zeros(1, SIZE, SIZE), method=None)
        if not result.feature_maps:
            self.maps_hint.setText("This model has no convolution layers (an MLP): it sees the "
                                   "784 pixels as one long list, so there are no maps to show.")
        else:
            self.maps_hint.setText("Each small image is one filter's response to the drawing. "
                                   "Early layers find strokes and edges; later ones, parts of "
                                   "digits. Each layer has its own brightness scale.")
        self.maps_view.set_layers([(name, maps.shape) for name, maps in result.feature_maps])
        self.maps_view.set_maps(None)

    # -- model choice --------------------------------------------------------------------------
    def _set_model(self, model: torch.nn.Module, meta: dict, source: str, origin: str) -> bool:
        """Use `model` if it takes one 28x28 image; else say why and keep the previous one."""
        try:
            with torch.no_grad():
                out = model.eval()(torch.zeros(1, 1, SIZE, SIZE))
        except Exception as exc:  # a shape mismatch is the usual reason
            self._model_failed(f"{origin} does not take a 1×28×28 image: {str(exc).splitlines()[0]}")
            return False
        if not bool(torch.isfinite(out).all()):
            self._model_failed(f"{origin} gives NaN or infinite outputs: its weights are broken "
                               "(a training run that diverged leaves such a model). Train it "
                               "again with a lower learning rate.")
            return False
        n = int(out.shape[-1])
        classes = [str(c) for c in meta.get("classes", [])] or [str(i) for i in range(n)]
        if n != len(self.bars.classes) or len(classes) != n:
            self._model_failed(f"{origin} has {n} outputs; this page needs 10 classes.")
            return False
        self.model, self.meta = model, dict(meta)
        self._analyser = Analyser(model)
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
        # only the part of the canvas that can hold ink: the stages are the same as for the whole
        # canvas (preprocessing crops to the ink first), the box is shifted back below
        ink, row0, col0 = self.canvas.ink_region()
        stages = preprocess_stages(ink)
        if stages.bbox is not None and (row0 or col0):
            r0, c0, r1, c1 = stages.bbox
            stages = replace(stages, bbox=(r0 + row0, c0 + col0, r1 + row0, c1 + col0))
        self._stages = stages
        self._show_stages(stages)
        if self.model is None:
            self.bars.set_probabilities(None)
            self.verdict.setText("No model loaded")
            return
        if stages.empty:
            self.bars.set_probabilities(None)
            self.verdict.setText("Draw a digit on the left")
            self._show_heat(stages.centred, None, "")
            self.maps_view.set_maps(None)
            return
        method = HEAT_METHODS[self.state.heat]
        x = model_input(stages.centred, self.meta)
        result = _analyse_one(self._analyser, x, method)
        self.bars.set_probabilities(result.probs)
        top = result.target
        name = self.bars.classes[top]
        self.verdict.set_parts([("It's a ", "#222", False), (name, "#e6781e", True),
                                (f"  ({result.probs[top]:.1%} sure)", "#666", False)])
        self._show_heat(stages.centred, result.heat, name)
        self.maps_view.set_maps([maps for _name, maps in result.feature_maps])

    def _show_stages(self, stages: Preprocessed) -> None:
        view = self.stages_view
        if stages.empty:
            view.set_stage(0, np.zeros((BOX, BOX), np.float32), fit=CROP_SIDE)
            self.stage_numbers.setText("The canvas is empty:")
            self.stage_note.setText("the model would see a blank 28×28 field.")
        else:
            view.set_stage(0, stages.cropped, fit=CROP_SIDE)
            h, w = stages.cropped.shape
            self.stage_numbers.setText(f"1: ink box {w}×{h} px → 2: scaled ×{stages.scale:.3f}")
            self.stage_note.setText("2: longer side 20 px, aspect kept → 3: centre of mass moved "
                                    "to the middle of 28×28 → 4: which pixels mattered.")
        view.set_stage(1, stages.scaled)
        view.set_stage(2, stages.centred)

    def _show_heat(self, centred: np.ndarray, heat: np.ndarray | None, name: str) -> None:
        view = self.stages_view
        if heat is None:
            view.set_stage(3, centred)
            # hidden, not cleared: the next heat map then reuses the image (a cleared one goes
            # through pyqtgraph's setImage, ~2 ms, on the first stroke after each Clear)
            view.overlay.hide()
            self._show_heat_caption()
            return
        view.set_stage(3, centred, dim=0.55)     # dimmed under the overlay
        peak = float(heat.max())
        level = heat / peak if peak > 0 else heat
        view.overlay.set_pixels(self._lut[(level * 255).astype(np.uint8)])
        if not view.overlay.isVisible():
            view.overlay.show()
        self._show_heat_caption()
        tip = f"Which pixels mattered for “{name}”"
        if self._heat_tip != tip:               # a new tooltip is an event to the item
            self._heat_tip = tip
            view.boxes[3].setToolTip(tip)

    def _show_heat_caption(self) -> None:
        """Names the method chosen, also over a blank canvas: a caption that changed with the
        first stroke after each Clear laid the strip out again in that stroke (~0.4 ms)."""
        self.stages_view.set_caption(3, HEAT_CAPTIONS[HEAT_METHODS[self.state.heat]])

    def page_opened(self) -> None:
        self.canvas.setFocus()
