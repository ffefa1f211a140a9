"""`UnitEquations` panel: the selected unit's gate equations at the current token, with numbers.

Written as in the lecture notes (σ on f, i, o; tanh on g; c = f⊙c₋₁ + i⊙g; h = o⊙tanh(c); GRU's
r, z, n and h = (1−z)⊙n + z⊙h₋₁), each pre-activation split into its input part (W x + b) and
its state part (W h₋₁ + b). The numbers come from `engine.gate_equations`; this only writes them.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QVBoxLayout

from engine.gate_equations import UnitEquations
from gui import style
from gui.widgets.live_label import LiveLabel

NAMES = {"f": "forget", "i": "input", "g": "candidate", "o": "output", "r": "reset",
         "z": "update", "n": "candidate", "h": "hidden"}


def equation_lines(eq: UnitEquations) -> list[str]:
    """The equations as lines of text (what the panel shows), at most ~34 characters wide."""
    lines = ["gate = act(W·x + b + W·h₋₁ + b)"]
    for g in eq.gates:
        if g.clamped:
            lines.append(f"{g.name} = {g.value:.3f}   (clamped)")
        else:
            lines.append(f"{g.name} = {g.activation}({g.from_input:+.2f} {g.from_state:+.2f}) "
                         f"= {g.value:+.3f}")
    v = {g.name: g.value for g in eq.gates}
    if eq.kind == "lstm":
        lines += ["c = f·c₋₁ + i·g",
                  f"  = {v['f']:.2f}·({eq.c_prev:+.2f}) + {v['i']:.2f}·({v['g']:+.2f})",
                  f"  = {eq.c:+.3f}",
                  f"h = o·tanh(c) = {v['o']:.2f}·tanh({eq.c:+.2f})",
                  f"  = {eq.h:+.3f}"]
    elif eq.kind == "gru":
        lines += ["h = (1−z)·n + z·h₋₁",
                  f"  = {1 - v['z']:.2f}·({v['n']:+.2f}) + {v['z']:.2f}·({eq.h_prev:+.2f})",
                  f"  = {eq.h:+.3f}"]
    return lines


class UnitEquationsBox(QGroupBox):
    """The equations of the selected unit at the current token (made once; a step sets text)."""

    LINES = 10

    def __init__(self, parent=None):
        super().__init__("The selected unit at this token", parent)
        self.header = style.set_role(LiveLabel(), "body", bold=True)
        self.text = style.set_role(LiveLabel(lines=self.LINES), "code")
        self.text.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.text.setToolTip("Each gate is an activation of (its input part W·x + b) plus (its "
                             "state part W·h₋₁ + b), computed from the model's own weights")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.text)

    def show_equations(self, eq: UnitEquations, word: str) -> None:
        self.header.setText(f"token {eq.token + 1} '{word}', unit {eq.unit}")
        self.text.setText("\n".join(equation_lines(eq)))

    def clear(self) -> None:
        self.header.setText("")
        self.text.setText("")

    def shown_text(self) -> str:
        return self.text.text()
