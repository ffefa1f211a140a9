"""`EquationView`: h_t[j] = tanh(W_x x_t + W_h h_{t-1} + b)[j] written out with the numbers of
one step (terms from `engine.rnn_step.equation_terms`), and under it each matrix-vector product
spelled out while the vectors are short enough to read. Sizes follow the presenter scale.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.rnn_step import EquationTerms
from gui import style

MAX_SPELLED_TERMS = 6   # longer products are given as their sum only


def _num(v: float) -> str:
    return f"({v:.2f})" if v < 0 else f"{v:.2f}"


def _sub(n) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def equation_html(p: EquationTerms, t: int, j: int) -> str:
    """The equation for unit j at step t (1-based in the text, as on a slide)."""
    n, prev = _sub(t + 1), _sub(t)
    lines = [
        f"h{n}[{j}] = tanh( W_x x{n} + W_h h{prev} + b )[{j}]",
        f"      = tanh( {_num(p.wx)} + {_num(p.wh)} + {_num(p.b)} )",
        f"      = tanh( {_num(p.z)} ) = <b>{p.h:.2f}</b>",
    ]
    detail = []
    if len(p.x) <= MAX_SPELLED_TERMS:
        terms = " + ".join(f"{_num(w)}·{_num(x)}" for w, x in zip(p.w_x_row, p.x))
        detail.append(f"W_x x{n}[{j}] = {terms} = {_num(p.wx)}")
    if len(p.h_prev) <= MAX_SPELLED_TERMS:
        terms = " + ".join(f"{_num(w)}·{_num(h)}" for w, h in zip(p.w_h_row, p.h_prev))
        detail.append(f"W_h h{prev}[{j}] = {terms} = {_num(p.wh)}")
    body = "<br>".join(line.replace(" ", "&nbsp;") for line in lines)
    small = "<br>".join(detail)
    return (f'<div style="font-family:monospace; font-size:{style.px("equation")}px">{body}</div>'
            f'<div style="font-family:monospace; font-size:{style.px("small")}px; color:#444; '
            f'margin-top:6px">{small}</div>')


class EquationView(QLabel):
    """The written-out step; `show_terms(terms, t, j)` replaces it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextFormat(Qt.RichText)
        self.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setToolTip("The notes write σ(…) for any activation; torch's nn.RNN uses tanh "
                        "(nonlinearity='relu' is its other choice)")
        self._shown: tuple[EquationTerms, int, int] | None = None
        style.presenter().scaleChanged.connect(self._on_scale_changed)

    def show_terms(self, terms: EquationTerms, t: int, j: int) -> None:
        self._shown = (terms, t, j)
        self.setText(equation_html(terms, t, j))

    def _on_scale_changed(self, _factor: float) -> None:
        if self._shown is not None:
            self.setText(equation_html(*self._shown))
