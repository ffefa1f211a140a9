"""The RNN step-through page: a plain RNN computed one token at a time, with its real numbers.

Tabs: "Step through" (tokens, the unrolled network, the equation h_t = tanh(W_x x_t + W_h h_{t-1}
+ b) with the numbers of a chosen hidden unit, the vectors and weights involved), "Shapes &
code" (what torch returns for the chosen cell, layers, directions, batch_first), "Four ways to
use an RNN" (one-to-one, one-to-many, many-to-one, many-to-many, each opening a small real demo)
and "Read a digit row by row" (the row-reading RNN on a drawn or sample digit).
Numbers come from `engine.rnn.rnn_trace` on a torch nn.RNN; this module only shows them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)
from torch import nn

from engine.rnn import rnn_code, rnn_shapes, rnn_trace
from engine.signals import SignalConfig, make_signal
from engine.text import tokenize
from gui.pages.base import Page
from gui.widgets.code_panel import CodePanel
from gui.widgets.matrix_view import MatrixView
from gui.widgets.memory_race_panel import MemoryRacePanel
from gui.widgets.rnn_uses import RnnUsesPanel
from gui.widgets.row_reader_panel import RowReaderPanel
from gui.widgets.step_player import StepPlayer, StepPlayerBar
from gui.widgets.token_strip import TokenStrip
from gui.widgets.unrolled_view import UnrolledRnnView
from gui.widgets.vector_strip import VectorStrip

MAX_TOKENS = 40
SOURCES = {"words": "Words of a sentence", "chars": "Characters", "signal": "Signal samples"}
DEFAULT_TEXT = {
    "words": "the film was not good , it was great",
    "chars": "hello rnn",
    "signal": "",  # filled from a sine wave
}


@dataclass
class StepSettings:
    source: str = "words"        # "words", "chars" or "signal" (keys of SOURCES)
    text: str = DEFAULT_TEXT["words"]  # the sentence, characters, or comma-separated samples
    hidden: int = 4              # hidden units of the nn.RNN
    features: int = 3            # input features per token (embedding size; 1 for a signal)
    seed: int = 0                # seeds the embedding and the RNN's weights
    unit: int = 0                # hidden unit whose equation is written out
    weights: str = "random"      # "random" (seeded) or "trained" (the shipped sentiment RNN)


@dataclass
class StepModel:
    tokens: list                 # what each time step shows
    x: np.ndarray                # (T, features) the inputs x_t
    rnn: nn.RNN                  # the torch module whose weights are used
    trace: object                # engine.rnn.RNNTrace: h, pre_x, pre_h of shape (1, 1, T, H)
    truncated: bool = False      # the input had more than MAX_TOKENS tokens
    positive: np.ndarray | None = None  # (T,) trained model only: P(positive) after each token


def default_signal_text(n: int = 12) -> str:
    s = make_signal(SignalConfig("sine", n, period=12, noise=0.0))
    return ", ".join(f"{v:.2f}" for v in s)


def parse_samples(text: str) -> list[float]:
    """'0.1, -0.5 0.3' -> [0.1, -0.5, 0.3]; raises ValueError naming the bad entry."""
    values = []
    for part in text.replace(";", ",").replace(",", " ").split():
        try:
            v = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"{part!r} is not a finite number")
        values.append(v)
    return values


_TRAINED = {}


def trained_sentiment_rnn():
    """The shipped plain-RNN sentiment model and its vocabulary (loaded once)."""
    if "model" not in _TRAINED:
        from engine.models import load_pretrained
        from engine.rnn_models import model_vocab
        model = load_pretrained("sentiment_rnn")
        _TRAINED["model"], _TRAINED["vocab"] = model, model_vocab(model.meta)
    return _TRAINED["model"], _TRAINED["vocab"]


def build_trained_model(s: StepSettings) -> StepModel:
    """Words through the shipped sentiment RNN: its embedding gives x_t, its nn.RNN the weights."""
    from engine.models import CheckpointError
    from engine.rnn_models import predict_per_token
    try:
        model, vocab = trained_sentiment_rnn()
    except CheckpointError as exc:
        raise ValueError(f"The trained sentiment RNN is not available: {exc}") from None
    tokens = tokenize(s.text)
    if not tokens:
        raise ValueError("Type a sentence with at least one word.")
    truncated = len(tokens) > MAX_TOKENS
    tokens = tokens[:MAX_TOKENS]
    ids = vocab.encode(tokens)
    shown = [t if i != 1 else f"{t}→<unk>" for t, i in zip(tokens, ids)]
    x = model.embed(ids)  # (T, 24)
    trace = rnn_trace(model.rnn, x)
    return StepModel(shown, np.ascontiguousarray(x), model.rnn, trace, truncated,
                     predict_per_token(model, ids, trace))


def build_step_model(s: StepSettings) -> StepModel:
    """Tokens, inputs and a seeded nn.RNN for the settings, and its trace. Raises ValueError."""
    if s.weights == "trained":
        return build_trained_model(s)
    if s.source == "signal":
        values = parse_samples(s.text)
        tokens = [f"{v:.2f}" for v in values]
    elif s.source == "chars":
        tokens = list(s.text)
    else:
        tokens = tokenize(s.text)
    if not tokens:
        raise ValueError("Type a sentence with at least one word." if s.source == "words" else
                         "Type at least one character." if s.source == "chars" else
                         "Type at least one number.")
    truncated = len(tokens) > MAX_TOKENS
    tokens = tokens[:MAX_TOKENS]
    torch.manual_seed(s.seed)
    features = 1 if s.source == "signal" else s.features
    rnn = nn.RNN(features, s.hidden, batch_first=True)
    if s.source == "signal":
        x = np.asarray(values[:MAX_TOKENS], np.float32)[:, None]
    else:
        vocab = list(dict.fromkeys(tokens))  # order of first appearance
        embedding = nn.Embedding(len(vocab), features)
        with torch.no_grad():
            x = embedding(torch.tensor([vocab.index(t) for t in tokens])).numpy()
    rnn.eval()
    return StepModel(tokens, np.ascontiguousarray(x), rnn, rnn_trace(rnn, x), truncated)


def _num(v: float) -> str:
    return f"({v:.2f})" if v < 0 else f"{v:.2f}"


def _sub(n) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


@dataclass
class EquationParts:
    wx: float    # (W_x x_t)[j]
    wh: float    # (W_h h_{t-1})[j]
    b: float     # b_ih[j] + b_hh[j]
    z: float     # the sum, before tanh
    h: float     # tanh(z) = h_t[j]


def equation_parts(model: StepModel, t: int, j: int) -> EquationParts:
    """The three terms of unit j's pre-activation at step t, read from the trace."""
    b_ih = model.rnn.bias_ih_l0.detach().numpy()
    b_hh = model.rnn.bias_hh_l0.detach().numpy()
    tr = model.trace
    wx = float(tr.pre_x[0, 0, t, j] - b_ih[j])
    wh = float(tr.pre_h[0, 0, t, j] - b_hh[j])
    b = float(b_ih[j] + b_hh[j])
    return EquationParts(wx, wh, b, wx + wh + b, float(tr.h[0, 0, t, j]))


