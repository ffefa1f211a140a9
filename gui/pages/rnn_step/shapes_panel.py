"""`ShapesPanel`: what torch returns for a chosen cell (RNN, LSTM, GRU), layers, directions and
batch_first: the input, output, h_n and c_n shapes, the parameters, and the equivalent code.
Shapes come from `engine.rnn.rnn_shapes`, parameters from `engine.rnn_step.rnn_parameters`.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget,
)

from engine.rnn import rnn_code, rnn_shapes
from engine.rnn_step import rnn_parameters
from gui.widgets.code_panel import CodePanel


class ShapesPanel(QWidget):
    """Input, output, h_n and c_n shapes as torch reports them, the parameters, and the code."""

    def __init__(self):
        super().__init__()
        self.cell_combo = QComboBox()
        for key, label in (("rnn", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
            self.cell_combo.addItem(label, key)
        # The shapes come from running the module at these sizes on every change, in the GUI
        # thread: the limits keep the largest run short enough not to freeze the window
        # (torch's "meta" device gives shapes without data but steps through time as slowly).
        self.input_spin = QSpinBox(minimum=1, maximum=128, value=8)
        self.hidden_spin = QSpinBox(minimum=1, maximum=128, value=16)
        self.layers_spin = QSpinBox(minimum=1, maximum=4, value=1)
        self.batch_spin = QSpinBox(minimum=1, maximum=32, value=4)
        self.seq_spin = QSpinBox(minimum=1, maximum=100, value=10)
        self.bidirectional_check = QCheckBox("bidirectional")
        self.batch_first_check = QCheckBox("batch_first")
        self.batch_first_check.setChecked(True)
        self.cell_combo.setToolTip("The torch module: nn.RNN, nn.LSTM (which also returns a cell "
                                   "state c_n) or nn.GRU")
        self.input_spin.setToolTip("Features per time step: the length of each input x_t")
        self.hidden_spin.setToolTip("Hidden units per layer and direction: the length of h_t")
        self.layers_spin.setToolTip("Stacked layers: each layer reads the h_t sequence of the "
                                    "layer below")
        self.batch_spin.setToolTip("Sequences run together: the input's batch dimension")
        self.seq_spin.setToolTip("Time steps per sequence: how many x_t each one has")
        self.bidirectional_check.setToolTip("A second RNN reads each sequence backwards: output "
                                            "has 2·hidden features, h_n twice the rows")
        self.batch_first_check.setToolTip("Input and output laid out (batch, seq_len, …) instead "
                                          "of (seq_len, batch, …); h_n and c_n keep batch second")
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
        self.shapes_label.setWordWrap(True)
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
        # the meaning under each shape, not beside it: the panel stays narrow enough for 1280x720
        table = "".join(f"<tr><td><b>{name}</b></td><td style='font-family:monospace'>"
                        f"{tuple(self.shapes[name])}<br><span style='color:#555'>{meaning}</span>"
                        "</td></tr>" for name, meaning in rows)
        self.shapes_label.setText(
            f"<h3>Shapes torch reports</h3><table cellspacing=6>{table}</table>"
            f"<p>directions = {d}; h_n holds the last step of every layer and direction; "
            "output holds every step of the last layer only.</p>")
        all_params, total = rnn_parameters(s["cell"], s["input_size"], s["hidden_size"],
                                           s["num_layers"], s["bidirectional"])
        params = all_params[:16]
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
