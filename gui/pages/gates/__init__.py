"""The LSTM & GRU gates page: type a sentence, step through it token by token, watch every gate.

A shipped sentiment model (RNN, LSTM or GRU) reads the sentence (`reading.py`, engine calls
only). The heatmaps (units × tokens, `heatmaps.py`) fill in as the step player advances; the
curves (`curves.py`) give P(positive) after each token and the selected unit along the
sentence; the side tabs give that unit's equations with the real numbers (`equations.py`, from
`engine.gate_equations`), a gate to clamp and a retrain button (`controls.py`); the text is
coloured by the selected unit ("which neuron fires where").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox, QSplitter,
    QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)

from engine.gate_equations import unit_equations
from engine.rnn_models import CELL_LABELS, SentimentRNN, generated_sentiment_data, sentiment_unit
from engine.train import TrainConfig, fit
from gui import style
from gui.bind import Bindings, StateError
from gui.pages.base import Page
from gui.pages.gates.chips import fire_chips, token_chips
from gui.pages.gates.controls import ClampBox, RetrainBox, SentenceRow
from gui.pages.gates.curves import PredictionPlot, UnitPlot, set_token_ticks
from gui.pages.gates.equations import UnitEquationsBox
from gui.pages.gates.heatmaps import (COLUMNS, MAP_SPECS, SHOWN, GateHeatmapGrid, layout_specs,
                                      map_levels)
from gui.pages.gates.reading import (CLAMPS, MAX_TOKENS, NoWords, SentenceView, apply_clamp,
                                     load_model, read_sentence)
from gui.widgets.chip_strip import ChipStrip
from gui.widgets.step_player import StepPlayer, StepPlayerBar
from gui.workers import TrainRunner

__all__ = ["GatesPage", "MAX_TOKENS"]

EXPLANATION = """
<p>An <b>LSTM</b> keeps a cell state c next to its hidden state h. At every token three
<b>gates</b>, each a sigmoid σ between 0 and 1, decide what happens to it: the <b>forget gate</b>
f how much of c₋₁ to keep, the <b>input gate</b> i how much of the candidate g = tanh(…) to
write, and the <b>output gate</b> o how much of tanh(c) to show as h:
c = f⊙c₋₁ + i⊙g, h = o⊙tanh(c). Each gate is σ(W·x + b + W·h₋₁ + b) with its own weights.</p>
<p>A <b>GRU</b> has no separate cell: its update gate z mixes the old state and a candidate n,
h = (1 − z)⊙n + z⊙h₋₁ (PyTorch's convention; some texts swap z and 1 − z), and its reset gate
r decides how much of h₋₁ the candidate sees. A plain <b>RNN</b> has no gates:
h = tanh(W_x x + b + W_h h₋₁ + b).</p>
<p>Rows are hidden units, columns are tokens; click a row to follow a unit. Clamp a gate (f = 0
forgets everything) to see what the cell state and the prediction do without it.</p>
"""


@dataclass
class GatesSettings:
    sentence: str = SentenceRow.PRESETS[0]   # the sentence as typed
    cell: str = "lstm"                       # "rnn", "lstm" or "gru"
    unit: int = 0                            # the hidden unit followed
    fire: str = "h"                          # what colours the text
    clamp: int = 0                           # index into CLAMPS
    clamp_from: int = -1                     # token where the clamp starts (-1: none)
    clamp_one_unit: bool = False             # clamp only the followed unit


class GatesPage(Page):
    page_id = "gates"
    title = "LSTM & GRU gates"
    explanation = EXPLANATION
    shortcuts = [("Space / Right / Left", "play, step forward, step back"),
                 ("Click a heatmap row", "follow that unit"),
                 ("Click a token", "go to that step")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.models = {}
        self.view: SentenceView | None = None
        self._read_text = None            # the sentence the view shows
        self._layout_cell = None          # the cell type the heatmaps are laid out for
        self.player = StepPlayer(self, steps_per_second=2.0)
        self.settings = GatesSettings()
        self._build()
        self._bind()
        self.player.stepChanged.connect(self._show_step)
        self._set_cell_layout()
        self._read(self.settings.sentence)

    # -- widgets --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.sentence_row = SentenceRow(CELL_LABELS)
        self.sentence_edit = self.sentence_row.edit
        self._typing = QTimer(self, singleShot=True, interval=300)   # read once typing pauses
        self._typing.timeout.connect(self._commit_typed)
        self.sentence_edit.textEdited.connect(lambda _text: self._typing.start())
        self.sentence_row.presets.activated.connect(self._on_preset)
        self.model_label = style.set_role(QLabel(), "small")
        self.notice_label = style.set_role(QLabel(), "small")
        self.notice_label.setStyleSheet("color: #b35900;")
        self.token_strip = style.set_role(ChipStrip(lines=1), "big")
        self.token_strip.tokenClicked.connect(self.player.go_to)
        self.player_bar = StepPlayerBar(self.player, step_name="token")

        self.maps_stack = QStackedWidget()    # one heatmap grid per cell type, laid out once
        self.maps_stack.setMinimumHeight(170)
        self._grids: dict[str, GateHeatmapGrid] = {}
        self.unit_spin = QSpinBox()
        self.unit_spin.setToolTip("The hidden unit followed (or click a heatmap row)")
        self.sentiment_unit_button = QPushButton("Most sentiment-laden")
        self.sentiment_unit_button.setToolTip(
            "The unit whose h weighs most in the output layer's positive-vs-negative choice")
        self.sentiment_unit_button.clicked.connect(self.select_sentiment_unit)
        self.equations = UnitEquationsBox()
        self.clamp_box = ClampBox()
        self.clamp_box.clampRequested.connect(self.clamp_from_current)
        self.clamp_box.released.connect(lambda: self.bind.set("clamp_from", -1))
        self.train_box = RetrainBox()
        self.train_box.retrainRequested.connect(self.retrain)
        self.runner = TrainRunner(self, on_progress=self._on_train_progress,
                                  on_finished=self._on_train_finished,
                                  on_failed=lambda text: self._train_message(text, "error"),
                                  on_running=self._on_train_running)
        self.train_box.stopRequested.connect(self.runner.stop)

        unit_tab = QWidget()
        unit_layout = QVBoxLayout(unit_tab)
        unit_layout.setContentsMargins(4, 4, 4, 4)
        unit_row = QHBoxLayout()
        unit_row.addWidget(QLabel("Unit"))
        unit_row.addWidget(self.unit_spin)
        unit_row.addWidget(self.sentiment_unit_button, 1)
        unit_layout.addLayout(unit_row)
        unit_layout.addWidget(self.equations)
        unit_layout.addStretch(1)
        self.side = QTabWidget()
        scroll = QScrollArea()        # the equations scroll rather than push the page past 720 px
        scroll.setWidget(unit_tab)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        self.side.addTab(scroll, "This unit")
        self.side.addTab(self.clamp_box, "Intervene")
        self.side.addTab(self.train_box, "Train")
        self.side.setMinimumWidth(300)
        self.side.setMaximumWidth(420)

        self.prediction_plot = PredictionPlot()
        self.unit_plot = UnitPlot()
        self.fire_combo = QComboBox()
        self.fire_combo.setToolTip("Which gate or state of the followed unit colours the words")
        self.fire_strip = style.set_role(ChipStrip(lines=1), "body")
        self.fire_strip.tokenClicked.connect(self.player.go_to)
        fire_row = QHBoxLayout()
        fire_row.addWidget(QLabel("<b>Which neuron fires where</b>: the words coloured by"))
        fire_row.addWidget(self.fire_combo)
        fire_row.addWidget(QLabel("of the followed unit (blue < 0 < red)"))
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
        middle.addWidget(self.maps_stack)
        middle.addWidget(self.side)
        middle.setStretchFactor(0, 1)
        vertical = QSplitter(Qt.Vertical)
        vertical.addWidget(middle)
        vertical.addWidget(bottom)
        vertical.setStretchFactor(0, 3)
        vertical.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addWidget(self.sentence_row)
        status = QHBoxLayout()
        status.addWidget(self.model_label)
        status.addStretch(1)
        status.addWidget(self.notice_label)
        layout.addLayout(status)
        layout.addWidget(self.token_strip)
        layout.addWidget(self.player_bar)
        layout.addWidget(vertical, 1)

    def _bind(self) -> None:
        self.bind = Bindings(self.settings, self._on_changed)
        self.bind.text("sentence", self.sentence_edit)
        self.bind.radio("cell", self.sentence_row.cell_group, self.sentence_row.cell_buttons)
        self.unit_spin.setRange(0, 1023)    # narrowed to the model's units in _set_cell_layout
        self.bind.spin("unit", self.unit_spin)
        self.bind.field("fire", self._check_fire, self._show_fire_choice)
        self.fire_combo.activated.connect(
            lambda i: self.bind.set("fire", self.fire_combo.itemText(i)))
        self.bind.combo("clamp", self.clamp_box.choice, {k: c[2] for k, c in enumerate(CLAMPS)})
        self.bind.field("clamp_from", self._check_clamp_from, lambda _v: None)
        self.bind.check("clamp_one_unit", self.clamp_box.unit_only)

    def _check_fire(self, value) -> str:
        if value not in SHOWN[self.settings.cell] and value not in MAP_SPECS:
            raise StateError("fire", f"{value!r} is not a gate or state of the models")
        return value

    @staticmethod
    def _check_clamp_from(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise StateError("clamp_from", f"needs a token number (or -1 for none), got {value!r}")
        return value

    def _show_fire_choice(self, value: str) -> None:
        if value in SHOWN[self.settings.cell]:
            self.fire_combo.setCurrentText(value)

    # -- model and sentence ---------------------------------------------------------------------
    def model(self, cell: str | None = None):
        """The SentimentModel of a cell type (loaded once; an untrained one if unusable)."""
        cell = cell or self.settings.cell
        if cell not in self.models:
            self.models[cell] = load_model(cell)
            if self.models[cell].problem:
                self.notify(self.models[cell].problem, "warning")
        return self.models[cell]

    @property
    def heatmaps(self) -> GateHeatmapGrid:
        """The heatmap grid of the cell type shown."""
        return self._grids[self._layout_cell]

    def _set_cell_layout(self) -> None:
        cell, sm = self.settings.cell, self.model()
        self._layout_cell = cell
        if cell not in self._grids:
            grid = GateHeatmapGrid()
            grid.unitClicked.connect(lambda unit: self.bind.set("unit", unit))
            grid.set_layout(layout_specs(cell), COLUMNS[cell])
            self._grids[cell] = grid
            self.maps_stack.addWidget(grid)
        self.maps_stack.setCurrentWidget(self._grids[cell])
        units = sm.model.rnn.hidden_size
        with QSignalBlocker(self.unit_spin):
            self.unit_spin.setRange(0, units - 1)
        self.settings.unit = min(self.settings.unit, units - 1)
        self.unit_spin.setValue(self.settings.unit)
        self.unit_plot.set_names(SHOWN[cell])
        with QSignalBlocker(self.fire_combo):
            self.fire_combo.clear()
            self.fire_combo.addItems(list(SHOWN[cell]))
        if self.settings.fire not in SHOWN[cell]:
            self.settings.fire = "h"
        self.fire_combo.setCurrentText(self.settings.fire)
        self.clamp_box.setEnabled(cell == "lstm")
        self.clamp_box.setToolTip("" if cell == "lstm" else "Clamping is for the LSTM's gates")
        self.model_label.setText(sm.summary(cell))

    def _read(self, text: str) -> bool:
        """Trace `text`; a text without words keeps the previous sentence, with a message."""
        try:
            view = read_sentence(self.model(), text)
        except NoWords as exc:
            self.notice_label.setText(str(exc))
            self.notify(str(exc), "warning")
            if self.view is not None:
                self.settings.sentence = self._read_text
            return False
        first = self.view is None or self.view.tokens != view.tokens
        self.view, self._read_text = view, text
        self.notice_label.setText("  ".join(view.notices))
        self.clear_notice()
        self._clamp()
        self._load_views()
        # a new sentence is shown whole; Home / Play replays it token by token
        self.player.set_count(len(view.ids), index=len(view.ids) - 1 if first else None)
        self._show_step(self.player.index)
        return True

    def _commit_typed(self) -> None:
        text = self.sentence_edit.text()
        if text != self.settings.sentence:
            self.settings.sentence = text
            self._on_changed("sentence")

    def _on_preset(self, index: int) -> None:
        if index > 0:
            self.set_sentence(SentenceRow.PRESETS[index - 1])
        self.sentence_row.presets.setCurrentIndex(0)

    def set_sentence(self, text: str) -> None:
        self.bind.set("sentence", text)

    def set_cell(self, cell: str) -> None:
        self.bind.set("cell", cell)

    def set_unit(self, unit: int) -> None:
        self.bind.set("unit", unit)

    def _on_changed(self, name: str) -> None:
        """Redo only what the change needs ("*": several fields at once, e.g. a lesson slide:
        compared with what is shown)."""
        s = self.settings
        cell_changed = s.cell != self._layout_cell
        if cell_changed:
            self._set_cell_layout()
        if cell_changed or self.view is None or s.sentence != self._read_text:
            self._read(s.sentence)
            return
        if name in ("clamp", "clamp_from", "clamp_one_unit", "*") or (
                name == "unit" and s.clamp_one_unit and s.clamp_from >= 0):
            self._clamp()
            self._load_views()
        self._show_unit()
        self._show_step(self.player.index)

    # -- clamping -------------------------------------------------------------------------------
    def clamp_from_current(self) -> None:
        if self.settings.cell == "lstm" and self.view is not None:
            if self.settings.clamp_from == self.player.index:
                self._on_changed("clamp_from")
            else:
                self.bind.set("clamp_from", self.player.index)

    def release_clamp(self) -> None:
        self.bind.set("clamp_from", -1)

    def _clamp(self) -> None:
        s = self.settings
        start = s.clamp_from if s.cell == "lstm" and s.clamp_from >= 0 else None
        unit = s.unit if s.clamp_one_unit else None
        self.clamp_box.summary.setText(apply_clamp(self.model(), self.view, s.clamp, start, unit))

    # -- views ----------------------------------------------------------------------------------
    def _load_views(self) -> None:
        """Hand the whole sentence to the maps and curves (once per sentence / cell / clamp)."""
        v = self.view
        for name, item in self.heatmaps.maps.items():
            values = v.active.gate(name)[0, 0].T          # (units, tokens), forward direction
            levels = map_levels(name, values)
            item.set_values(values, v.shown, levels)
        for plot in (self.prediction_plot, self.unit_plot):
            set_token_ticks(plot, v.shown)
        self._show_unit()

    def _show_unit(self) -> None:
        v, u = self.view, self.settings.unit
        for item in self.heatmaps.maps.values():
            item.set_unit(u)
        values = {name: v.active.gate(name)[0, 0, :, u] for name in SHOWN[self.settings.cell]}
        c_original = v.trace.c[0, 0, :, u] if v.clamped is not None else None
        self.unit_plot.show_unit(u, values, c_original)

    def _show_step(self, t: int) -> None:
        v = self.view
        if v is None or not 0 <= t < len(v.ids):
            return
        for item in self.heatmaps.maps.values():
            item.set_filled(t + 1)
        self.prediction_plot.show_until(t, v.active_probs,
                                        v.probs if v.clamped is not None else None)
        self.unit_plot.line.setValue(t)
        self._show_chips(t)
        self._show_fire(t)
        eq = unit_equations(self.model().model.rnn, v.active, t, self.settings.unit)
        self.equations.show_equations(eq, v.shown[t])

    def _show_chips(self, t: int) -> None:
        self.token_strip.set_tokens(self.view.shown, token_chips(self.view, t))

    def _show_fire(self, t: int) -> None:
        s = self.settings
        values = self.view.active.gate(s.fire)[0, 0, :, s.unit]
        self.fire_strip.set_tokens(self.view.tokens,
                                   fire_chips(self.view.tokens, values, t, f"{s.fire} of unit {s.unit}"))

    def select_sentiment_unit(self) -> None:
        self.bind.set("unit", sentiment_unit(self.model().model))

    # -- retraining -----------------------------------------------------------------------------
    def retrain(self, epochs: int = 3, n_train: int = 4000, max_steps: int | None = None) -> None:
        """Train a fresh model of the shown cell type; it replaces the shown one when done."""
        if self.runner.running:
            return
        sm, cell = self.model(), self.settings.cell
        kwargs = dict(sm.meta.get("kwargs") or {
            "vocab_size": len(sm.vocab), "cell": cell,
            "embed_dim": sm.model.embedding.embedding_dim, "hidden_size": sm.model.rnn.hidden_size})
        model = SentimentRNN(**kwargs)
        train, test = generated_sentiment_data(n_train, 1000, sm.vocab, seed=7)
        config = TrainConfig(lr=3e-3, batch_size=64, epochs=epochs, seed=7, max_steps=max_steps)
        self._training = (cell, model, sm.vocab, {**sm.meta, "kwargs": kwargs})
        self.train_box.status.setText(f"Training a fresh {CELL_LABELS[cell]}…")
        self.runner.start(partial(fit, config, model, train, test))

    def _on_train_progress(self, events) -> None:
        e = events[-1]
        self.train_box.status.setText(
            f"Epoch {e.epoch + 1}: held-out accuracy {e.test_accuracy:.1%}" if e.kind == "epoch"
            else f"Step {e.step} / {e.total_steps}: loss {e.loss:.3f}")

    def _on_train_finished(self, result) -> None:
        cell, model, vocab, meta = self._training
        if result.status not in ("finished", "stopped"):
            self._train_message(result.message, "error")
            return
        model.eval()
        acc = result.test_accuracy
        meta = {**meta, "accuracy": acc if math.isfinite(acc) else float("nan")}
        meta.pop("long_negation_accuracy", None)      # measured for the shipped model only
        self.models[cell] = type(self.model(cell))(model, vocab, meta)
        self._train_message(result.message, "info")
        if cell == self.settings.cell:
            self._set_cell_layout()
            self.view = None
            self._read(self.settings.sentence)

    def _train_message(self, text: str, level: str) -> None:
        self.train_box.status.setText(text)
        self.notify(text, level)

    def _on_train_running(self, running: bool) -> None:
        self.train_box.set_running(running)
        for button in self.sentence_row.cell_buttons.values():
            button.setEnabled(not running)

    def current_probability(self) -> float:
        """P(positive) at the current token, as the prediction curve shows it."""
        return float(self.view.active_probs[self.player.index])

    def shutdown(self) -> None:
        self.player.pause()
        self.runner.stop_and_wait()