def equation_html(model: StepModel, t: int, j: int) -> str:
    """The equation for unit j at step t (1-based in the text, as on a slide)."""
    p = equation_parts(model, t, j)
    n, prev = _sub(t + 1), _sub(t)
    lines = [
        f"h{n}[{j}] = tanh( W_x x{n} + W_h h{prev} + b )[{j}]",
        f"      = tanh( {_num(p.wx)} + {_num(p.wh)} + {_num(p.b)} )",
        f"      = tanh( {_num(p.z)} ) = <b>{p.h:.2f}</b>",
    ]
    w_ih = model.rnn.weight_ih_l0.detach().numpy()
    w_hh = model.rnn.weight_hh_l0.detach().numpy()
    detail = []
    if w_ih.shape[1] <= 6:
        terms = " + ".join(f"{_num(w)}·{_num(x)}" for w, x in zip(w_ih[j], model.x[t]))
        detail.append(f"W_x x{n}[{j}] = {terms} = {_num(p.wx)}")
    h_prev = model.trace.h[0, 0, t - 1] if t > 0 else np.zeros(w_hh.shape[1], np.float32)
    if w_hh.shape[1] <= 6:
        terms = " + ".join(f"{_num(w)}·{_num(h)}" for w, h in zip(w_hh[j], h_prev))
        detail.append(f"W_h h{prev}[{j}] = {terms} = {_num(p.wh)}")
    body = "<br>".join(line.replace(" ", "&nbsp;") for line in lines)
    small = "<br>".join(detail)
    return (f'<div style="font-family:monospace; font-size:15pt">{body}</div>'
            f'<div style="font-family:monospace; font-size:10.5pt; color:#444; margin-top:8px">'
            f"{small}</div>")


