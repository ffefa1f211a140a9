"""The LSTM & GRU gates page: type a sentence, step through it word by word, watch every gate.

A shipped sentiment model (RNN, LSTM or GRU, same sentence) is traced with engine.rnn; the
heatmaps (rows = units, columns = tokens) fill in as the step player advances, the prediction
curve shows P(positive) after each prefix, a selected unit is followed along the sentence, the
text is coloured by that unit ("which neuron fires where"), and an LSTM gate can be clamped from
the current token on to see what the cell state and the prediction do without it.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QGraphicsItem, QComboBox, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QRadioButton, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from engine.models import MODELS_DIR, CheckpointError, load_checkpoint
from engine.rnn_models import (CELL_LABELS, SENTIMENT_MODELS, SentimentRNN,
                               generated_sentiment_data, model_vocab, predict_per_token,
                               sentence_trace)
from engine.train import TrainConfig, fit
from engine.text import UNK, sentiment_vocab, to_tokens
from gui.pages.base import Page
from gui.widgets.chip_strip import Chip, ChipStrip
from gui.widgets.gate_heatmap import GateHeatmapGrid, TokenAxis
from gui.widgets.step_player import StepPlayer, StepPlayerBar
from gui.workers import TrainRunner

MAX_TOKENS = 40  # longer text is cut (a readable heatmap has a column per word)

PRESETS = [
    "the food was good, not bad at all",
    "the food was bad, not good at all",
    "the film was never boring",
    "although the service was slow, the food was great",
    "the food was great but the service was slow",
    "the hotel was not very clean, it was dirty",
    "this camera is no longer slow",
    "the plot was terrible but the acting was really superb",
]

# name -> (title, colormap, levels; None: symmetric around 0 from the data)
MAP_SPECS = {
    "f": ("forget gate f", "viridis", (0.0, 1.0)),
    "i": ("input gate i", "viridis", (0.0, 1.0)),
    "o": ("output gate o", "viridis", (0.0, 1.0)),
    "g": ("candidate g (tanh)", "CET-D1", (-1.0, 1.0)),
    "c": ("cell state c", "CET-D1", None),
    "h": ("hidden state h", "CET-D1", (-1.0, 1.0)),
    "r": ("reset gate r", "viridis", (0.0, 1.0)),
    "z": ("update gate z", "viridis", (0.0, 1.0)),
    "n": ("candidate n (tanh)", "CET-D1", (-1.0, 1.0)),
    "pre_x": ("W_x x_t + b_x", "CET-D1", None),
    "pre_h": ("W_h h_(t-1) + b_h", "CET-D1", None),
}
SHORT_NAMES = {"f": "f  forget", "i": "i  input", "o": "o  output", "g": "g  candidate",
               "c": "c  cell", "h": "h  hidden", "r": "r  reset", "z": "z  update",
               "n": "n  candidate", "pre_x": "W_x·x + b", "pre_h": "W_h·h₋₁ + b"}
SHOWN = {"lstm": ("f", "i", "o", "g", "c", "h"), "gru": ("r", "z", "n", "h"),
         "rnn": ("pre_x", "pre_h", "h")}
COLUMNS = {"lstm": 3, "gru": 2, "rnn": 3}
CURVE_COLORS = {"f": "#1f77b4", "i": "#2ca02c", "o": "#9467bd", "g": "#8c564b", "c": "#d62728",
                "h": "#111111", "r": "#1f77b4", "z": "#2ca02c", "n": "#8c564b",
                "pre_x": "#1f77b4", "pre_h": "#2ca02c"}
CLAMPS = [("f", 1.0, "forget gate f = 1 (keep everything)"),
          ("f", 0.0, "forget gate f = 0 (forget everything)"),
          ("i", 0.0, "input gate i = 0 (write nothing)"),
          ("o", 0.0, "output gate o = 0 (hide the cell)")]


@dataclass
class GatesState:
    sentence: str = PRESETS[0]    # the sentence as typed
    cell: str = "lstm"            # "rnn", "lstm" or "gru"
    unit: int = 0                 # selected hidden unit
    fire: str = "h"               # quantity colouring the text
    clamp: int = 0                # index into CLAMPS
    clamp_from: int | None = None  # token where the clamp starts (None: no intervention)


@dataclass
class SentenceView:
    tokens: list[str]             # as typed (lowercased)
    shown: list[str]              # as the model reads them (<unk> for unknown words)
    ids: list[int]
    unknown: list[bool]
    trace: object                 # engine.rnn trace of the model's own computation
    probs: np.ndarray             # (T,) P(positive) after each prefix
    clamped: object = None        # LSTM trace with the clamp, or None
    clamped_probs: np.ndarray | None = None

    @property
    def active(self):
        """The trace the maps show: the clamped one while an intervention is on."""
        return self.clamped if self.clamped is not None else self.trace


class GatesPage(Page):
    title = "LSTM & GRU gates"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = GatesState()
        self.models: dict[str, tuple[SentimentRNN, object, dict]] = {}
        self.view: SentenceView | None = None
        self.player = StepPlayer(self, steps_per_second=2.0)
        self._build()
        self.player.stepChanged.connect(self._show_step)
        self._apply_timer = QTimer(self, singleShot=True, interval=250)
        self._apply_timer.timeout.connect(self.apply_sentence)
        from gui.app import app_settings
        self.settings = app_settings()
        cell = self.settings.value("gates/cell", "lstm", type=str)
        self.state.cell = cell if cell in SHOWN else "lstm"
        self.state.sentence = self.settings.value("gates/sentence", PRESETS[0], type=str) or PRESETS[0]
        self._set_cell(self.state.cell)
        self.sentence_edit.setText(self.state.sentence)
        self.apply_sentence()
        if self.view is None:  # a stored sentence without words: fall back to an example
            self.set_sentence(PRESETS[0])

    # -- widgets ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.sentence_edit = QLineEdit()
        self.sentence_edit.setPlaceholderText("Type a sentence, e.g. the film was never boring")
        self.sentence_edit.setClearButtonEnabled(True)
        self.sentence_edit.textEdited.connect(self._on_text_edited)
        self.sentence_edit.returnPressed.connect(self.apply_sentence)
        big = QFont(self.sentence_edit.font())
        big.setPointSizeF(big.pointSizeF() * 1.25)
        self.sentence_edit.setFont(big)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Example sentences…")
        self.preset_combo.addItems(PRESETS)
        self.preset_combo.activated.connect(self._on_preset)
        self.preset_combo.setMaximumWidth(200)
        self.sentence_edit.setMinimumWidth(280)

        self.cell_buttons = QButtonGroup(self)
        cell_box = QHBoxLayout()
        cell_box.addWidget(QLabel("Cell:"))
        for cell in ("rnn", "lstm", "gru"):
            b = QRadioButton(CELL_LABELS[cell])
            b.setProperty("cell", cell)
            self.cell_buttons.addButton(b)
            cell_box.addWidget(b)
        self.cell_buttons.buttonClicked.connect(self._on_cell_button)

        top = QHBoxLayout()
        top.addWidget(QLabel("Sentence:"))
        top.addWidget(self.sentence_edit, 1)
        top.addWidget(self.preset_combo)
        top.addLayout(cell_box)

        self.model_label = QLabel()
        self.model_label.setObjectName("modelLabel")
        self.notice_label = QLabel()
        self.notice_label.setObjectName("noticeLabel")
        self.notice_label.setStyleSheet("color: #b35900;")
        self.token_strip = ChipStrip(lines=1)  # the tokens as the model reads them; click one to go there
        self.token_strip.setFont(big)
        self.token_strip.tokenClicked.connect(self.player.go_to)
        self.player_bar = StepPlayerBar(self.player, step_name="token")

        self.heatmaps = GateHeatmapGrid()
        self.heatmaps.setMinimumHeight(300)
        self.heatmaps.unitClicked.connect(self._on_unit_clicked)

        # Right panel: unit, current values, intervention.
        self.unit_spin = QSpinBox()
        self.unit_spin.setToolTip("The hidden unit followed below (or click a heatmap row)")
        self.unit_spin.valueChanged.connect(self._on_unit_spin)
        self.sentiment_unit_button = QPushButton("Most sentiment-laden unit")
        self.sentiment_unit_button.setToolTip(
            "The unit whose h weighs most in the positive-vs-negative output layer")
        self.sentiment_unit_button.clicked.connect(self.select_sentiment_unit)
        # Current token, selected unit: one plain label per quantity, made once (cheap to update).
        self.values_box = QGroupBox("Current token, selected unit")
        values_grid = QGridLayout(self.values_box)
        self.values_header = QLabel()
        self.values_header.setFont(big)
        values_grid.addWidget(self.values_header, 0, 0, 1, 2)
        self.value_names: list[QLabel] = []
        self.value_labels: list[QLabel] = []
        mono = QFont(big)
        mono.setStyleHint(QFont.Monospace)
        mono.setFamily("monospace")
        for row in range(6):
            name, value = QLabel(), QLabel()
            name.setFont(big)
            value.setFont(mono)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextSelectableByMouse)
            values_grid.addWidget(name, row + 1, 0)
            values_grid.addWidget(value, row + 1, 1)
            self.value_names.append(name)
            self.value_labels.append(value)
        self.equation_label = QLabel()
        self.equation_label.setObjectName("equation")
        small_mono = QFont(mono)
        small_mono.setPointSizeF(self.font().pointSizeF())
        self.equation_label.setFont(small_mono)
        self.equation_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        values_grid.addWidget(self.equation_label, 7, 0, 1, 2)
        # Fixed sizes: a label whose text changes each step then never asks for a new layout.
        line = self.values_header.fontMetrics().height()
        self.values_header.setFixedSize(300, line + 4)
        for label in self.value_labels:
            label.setFixedSize(label.fontMetrics().horizontalAdvance("+00.000") + 8, line + 2)
        for label in self.value_names:
            label.setFixedSize(label.fontMetrics().horizontalAdvance("n  candidate ") + 8, line + 2)
        eq = self.equation_label.fontMetrics()
        self.equation_label.setFixedSize(eq.horizontalAdvance("  = 0.00·(+0.00) + 0.00·(+0.00)  "),
                                         3 * eq.height() + 4)
        values_grid.setColumnStretch(1, 1)
        values_grid.setVerticalSpacing(1)
        values_grid.setContentsMargins(8, 4, 8, 4)

        self.clamp_combo = QComboBox()
        for _gate, _value, text in CLAMPS:
            self.clamp_combo.addItem(text)
        self.clamp_combo.currentIndexChanged.connect(self._on_clamp_choice)
        self.clamp_button = QPushButton("Clamp from this token")
        self.clamp_button.clicked.connect(self.clamp_from_current)
        self.release_button = QPushButton("Release")
        self.release_button.clicked.connect(self.release_clamp)
        self.clamp_unit_check = QCheckBox("only the selected unit")
        self.clamp_unit_check.setToolTip("Clamp the gate of the selected unit alone, not of all units")
        self.clamp_unit_check.toggled.connect(self._on_clamp_scope)
        self.clamp_label = QLabel()
        self.clamp_label.setWordWrap(True)
        self.clamp_box = QGroupBox("Intervene (LSTM)")
        clamp_layout = QGridLayout(self.clamp_box)
        clamp_layout.addWidget(self.clamp_combo, 0, 0, 1, 2)
        clamp_layout.addWidget(self.clamp_button, 1, 0)
        clamp_layout.addWidget(self.release_button, 1, 1)
        clamp_layout.addWidget(self.clamp_unit_check, 2, 0, 1, 2)
        clamp_layout.addWidget(self.clamp_label, 3, 0, 1, 2)

        # Retrain the current cell from scratch on freshly generated sentences (background thread).
        self.runner = TrainRunner(self, on_progress=self._on_train_progress,
                                  on_finished=self._on_train_finished,
                                  on_failed=self._on_train_failed,
                                  on_running=self._on_train_running)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 20)
        self.epochs_spin.setValue(3)
        self.epochs_spin.setSuffix(" epochs")
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setToolTip("Train a fresh model of this cell type on 4000 generated "
                                       "sentences (it replaces the shipped one until you restart)")
        self.retrain_button.clicked.connect(self._on_retrain_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.runner.stop)
        self.train_label = QLabel("Shipped model.")
        self.train_label.setWordWrap(True)
        self.train_box = QGroupBox("Train")
        train_layout = QGridLayout(self.train_box)
        train_layout.addWidget(self.epochs_spin, 0, 0)
        train_layout.addWidget(self.retrain_button, 0, 1)
        train_layout.addWidget(self.stop_button, 0, 2)
        train_layout.addWidget(self.train_label, 1, 0, 1, 3)

        unit_row = QHBoxLayout()
        unit_row.addWidget(QLabel("Unit"))
        unit_row.addWidget(self.unit_spin)
        unit_row.addWidget(self.sentiment_unit_button, 1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(unit_row)
        side_layout.addWidget(self.values_box)
        side_layout.addWidget(self.clamp_box)
        side_layout.addWidget(self.train_box)
        side_layout.addStretch(1)
        side.setMinimumWidth(250)
        side.setMaximumWidth(400)

        # Bottom: prediction curve, the unit along the sentence, the coloured text.
        self.prediction_plot = _curve_plot("P(positive) after each token")
        self.prediction_plot.setYRange(-0.05, 1.15, padding=0)  # room for the value above the point
        self.prediction_plot.getAxis("left").setTicks([[(v / 5, f"{v / 5:.1f}") for v in range(6)]])
        self.prediction_plot.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("#999", style=Qt.DashLine)))
        self.original_curve = self.prediction_plot.plot(
            pen=pg.mkPen("#999999", width=2, style=Qt.DashLine), name="without clamp")
        self.prediction_curve = self.prediction_plot.plot(
            pen=pg.mkPen("#1f77b4", width=3), symbol="o", symbolSize=7, symbolBrush="#1f77b4",
            name="P(positive)")
        self.current_point = pg.ScatterPlotItem(size=14, brush=pg.mkBrush("#ff8c00"), pen=pg.mkPen("k"))
        self.prediction_plot.addItem(self.current_point)
        self.current_text = pg.TextItem(color="#b35900", anchor=(0.5, 1.3))
        big_bold = QFont(big)
        big_bold.setBold(True)
        self.current_text.setFont(big_bold)
        self.prediction_plot.addItem(self.current_text)

        self.unit_plot = _curve_plot("unit 0 along the sentence")
        legend = self.unit_plot.addLegend(offset=(4, 2), labelTextSize="8pt", colCount=6)
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        legend.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.unit_curves: dict[str, pg.PlotDataItem] = {}
        self.unit_c_original = self.unit_plot.plot(
            pen=pg.mkPen("#d62728", width=1.5, style=Qt.DashLine))
        self.unit_c_original.curve.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.unit_line = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#ff8c00", width=2))
        self.unit_plot.addItem(self.unit_line)

        self.fire_combo = QComboBox()
        self.fire_combo.currentIndexChanged.connect(self._on_fire_choice)
        self.fire_strip = ChipStrip(lines=1)  # the typed words coloured by the selected unit
        self.fire_strip.setFont(big)
        self.fire_strip.tokenClicked.connect(self.player.go_to)
        fire_row = QHBoxLayout()
        fire_row.addWidget(QLabel("<b>Which neuron fires where</b> — text coloured by"))
        fire_row.addWidget(self.fire_combo)
        fire_row.addWidget(QLabel("of the selected unit (blue < 0 < red)"))
        fire_row.addStretch(1)

        curves = QSplitter(Qt.Horizontal)
        curves.addWidget(self.prediction_plot)
        curves.addWidget(self.unit_plot)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(curves, 1)
        bottom_layout.addLayout(fire_row)
        bottom_layout.addWidget(self.fire_strip)

        middle = QSplitter(Qt.Horizontal)
        middle.addWidget(self.heatmaps)
        middle.addWidget(side)
        middle.setStretchFactor(0, 1)
        vertical = QSplitter(Qt.Vertical)
        vertical.addWidget(middle)
        vertical.addWidget(bottom)
        vertical.setStretchFactor(0, 3)
        vertical.setStretchFactor(1, 2)
        vertical.setSizes([520, 330])  # curves tall enough to read on a 900-pixel-high window
        bottom.setMinimumHeight(230)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        status = QHBoxLayout()
        status.addWidget(self.model_label)
        status.addStretch(1)
        status.addWidget(self.notice_label)
        layout.addLayout(status)
        layout.addWidget(self.token_strip)
        layout.addWidget(self.player_bar)
        layout.addWidget(vertical, 1)

    # -- model -----------------------------------------------------------------------------
    def model(self, cell: str | None = None):
        """(model, vocab, meta) for a cell type, loaded once; an untrained one if the file is missing."""
        cell = cell or self.state.cell
        if cell not in self.models:
            path = MODELS_DIR / f"{SENTIMENT_MODELS[cell]}.pt"
            try:
                model, meta = load_checkpoint(path, expect_arch="sentiment_rnn")
                vocab = model_vocab(meta)
            except (CheckpointError, ValueError) as exc:
                vocab = sentiment_vocab()
                model = SentimentRNN(len(vocab), cell=cell).eval()
                meta = {"accuracy": float("nan"), "untrained": True}
                self.notify(f"{exc} Showing an untrained {CELL_LABELS[cell]}; run "
                            "scripts/make_sentiment_models.py to make the shipped models.", "warning")
            self.models[cell] = (model, vocab, meta)
        return self.models[cell]

    def _set_cell(self, cell: str) -> None:
        self.state.cell = cell
        if hasattr(self, "settings"):
            self.settings.setValue("gates/cell", cell)
        for b in self.cell_buttons.buttons():
            b.setChecked(b.property("cell") == cell)
        model, _vocab, meta = self.model(cell)
        H = model.rnn.hidden_size
        specs = []
        for name in SHOWN[cell]:
            title, cmap, levels = MAP_SPECS[name]
            specs.append((name, title, cmap, levels or (-1.0, 1.0)))
        self.heatmaps.set_layout(specs, COLUMNS[cell])
        self.unit_spin.blockSignals(True)
        self.unit_spin.setRange(0, H - 1)
        self.state.unit = min(self.state.unit, H - 1)
        self.unit_spin.setValue(self.state.unit)
        self.unit_spin.blockSignals(False)
        self.unit_plot.clear()
        self.unit_plot.addItem(self.unit_line)
        self.unit_plot.addItem(self.unit_c_original)
        self.unit_curves = {}
        legend = self.unit_plot.plotItem.legend
        if legend is not None:
            legend.clear()
        for name in SHOWN[cell]:
            curve = self.unit_plot.plot(pen=pg.mkPen(CURVE_COLORS[name], width=2), name=name)
            # Static while stepping (only the orange line moves): paint from a cached pixmap.
            curve.curve.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            self.unit_curves[name] = curve
        self.fire_combo.blockSignals(True)
        self.fire_combo.clear()
        self.fire_combo.addItems(list(SHOWN[cell]))
        self.fire_combo.setCurrentIndex(SHOWN[cell].index("h"))
        self.fire_combo.blockSignals(False)
        self.state.fire = "h"
        is_lstm = cell == "lstm"
        self.clamp_box.setEnabled(is_lstm)
        self.clamp_box.setToolTip("" if is_lstm else "Clamping is for the LSTM's gates")
        if not is_lstm:
            self.state.clamp_from = None
        acc = meta.get("accuracy", float("nan"))
        bow = meta.get("bow_accuracy", float("nan"))
        kind = "untrained" if meta.get("untrained") else (
            f"held-out accuracy {acc:.1%}" + (f" (bag of words: {bow:.1%})" if bow == bow else ""))
        self.model_label.setText(f"Sentiment {CELL_LABELS[cell]}: {H} units, "
                                 f"{len(self.model(cell)[1])} words; {kind}")

    # -- sentence --------------------------------------------------------------------------
    def apply_sentence(self) -> None:
        """Trace the sentence in the line edit (empty or wordless text keeps the previous one)."""
        self._apply_timer.stop()
        text = self.sentence_edit.text()
        model, vocab, _meta = self.model()
        tokens, ids, unknown = to_tokens(text, vocab)
        if not tokens:
            msg = "Type a sentence with at least one word; still showing the previous one."
            self.notice_label.setText(msg)
            self.notify(msg, "warning")
            return
        notices = []
        if len(tokens) > MAX_TOKENS:
            notices.append(f"Long text: only the first {MAX_TOKENS} of {len(tokens)} tokens are used.")
            tokens, ids, unknown = tokens[:MAX_TOKENS], ids[:MAX_TOKENS], unknown[:MAX_TOKENS]
        unknown_words = sorted({t for t, u in zip(tokens, unknown) if u})
        if unknown_words:
            notices.append("Not in the model's vocabulary, read as <unk>: " + ", ".join(unknown_words))
        self.notice_label.setText("  ".join(notices))
        self.state.sentence = text
        self.settings.setValue("gates/sentence", text)
        first = self.view is None or self.view.tokens != tokens
        shown = [UNK if u else t for t, u in zip(tokens, unknown)]
        trace = sentence_trace(model, ids)
        self.view = SentenceView(tokens, shown, ids, unknown, trace,
                                 predict_per_token(model, ids, trace))
        if self.state.clamp_from is not None and self.state.clamp_from >= len(ids):
            self.state.clamp_from = None
        self._compute_clamp()
        self._load_views()
        # A new sentence is shown whole; Home / Play replays it word by word.
        self.player.set_count(len(ids), index=len(ids) - 1 if first else None)

    def _compute_clamp(self) -> None:
        v = self.view
        v.clamped, v.clamped_probs = None, None
        if self.state.cell != "lstm" or self.state.clamp_from is None:
            self.clamp_label.setText("No intervention: the model's own computation.")
            return
        gate, value, text = CLAMPS[self.state.clamp]
        model = self.model()[0]
        units = [self.state.unit] if self.clamp_unit_check.isChecked() else None
        v.clamped = sentence_trace(model, v.ids, clamp={gate: value}, clamp_from=self.state.clamp_from,
                                   clamp_units=units)
        if units:
            text += f", unit {units[0]} only"
        v.clamped_probs = predict_per_token(model, v.ids, v.clamped)
        t = self.state.clamp_from
        self.clamp_label.setText(
            f"<b>Clamped</b>: {text}, from token {t} '{html.escape(v.shown[t])}' on. "
            f"P(positive) at the end: {v.probs[-1]:.2f} → <b>{v.clamped_probs[-1]:.2f}</b>")

    def _load_views(self) -> None:
        """Hand the whole sentence to the maps and curves (once per sentence / cell / clamp)."""
        v = self.view
        tr = v.active
        for name, item in self.heatmaps.maps.items():
            values = tr.gate(name)[0, 0].T          # (units, tokens), first layer forward
            levels = MAP_SPECS[name][2]
            if levels is None:
                m = float(max(np.abs(values).max(), 1e-3))
                levels = (-m, m)
            item.set_values(values, v.shown, levels)
            item.setTitle(f"{MAP_SPECS[name][0]}   [{levels[0]:.2g} … {levels[1]:.2g}]")
            item.set_unit(self.state.unit)
        ticks = [[(t, w) for t, w in enumerate(v.shown)]]
        for plot in (self.prediction_plot, self.unit_plot):
            plot.getAxis("bottom").setTicks(ticks)
            plot.setXRange(-0.5, len(v.ids) - 0.5, padding=0.02)
        self._update_unit_curves()
        self._update_chips(self.player.index)

    # -- step ------------------------------------------------------------------------------
    def _show_step(self, t: int) -> None:
        v = self.view
        if v is None:
            return
        for item in self.heatmaps.maps.values():
            item.set_filled(t + 1)
        xs = np.arange(t + 1)
        probs = v.clamped_probs if v.clamped is not None else v.probs
        self.prediction_curve.setData(xs, probs[:t + 1])
        if v.clamped is not None:
            self.original_curve.setData(xs, v.probs[:t + 1])
        else:
            self.original_curve.setData([], [])
        self.current_point.setData([t], [float(probs[t])])
        # A text item by the point, not the title: a new title re-lays out (and repaints) the plot.
        self.current_text.setText(f"{probs[t]:.2f}")
        self.current_text.setAnchor((0.5, -0.4) if probs[t] > 0.75 else (0.5, 1.3))  # stay inside
        self.current_text.setPos(t, float(probs[t]))
        self.unit_line.setValue(t)
        self._update_chips(t)
        self._update_values(t)
        self._update_fire(t)

    def _update_chips(self, t: int) -> None:
        v = self.view
        chips = []
        for k, (word, unk) in enumerate(zip(v.tokens, v.unknown)):
            if unk:
                chip = Chip("#ffe0b8", "#b00020", italic=True,
                            tooltip=f"'{word}' is not in the model's vocabulary: read as <unk>")
            else:
                chip = Chip(tooltip=f"token {k}: '{word}' (id {v.ids[k]})")
            if k == t:
                chip.background, chip.outline, chip.bold = "#ffb347", "#e07000", True
            elif k > t:
                chip.foreground = "#98a4b0"
            chips.append(chip)
        self.token_strip.set_tokens(v.shown, chips)

    def _update_values(self, t: int) -> None:
        v, u = self.view, self.state.unit
        tr = v.active
        self.values_header.setText(f"token {t} '{v.shown[t]}', unit {u}")
        names = SHOWN[self.state.cell]
        for row, (name_label, value_label) in enumerate(zip(self.value_names, self.value_labels)):
            if row < len(names):
                name_label.setText(SHORT_NAMES[names[row]])
                value_label.setText(f"{float(tr.gate(names[row])[0, 0, t, u]):+.3f}")
            else:
                name_label.setText("")
                value_label.setText("")
        if self.state.cell == "lstm":
            c_prev = float(tr.c[0, 0, t - 1, u]) if t else 0.0
            f, i, g = (float(tr.gate(n)[0, 0, t, u]) for n in "fig")
            text = (f"c = f·c₋₁ + i·g\n  = {f:.2f}·({c_prev:+.2f}) + {i:.2f}·({g:+.2f})\n"
                    f"  = {f * c_prev + i * g:+.3f}")
        elif self.state.cell == "gru":
            h_prev = float(tr.h[0, 0, t - 1, u]) if t else 0.0
            z, n = float(tr.z[0, 0, t, u]), float(tr.n[0, 0, t, u])
            text = (f"h = (1−z)·n + z·h₋₁\n  = {1 - z:.2f}·({n:+.2f}) + {z:.2f}·({h_prev:+.2f})\n"
                    f"  = {(1 - z) * n + z * h_prev:+.3f}")
        else:
            px, ph = float(tr.pre_x[0, 0, t, u]), float(tr.pre_h[0, 0, t, u])
            act = "relu" if getattr(tr, "nonlinearity", "tanh") == "relu" else "tanh"
            text = (f"h = {act}(W_x·x + b + W_h·h₋₁ + b)\n  = {act}({px:+.2f} {ph:+.2f})\n"
                    f"  = {float(tr.h[0, 0, t, u]):+.3f}")
        self.equation_label.setText(text)

    def _update_fire(self, t: int) -> None:
        v = self.view
        values = v.active.gate(self.state.fire)[0, 0, :, self.state.unit]
        scale = float(max(np.abs(values).max(), 1e-6))
        chips = []
        for k, word in enumerate(v.tokens):
            tip = f"{self.state.fire} of unit {self.state.unit} after '{word}': {values[k]:+.3f}"
            if k > t:
                chips.append(Chip("#f4f4f4", "#b0b0b0", tooltip="not reached yet"))
            else:
                strong = abs(values[k] / scale) > 0.7
                chips.append(Chip(_signed_color(values[k] / scale), "#ffffff" if strong else "#000000",
                                  "#e07000" if k == t else None, tooltip=tip))
        self.fire_strip.set_tokens(v.tokens, chips)

    def _update_unit_curves(self) -> None:
        v, u = self.view, self.state.unit
        if v is None:
            return
        xs = np.arange(len(v.ids))
        shown = [v.active.gate(name)[0, 0, :, u] for name in self.unit_curves]
        for curve, values in zip(self.unit_curves.values(), shown):
            curve.setData(xs, values)
        if v.clamped is not None:
            shown.append(v.trace.c[0, 0, :, u])
            self.unit_c_original.setData(xs, shown[-1])
        else:
            self.unit_c_original.setData([], [])
        # room above the curves for the legend's row (about a third of this short plot), so it
        # hides none of them
        lo = min(float(np.min(values)) for values in shown)
        hi = max(float(np.max(values)) for values in shown)
        span = max(hi - lo, 0.2)
        self.unit_plot.setYRange(lo - 0.05 * span, hi + 0.6 * span, padding=0)
        self.unit_plot.setTitle(f"unit {u} along the sentence"
                                + (" (dashed: c without the clamp)" if v.clamped is not None else ""))

    # -- unit ------------------------------------------------------------------------------
    def set_unit(self, unit: int) -> None:
        self.unit_spin.setValue(unit)  # -> _on_unit_spin

    def _on_unit_spin(self, unit: int) -> None:
        self.state.unit = unit
        if self.state.clamp_from is not None and self.clamp_unit_check.isChecked():
            self._refresh_clamp()  # the clamp follows the selected unit
        for item in self.heatmaps.maps.values():
            item.set_unit(unit)
        self._update_unit_curves()
        if self.view is not None:
            self._update_values(self.player.index)
            self._update_fire(self.player.index)

    def _on_unit_clicked(self, unit: int) -> None:
        self.set_unit(unit)

    def select_sentiment_unit(self) -> None:
        """The unit with the largest |w_pos - w_neg| in the output layer."""
        model = self.model()[0]
        w = model.head.weight.detach().numpy()
        H = model.rnn.hidden_size
        self.set_unit(int(np.argmax(np.abs(w[1, :H] - w[0, :H]))))

    def _on_fire_choice(self, index: int) -> None:
        if index < 0:
            return
        self.state.fire = self.fire_combo.itemText(index)
        if self.view is not None:
            self._update_fire(self.player.index)

    # -- cell, presets, clamp --------------------------------------------------------------
    def set_cell(self, cell: str) -> None:
        if cell == self.state.cell:
            return
        self._set_cell(cell)
        if self.view is not None:
            index = self.player.index
            self.view = None
            self.apply_sentence()
            self.player.go_to(index)

    def _on_cell_button(self, button) -> None:
        self.set_cell(button.property("cell"))

    def _on_preset(self, index: int) -> None:
        if index > 0:
            self.set_sentence(PRESETS[index - 1])
        self.preset_combo.setCurrentIndex(0)

    def set_sentence(self, text: str) -> None:
        self.sentence_edit.setText(text)
        self.apply_sentence()

    def _on_text_edited(self, _text: str) -> None:
        self._apply_timer.start()  # live update, once typing pauses

    def _on_clamp_choice(self, index: int) -> None:
        self.state.clamp = index
        if self.state.clamp_from is not None:
            self._refresh_clamp()

    def _on_clamp_scope(self, _checked: bool) -> None:
        if self.state.clamp_from is not None:
            self._refresh_clamp()

    def clamp_from_current(self) -> None:
        if self.state.cell != "lstm" or self.view is None:
            return
        self.state.clamp_from = self.player.index
        self._refresh_clamp()

    def release_clamp(self) -> None:
        self.state.clamp_from = None
        if self.view is not None:
            self._refresh_clamp()

    def _refresh_clamp(self) -> None:
        self._compute_clamp()
        self._load_views()
        self._show_step(self.player.index)


    # -- training --------------------------------------------------------------------------
    def retrain(self, epochs: int = 3, n_train: int = 4000, max_steps: int | None = None) -> None:
        """Train a fresh model of the current cell type; it replaces the shown one when done."""
        if self.runner.running:
            return
        old, vocab, meta = self.model()
        kwargs = dict(meta.get("kwargs") or {"vocab_size": len(vocab), "cell": self.state.cell,
                                             "embed_dim": old.embedding.embedding_dim,
                                             "hidden_size": old.rnn.hidden_size})
        model = SentimentRNN(**kwargs)
        train, test = generated_sentiment_data(n_train, 1000, vocab, seed=7)
        config = TrainConfig(lr=3e-3, batch_size=64, epochs=epochs, seed=7, max_steps=max_steps)
        self._training = (self.state.cell, model, vocab, {**meta, "kwargs": kwargs})
        self.train_label.setText(f"Training a fresh {CELL_LABELS[self.state.cell]}…")
        self.runner.start(partial(fit, config, model, train, test))

    def _on_retrain_clicked(self) -> None:
        self.retrain(self.epochs_spin.value())

    def _on_train_progress(self, events) -> None:
        e = events[-1]
        if e.kind == "epoch":
            self.train_label.setText(f"Epoch {e.epoch + 1}: held-out accuracy {e.test_accuracy:.1%}")
        else:
            self.train_label.setText(f"Step {e.step}/{e.total_steps}: loss {e.loss:.3f}, "
                                     f"accuracy {e.accuracy:.1%}")

    def _on_train_finished(self, result) -> None:
        cell, model, vocab, meta = self._training
        model.eval()
        acc = result.test_accuracy
        meta = {**meta, "accuracy": acc if math.isfinite(acc) else float("nan"), "untrained": False}
        self.models[cell] = (model, vocab, meta)
        self.train_label.setText(result.message)
        self.notify(result.message, "info")
        if cell == self.state.cell:
            self._set_cell(cell)
            self.view = None
            self.apply_sentence()

    def _on_train_failed(self, message: str) -> None:
        self.train_label.setText(message)
        self.notify(message, "error")

    def _on_train_running(self, running: bool) -> None:
        self.retrain_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for b in self.cell_buttons.buttons():
            b.setEnabled(not running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()


def _curve_plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(title=title, axisItems={"bottom": TokenAxis("bottom")})
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.showGrid(x=False, y=True, alpha=0.25)
    plot.setMinimumHeight(150)
    for axis in ("left", "bottom"):  # axes and grid change once per sentence: cache them
        plot.getAxis(axis).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    return plot


def _label(name: str) -> str:
    return {"pre_x": "W<sub>x</sub>x+b", "pre_h": "W<sub>h</sub>h+b"}.get(name, name)


def _signed_color(v: float) -> str:
    """White at 0, red towards +1, blue towards -1 (as #rrggbb, which QColor parses)."""
    v = max(-1.0, min(1.0, float(v)))
    k = int(255 - abs(v) * 180)
    return f"#ff{k:02x}{k:02x}" if v >= 0 else f"#{k:02x}{k:02x}ff"
