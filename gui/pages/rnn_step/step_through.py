"""`StepThroughPanel`: a plain RNN computed one token at a time, with its real numbers.

The sequence (words, characters or signal samples) and the sizes are typed in two rows of
controls; the engine (`engine.rnn_step`) turns them into inputs x_t, a seeded nn.RNN (or the
shipped, trained sentiment RNN) and its trace. Stepping shows, side by side: the unrolled
network and the equation of the chosen hidden unit (left); the vectors x_t, h_{t-1}, h_t, the
weights W_x and W_h with that unit's row outlined, and every hidden unit after every token
(right). This module only shows those numbers.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from engine.rnn_step import (
    MAX_TOKENS, StepModel, default_signal_text, equation_terms, seeded_step_model,
    trained_step_model,
)
from engine.text import tokenize
from gui import style
from gui.bind import StateError
from gui.pages.rnn_step.equation_view import EquationView
from gui.widgets.matrix_view import MatrixView
from gui.widgets.step_player import StepPlayer, StepPlayerBar
from gui.widgets.token_strip import TokenStrip
from gui.widgets.unrolled_view import UnrolledRnnView
from gui.widgets.vector_strip import VectorStrip

SOURCES = {"words": "Words of a sentence", "chars": "Characters", "signal": "Signal samples"}
DEFAULT_TEXT = {
    "words": "the film was not good , it was great",
    "chars": "hello rnn",
    "signal": "",  # filled from a sine wave
}
TRAINED_NAME = "sentiment_rnn"   # the shipped plain-RNN sentiment model


@dataclass
class StepSettings:
    source: str = "words"        # "words", "chars" or "signal" (keys of SOURCES)
    text: str = DEFAULT_TEXT["words"]  # the sentence, characters, or comma-separated samples
    hidden: int = 4              # hidden units of the nn.RNN
    features: int = 3            # input features per token (embedding size; 1 for a signal)
    seed: int = 0                # seeds the embedding and the RNN's weights
    unit: int = 0                # hidden unit whose equation is written out
    weights: str = "random"      # "random" (seeded) or "trained" (the shipped sentiment RNN)


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise StateError(name, f"needs one of {', '.join(map(str, choices))}, got {value!r}")


def _check_int(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StateError(name, f"needs a whole number from {low} to {high}, got {value!r}")


def _title(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)
    return label


class StepThroughPanel(QWidget):
    """Tokens, unrolled view, equation and vectors of a plain RNN, one step at a time."""

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.settings = StepSettings()
        self.model: StepModel | None = None
        self.trained = None    # (SentimentRNN, Vocab) once the trained weights were asked for

        self.source_combo = QComboBox()
        for key, label in SOURCES.items():
            self.source_combo.addItem(label, key)
        self.source_combo.setToolTip("What the RNN reads, one token x_t per step: words, "
                                     "characters or signal samples")
        self.text_edit = QLineEdit(self.settings.text)
        self.text_edit.setPlaceholderText("a sentence, some characters, or numbers")
        # Not focused on opening, so arrows / Space / a clicker step at once; click to type.
        self.text_edit.setFocusPolicy(Qt.ClickFocus)
        self.text_edit.setMinimumWidth(200)
        self.text_edit.setToolTip(f"The sequence: a sentence, some characters, or comma-separated "
                                  f"numbers (the first {MAX_TOKENS} tokens); Enter runs it")
        self.apply_button = QPushButton("Run")
        self.apply_button.setToolTip("Rebuild the RNN for this sequence and step through it "
                                     "from the first token")
        self.weights_combo = QComboBox()
        self.weights_combo.addItem("random weights (seeded)", "random")
        self.weights_combo.addItem("trained sentiment RNN (shipped)", "trained")
        self.weights_combo.setToolTip("Trained: the shipped sentiment model's own embedding and "
                                      "nn.RNN (24 inputs, 48 hidden units); words only")
        self.hidden_spin = QSpinBox(minimum=1, maximum=64, value=self.settings.hidden)
        self.features_spin = QSpinBox(minimum=1, maximum=32, value=self.settings.features)
        self.seed_spin = QSpinBox(minimum=0, maximum=9999, value=self.settings.seed)
        self.hidden_spin.setToolTip("Hidden units of the nn.RNN: the length of h_t")
        self.features_spin.setToolTip("Input features per token: the length of x_t (the "
                                      "embedding size; 1 for a signal)")
        self.seed_spin.setToolTip("Seeds the embedding and the weights W_x, W_h, b")
        self.unit_spin = QSpinBox(minimum=0, maximum=self.settings.hidden - 1)
        self.unit_spin.setToolTip("The hidden unit whose equation is written out "
                                  "(or click a cell of h_t)")
        self.inline_error = QLabel()
        self.inline_error.setWordWrap(True)
        self.inline_error.setStyleSheet("color:#b00020; font-weight:bold")

        self.tokens = style.set_role(TokenStrip(), "title")
        self.unrolled = UnrolledRnnView()
        self.player = StepPlayer(self, steps_per_second=1.5)
        self.player_bar = StepPlayerBar(self.player, step_name="token")

        self.equation = EquationView()
        self.sentiment_label = style.set_role(_title(""), "title")
        self.x_strip = VectorStrip(levels=None)
        self.h_prev_strip = VectorStrip()
        self.h_strip = VectorStrip()
        self.h_strip.setToolTip("Click a unit to write out its equation")
        self.w_x_view = MatrixView(colormap="diverging", number_format="{:+.2f}")
        self.w_h_view = MatrixView(colormap="diverging", number_format="{:+.2f}")
        # numbers only while few: each cell's text costs a repaint at every step
        self.history_view = MatrixView(colormap="diverging", number_format="{:+.2f}",
                                       max_number_cells=64)
        self.history_view.setToolTip("Every hidden unit (rows) after every token (columns)")
        # Cells stretch to the space they have (not square): at 1280x720 that is what makes
        # room for numbers of a readable size in the strips and small weight grids.
        for view in (self.x_strip, self.h_prev_strip, self.h_strip, self.w_x_view, self.w_h_view,
                     self.history_view):
            view.plot.setAspectLocked(False)

        self._build_layout()
        self._connect()
        self.apply()

    def _build_layout(self) -> None:
        sequence_row = QHBoxLayout()
        sequence_row.addWidget(QLabel("Sequence"))
        sequence_row.addWidget(self.source_combo)
        sequence_row.addWidget(self.text_edit, 1)
        sequence_row.addWidget(self.apply_button)
        sequence_row.addWidget(self.weights_combo)
        knobs = QHBoxLayout()
        for label, w in (("hidden units", self.hidden_spin), ("input features", self.features_spin),
                         ("seed", self.seed_spin), ("show unit j", self.unit_spin)):
            knobs.addWidget(QLabel(label))
            knobs.addWidget(w)
            knobs.addSpacing(10)
        knobs.addWidget(self.inline_error, 1)

        eq_box = QGroupBox("The step, with the numbers torch computes")
        eq_layout = QVBoxLayout(eq_box)
        eq_layout.setContentsMargins(6, 4, 6, 4)
        eq_layout.addWidget(self.equation, 1)
        eq_layout.addWidget(self.sentiment_label)
        left = QVBoxLayout()
        left.addWidget(self.unrolled, 3)
        left.addWidget(eq_box, 2)

        vectors = QGridLayout()
        for row, (title, strip) in enumerate((("<b>x<sub>t</sub></b> input", self.x_strip),
                                              ("<b>h<sub>t-1</sub></b> before", self.h_prev_strip),
                                              ("<b>h<sub>t</sub></b> hidden state", self.h_strip))):
            vectors.addWidget(QLabel(title), row, 0)
            vectors.addWidget(strip, row, 1)
        vectors.setColumnStretch(1, 1)
        weights = QGridLayout()
        weights.addWidget(_title("<b>W<sub>x</sub></b> (hidden × input)"), 0, 0)
        weights.addWidget(_title("<b>W<sub>h</sub></b> (hidden × hidden)"), 0, 1)
        weights.addWidget(self.w_x_view, 1, 0)
        weights.addWidget(self.w_h_view, 1, 1)
        weights.addWidget(_title("<b>h<sub>t</sub> after every token</b> "
                                 "(rows = units, columns = tokens)"), 2, 0, 1, 2)
        weights.addWidget(self.history_view, 3, 0, 1, 2)
        weights.setRowStretch(1, 3)
        weights.setRowStretch(3, 2)
        right = QVBoxLayout()
        right.addLayout(vectors)
        right.addLayout(weights, 1)

        body = QHBoxLayout()
        body.addLayout(left, 11)
        body.addLayout(right, 9)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(sequence_row)
        layout.addLayout(knobs)
        layout.addWidget(self.tokens)
        layout.addWidget(self.player_bar)
        layout.addLayout(body, 1)

    def _connect(self) -> None:
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.weights_combo.currentIndexChanged.connect(self._on_weights_changed)
        self.text_edit.returnPressed.connect(self.apply)
        self.apply_button.clicked.connect(self.apply)
        self.hidden_spin.valueChanged.connect(self._on_hidden_changed)
        self.features_spin.valueChanged.connect(self._on_features_changed)
        self.seed_spin.valueChanged.connect(self._on_seed_changed)
        self.unit_spin.valueChanged.connect(self._on_unit_changed)
        self.h_strip.cellClicked.connect(self._on_h_clicked)
        self.tokens.tokenClicked.connect(self.player.go_to)
        self.player.stepChanged.connect(self.show_step)

    # -- settings -> model ---------------------------------------------------------------------
    def build(self, s: StepSettings) -> StepModel:
        """The engine's model for the settings; the trained weights are loaded once, on first
        use. Raises ValueError with a message for the user."""
        if s.weights != "trained":
            return seeded_step_model(s.source, s.text, s.hidden, s.features, s.seed)
        if self.trained is None:
            from engine.models import CheckpointError
            from engine.rnn_models import load_sentiment_model
            try:
                model, vocab, _meta = load_sentiment_model(TRAINED_NAME)
            except CheckpointError as exc:
                raise ValueError(f"The trained sentiment RNN is not available: {exc}") from None
            self.trained = (model, vocab)
        return trained_step_model(*self.trained, s.text)

    def apply(self) -> bool:
        """Rebuild from the current controls; on bad input keep the previous state."""
        weights = self.weights_combo.currentData()
        hidden = self.hidden_spin.value()
        if weights == "trained":
            hidden = 48 if self.model is None or self.settings.weights != "trained" else self.settings.hidden
        s = StepSettings(self.source_combo.currentData(), self.text_edit.text(), hidden,
                         self.features_spin.value(), self.seed_spin.value(),
                         min(self.unit_spin.value(), hidden - 1), weights)
        try:
            model = self.build(s)
        except ValueError as exc:
            self.inline_error.setText(str(exc))
            self.page.notify(str(exc), "error")
            return False
        self.inline_error.setText(
            f"Only the first {MAX_TOKENS} tokens are used." if model.truncated else "")
        if model.truncated:
            self.page.notify(f"Long input: only the first {MAX_TOKENS} tokens are used.", "warning")
        s.hidden = model.rnn.hidden_size
        self.settings, self.model = s, model
        self.unit_spin.setMaximum(s.hidden - 1)
        trained = s.weights == "trained"
        self.features_spin.setEnabled(s.source != "signal" and not trained)
        self.hidden_spin.setEnabled(not trained)
        if trained:  # show the trained model's sizes without re-running apply()
            for spin, value in ((self.hidden_spin, s.hidden), (self.features_spin, model.x.shape[1])):
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self.seed_spin.setEnabled(not trained)
        self.source_combo.setEnabled(not trained)
        self.sentiment_label.setVisible(model.positive is not None)
        self.w_x_view.set_matrix(model.rnn.weight_ih_l0.detach().numpy())
        self.w_h_view.set_matrix(model.rnn.weight_hh_l0.detach().numpy())
        self.unrolled.set_sequence(model.tokens, s.unit)
        self.tokens.set_tokens([t if t.strip() else "␣" for t in model.tokens], 0)
        self.player.set_count(len(model.tokens), index=0)
        self.show_step(self.player.index)
        return True

    def _on_source_changed(self, _index: int) -> None:
        source = self.source_combo.currentData()
        self.text_edit.setText(default_signal_text() if source == "signal" else DEFAULT_TEXT[source])
        self.apply()

    def _on_weights_changed(self, _index: int) -> None:
        if self.weights_combo.currentData() == "trained":
            self.source_combo.blockSignals(True)
            self.source_combo.setCurrentIndex(0)  # the trained model reads words
            self.source_combo.blockSignals(False)
            if not tokenize(self.text_edit.text()) or self.settings.source != "words":
                self.text_edit.setText(DEFAULT_TEXT["words"])
        else:  # back to a small random RNN whose equation can be written out in full
            for spin, value in ((self.hidden_spin, StepSettings.hidden),
                                (self.features_spin, StepSettings.features)):
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        if not self.apply():
            self.weights_combo.blockSignals(True)
            self.weights_combo.setCurrentIndex(self.weights_combo.findData(self.settings.weights))
            self.weights_combo.blockSignals(False)

    def _on_hidden_changed(self, value: int) -> None:
        self.unit_spin.setMaximum(value - 1)
        self.apply()

    def _on_features_changed(self, _value: int) -> None:
        self.apply()

    def _on_seed_changed(self, _value: int) -> None:
        self.apply()

    def _on_unit_changed(self, unit: int) -> None:
        if self.model is None:
            return
        self.settings.unit = unit
        self.show_step(self.player.index)

    def _on_h_clicked(self, _row: int, col: int) -> None:
        self.unit_spin.setValue(col)

    # -- state (lesson slides, stored settings) ---------------------------------------------
    def state(self) -> dict:
        return {**dataclasses.asdict(self.settings), "step": self.player.index}

    def apply_state(self, state: dict) -> None:
        """Show a state from `state()`; StateError naming the field (and nothing changed) for a
        value out of range or an input the model cannot read."""
        unknown = set(state) - {f.name for f in dataclasses.fields(StepSettings)} - {"step"}
        if unknown:
            raise StateError(sorted(unknown)[0], "is not a setting of the step-through")
        values = {**dataclasses.asdict(self.settings), "step": 0, **state}
        _check_choice("source", values["source"], SOURCES)
        _check_choice("weights", values["weights"], ("random", "trained"))
        if not isinstance(values["text"], str):
            raise StateError("text", f"needs text, got {values['text']!r}")
        for name, spin in (("hidden", self.hidden_spin), ("features", self.features_spin),
                           ("seed", self.seed_spin)):
            _check_int(name, values[name], spin.minimum(), spin.maximum())
        _check_int("unit", values["unit"], 0, 63)
        _check_int("step", values["step"], 0, MAX_TOKENS - 1)
        new = StepSettings(**{k: v for k, v in values.items() if k != "step"})
        try:
            self.build(new)
        except ValueError as exc:
            raise StateError("text", str(exc)) from None
        with QSignalBlocker(self.source_combo), QSignalBlocker(self.weights_combo), \
                QSignalBlocker(self.hidden_spin), QSignalBlocker(self.features_spin), \
                QSignalBlocker(self.seed_spin), QSignalBlocker(self.unit_spin):
            self.source_combo.setCurrentIndex(self.source_combo.findData(new.source))
            self.weights_combo.setCurrentIndex(self.weights_combo.findData(new.weights))
            self.text_edit.setText(new.text)
            self.hidden_spin.setValue(new.hidden)
            self.unit_spin.setMaximum(max(new.hidden - 1, 0))
            self.features_spin.setValue(new.features)
            self.seed_spin.setValue(new.seed)
            self.unit_spin.setValue(new.unit)
        self.apply()
        self.player.go_to(min(values["step"], self.player.count - 1))

    def reset(self) -> None:
        self.apply_state({**dataclasses.asdict(StepSettings()), "step": 0})

    def controls(self) -> dict:
        return {"source": self.source_combo, "text": self.text_edit, "weights": self.weights_combo,
                "hidden": self.hidden_spin, "features": self.features_spin,
                "seed": self.seed_spin, "unit": self.unit_spin}

    # -- step -> views -------------------------------------------------------------------------
    def show_step(self, t: int) -> None:
        m = self.model
        if m is None or not 0 <= t < len(m.tokens):
            return
        j = self.settings.unit
        h = m.trace.h[0, 0]  # (T, H)
        self.tokens.set_current(t)
        self.unrolled.set_step(t, h[:, j], unit=j)
        self.equation.show_terms(equation_terms(m, t, j), t, j)
        self.x_strip.set_vector(m.x[t])
        self.h_prev_strip.set_vector(h[t - 1] if t > 0 else np.zeros(h.shape[1]), mark=j)
        self.h_strip.set_vector(h[t], mark=j)
        self.w_x_view.set_highlight((j, 0, 1, m.x.shape[1]))
        self.w_h_view.set_highlight((j, 0, 1, h.shape[1]))
        mask = np.zeros(h.T.shape, bool)
        mask[:, : t + 1] = True
        self.history_view.set_matrix(h.T, levels=(-1, 1), mask=mask)
        self.history_view.set_filled(mask)  # tokens not read yet: blank
        self.history_view.set_highlight((j, t, 1, 1))
        if m.positive is not None:
            p = float(m.positive[t])
            verdict = "positive" if p >= 0.5 else "negative"
            self.sentiment_label.setText(
                f"The trained model's verdict after “{m.tokens[t]}”: <b>{verdict}</b> "
                f"(P(positive) = {p:.0%}, its head applied to h<sub>{t + 1}</sub>)")