class StepThroughPanel(QWidget):
    """Tokens, unrolled view, equation and vectors of a plain RNN, one step at a time."""

    def __init__(self, page: Page):
        super().__init__()
        self.page = page
        self.settings = StepSettings()
        self.model: StepModel | None = None

        self.source_combo = QComboBox()
        for key, label in SOURCES.items():
            self.source_combo.addItem(label, key)
        self.text_edit = QLineEdit(self.settings.text)
        self.text_edit.setPlaceholderText("a sentence, some characters, or numbers")
        # Not focused on opening, so arrows / Space / a clicker step at once; click to type.
        self.text_edit.setFocusPolicy(Qt.ClickFocus)
        self.apply_button = QPushButton("Run")
        self.weights_combo = QComboBox()
        self.weights_combo.addItem("random weights (seeded)", "random")
        self.weights_combo.addItem("trained sentiment RNN (shipped)", "trained")
        self.weights_combo.setToolTip("Trained: the shipped sentiment model's own embedding and "
                                      "nn.RNN (24 inputs, 48 hidden units); words only")
        self.sentiment_label = QLabel()
        self.sentiment_label.setStyleSheet("font-size:13pt")
        self.hidden_spin = QSpinBox(minimum=1, maximum=64, value=self.settings.hidden)
        self.features_spin = QSpinBox(minimum=1, maximum=32, value=self.settings.features)
        self.seed_spin = QSpinBox(minimum=0, maximum=9999, value=self.settings.seed)
        self.unit_spin = QSpinBox(minimum=0, maximum=self.settings.hidden - 1)
        self.unit_spin.setToolTip("The hidden unit whose equation is written out "
                                  "(or click a cell of h_t)")
        self.inline_error = QLabel()
        self.inline_error.setStyleSheet("color:#b00020; font-weight:bold")

        top = QHBoxLayout()
        top.addWidget(QLabel("Sequence"))
        top.addWidget(self.source_combo)
        top.addWidget(self.text_edit, 1)
        top.addWidget(self.apply_button)
        knobs = QHBoxLayout()
        knobs.addWidget(self.weights_combo)
        knobs.addSpacing(12)
        for label, w in (("hidden units", self.hidden_spin), ("input features", self.features_spin),
                         ("seed", self.seed_spin), ("show unit j", self.unit_spin)):
            knobs.addWidget(QLabel(label))
            knobs.addWidget(w)
            knobs.addSpacing(12)
        knobs.addWidget(self.inline_error, 1)
        self.text_edit.setMinimumWidth(200)

        self.tokens = TokenStrip()
        font = self.tokens.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.tokens.setFont(font)
        self.unrolled = UnrolledRnnView()
        self.player = StepPlayer(self, steps_per_second=1.5)
        self.player_bar = StepPlayerBar(self.player, step_name="token")

        self.equation = QLabel()
        self.equation.setTextFormat(Qt.RichText)
        self.equation.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.equation.setWordWrap(True)
        self.equation.setTextInteractionFlags(Qt.TextSelectableByMouse)
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
        self.history_view.plot.setAspectLocked(False)  # 48 units x 5 tokens must still be wide

        vectors = QGridLayout()
        for row, (title, strip) in enumerate((("<b>x<sub>t</sub></b> input", self.x_strip),
                                              ("<b>h<sub>t-1</sub></b> before", self.h_prev_strip),
                                              ("<b>h<sub>t</sub></b> hidden state", self.h_strip))):
            vectors.addWidget(QLabel(title), row, 0)
            vectors.addWidget(strip, row, 1)
        vectors.setColumnStretch(1, 1)
        eq_box = QGroupBox("The step, with the numbers torch computes")
        eq_layout = QVBoxLayout(eq_box)
        eq_layout.addWidget(self.equation, 1)
        eq_layout.addWidget(self.sentiment_label)
        eq_layout.addLayout(vectors)
        weights = QGridLayout()
        weights.addWidget(QLabel("<b>W<sub>x</sub></b>  (hidden × input)"), 0, 0)
        weights.addWidget(QLabel("<b>W<sub>h</sub></b>  (hidden × hidden)"), 0, 1)
        weights.addWidget(self.w_x_view, 1, 0)
        weights.addWidget(self.w_h_view, 1, 1)
        weights.addWidget(QLabel("<b>Every hidden unit after every token</b> (rows = units, "
                                 "columns = tokens)"), 2, 0, 1, 2)
        weights.addWidget(self.history_view, 3, 0, 1, 2)
        weights.setRowStretch(1, 3)
        weights.setRowStretch(3, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(eq_box, 1)
        bottom.addLayout(weights, 1)
        bottom_widget = QWidget()
        bottom_widget.setLayout(bottom)

        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.unrolled)
        splitter.addWidget(bottom_widget)
        splitter.setSizes([260, 460])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(knobs)
        layout.addWidget(self.tokens)
        layout.addWidget(self.player_bar)
        layout.addWidget(splitter, 1)

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
        self.apply()

    # -- settings -> model ---------------------------------------------------------------------
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
            model = build_step_model(s)
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
        w_ih = model.rnn.weight_ih_l0.detach().numpy()
        w_hh = model.rnn.weight_hh_l0.detach().numpy()
        self.w_x_view.set_matrix(w_ih)
        self.w_h_view.set_matrix(w_hh)
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

    # -- step -> views -------------------------------------------------------------------------
    def show_step(self, t: int) -> None:
        m = self.model
        if m is None or not 0 <= t < len(m.tokens):
            return
        j = self.settings.unit
        h = m.trace.h[0, 0]  # (T, H)
        self.tokens.set_current(t)
        self.unrolled.set_step(t, h[:, j], unit=j)
        self.equation.setText(equation_html(m, t, j))
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


class ShapesPanel(QWidget):
    """Input, output, h_n and c_n shapes as torch reports them, the parameters, and the code."""

    def __init__(self):
        super().__init__()
        self.cell_combo = QComboBox()
        for key, label in (("rnn", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
            self.cell_combo.addItem(label, key)
        # The shapes come from running the module at these sizes, on every change, in the GUI
        # thread: the limits keep the largest run (LSTM, 4 bidirectional layers of 128, batch
        # 32, 100 steps) to about a tenth of a second. (Larger ones froze the window for up to
        # a minute; torch's "meta" device gives shapes without data but steps through the
        # sequence just as slowly.)
        self.input_spin = QSpinBox(minimum=1, maximum=128, value=8)
        self.hidden_spin = QSpinBox(minimum=1, maximum=128, value=16)
        self.layers_spin = QSpinBox(minimum=1, maximum=4, value=1)
        self.batch_spin = QSpinBox(minimum=1, maximum=32, value=4)
        self.seq_spin = QSpinBox(minimum=1, maximum=100, value=10)
        self.bidirectional_check = QCheckBox("bidirectional")
        self.batch_first_check = QCheckBox("batch_first")
        self.batch_first_check.setChecked(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldsStayAtSizeHint)
        form.addRow("cell", self.cell_combo)
        form.addRow("input_size (features)", self.input_spin)
        form.addRow("hidden_size", self.hidden_spin)
        form.addRow("num_layers", self.layers_spin)
        form.addRow("batch", self.batch_spin)
        form.addRow("seq_len", self.seq_spin)
        form.addRow(self.bidirectional_check)
        form.addRow(self.batch_first_check)
        self.shapes_label = QLabel()
        self.shapes_label.setTextFormat(Qt.RichText)
        self.shapes_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.params_label = QLabel()
        self.params_label.setTextFormat(Qt.RichText)
        self.code = CodePanel("Equivalent PyTorch")
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.shapes_label)
        left.addWidget(self.params_label)
        left.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(self.code, 1)
        for spin in (self.input_spin, self.hidden_spin, self.layers_spin, self.batch_spin, self.seq_spin):
            spin.valueChanged.connect(self.update_view)
        self.cell_combo.currentIndexChanged.connect(self.update_view)
        self.bidirectional_check.toggled.connect(self.update_view)
        self.batch_first_check.toggled.connect(self.update_view)
        self.update_view()

    def settings(self) -> dict:
        return dict(cell=self.cell_combo.currentData(), input_size=self.input_spin.value(),
                    hidden_size=self.hidden_spin.value(), num_layers=self.layers_spin.value(),
                    bidirectional=self.bidirectional_check.isChecked(), batch=self.batch_spin.value(),
                    seq_len=self.seq_spin.value(), batch_first=self.batch_first_check.isChecked())

    def update_view(self, *_args) -> None:
        s = self.settings()
        self.shapes = rnn_shapes(**s)
        d = 2 if s["bidirectional"] else 1
        layout_in = "(batch, seq_len, features)" if s["batch_first"] else "(seq_len, batch, features)"
        layout_out = ("(batch, seq_len, directions·hidden)" if s["batch_first"]
                      else "(seq_len, batch, directions·hidden)")
        rows = [("input", layout_in), ("output", layout_out),
                ("h_n", "(layers·directions, batch, hidden)")]
        if "c_n" in self.shapes:
            rows.append(("c_n", "(layers·directions, batch, hidden)"))
        table = "".join(f"<tr><td><b>{name}</b></td><td style='font-family:monospace'>"
                        f"{tuple(self.shapes[name])}</td><td style='color:#555'>{meaning}</td></tr>"
                        for name, meaning in rows)
        self.shapes_label.setText(
            f"<h3>Shapes torch reports</h3><table cellspacing=6>{table}</table>"
            f"<p>directions = {d}; h_n holds the last step of every layer and direction; "
            "output holds every step of the last layer only.</p>")
        module = getattr(nn, {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[s["cell"]])(
            s["input_size"], s["hidden_size"], num_layers=s["num_layers"],
            bidirectional=s["bidirectional"], device="meta")   # shapes only: nothing allocated
        all_params = [(n, tuple(p.shape)) for n, p in module.named_parameters()]
        params = all_params[:16]
        total = sum(p.numel() for p in module.parameters())
        gate_rows = {"rnn": 1, "lstm": 4, "gru": 3}[s["cell"]]
        rows_html = "".join(f"<tr><td style='font-family:monospace'>{n}</td>"
                            f"<td style='font-family:monospace'>{shape}</td></tr>" for n, shape in params)
        if len(all_params) > len(params):
            rows_html += f"<tr><td colspan=2>… and {len(all_params) - len(params)} more</td></tr>"
        self.params_label.setText(
            f"<h3>Parameters ({total:,} in all)</h3><table cellspacing=4>{rows_html}</table>"
            f"<p>{gate_rows} × hidden rows: "
            + {"rnn": "one block.", "lstm": "the i, f, g, o gates stacked.",
               "gru": "the r, z, n gates stacked."}[s["cell"]] + "</p>")
        self.code.set_code(rnn_code(**s, shapes=self.shapes))


class RnnStepPage(Page):
    title = "RNN step-through"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.step_panel = StepThroughPanel(self)
        self.shapes_panel = ShapesPanel()
        self.uses_panel = RnnUsesPanel(self)
        self.row_panel = RowReaderPanel(self)
        self.memory_panel = MemoryRacePanel(self)
        self.tabs.addTab(self.step_panel, "Step through")
        self.tabs.addTab(self.shapes_panel, "Shapes && code")
        self.tabs.addTab(self.uses_panel, "Four ways to use an RNN")
        self.tabs.addTab(self.row_panel, "Read a digit row by row")
        self.tabs.addTab(self.memory_panel, "Long memory: RNN vs LSTM")
        self.uses_panel.readDigitRequested.connect(self.show_row_reader)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed(0)

    def show_row_reader(self) -> None:
        self.tabs.setCurrentWidget(self.row_panel)
        self.row_panel.read_drawn_digit()

    def _on_tab_changed(self, index: int) -> None:
        # A hidden tab's player bar gets no shortcuts (its actions are invisible); stop its timer.
        if self.tabs.widget(index) is not self.step_panel:
            self.step_panel.player.pause()
        if self.tabs.widget(index) is not self.row_panel:
            self.row_panel.player.pause()

    def shutdown(self) -> None:
        self.step_panel.player.pause()
        self.row_panel.player.pause()
        self.uses_panel.shutdown()
        self.memory_panel.shutdown()
