"""The text-classifier tab: a typed sentence through a shipped model, one box per stage.

token ids -> embedding -> (bidirectional) LSTM / GRU / RNN -> last hidden state -> fully
connected -> softmax -> P(positive), top to bottom, every arrow labelled with the shape PyTorch
produced for this sentence (`engine.text_pipeline.trace_pipeline`, forward hooks), beside the
equivalent PyTorch code (`pipeline_code`).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QSplitter, QVBoxLayout, QWidget,
)

from engine.text_pipeline import PipelineTrace
from gui import style
from gui.widgets.code_panel import CodePanel

BOX_FILL = {"token ids": "#eef2f7", "embedding": "#fdf0e2", "last hidden state": "#eef2f7",
            "fully connected": "#e9f5ec", "softmax": "#f3ecf8"}
RNN_FILL = "#e4eefb"
BOX_H, ARROW_H, MARGIN = 46, 34, 6


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


class PipelineDiagram(QWidget):
    """The stages of a PipelineTrace as boxes joined by arrows labelled with tensor shapes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.trace: PipelineTrace | None = None
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(360, self._height(6))

    @staticmethod
    def _height(stages: int) -> int:
        return 2 * MARGIN + stages * (BOX_H + ARROW_H) + 30

    def sizeHint(self) -> QSize:
        return QSize(440, self._height(6))

    def set_trace(self, trace: PipelineTrace) -> None:
        self.trace = trace
        self.update()

    def arrow_labels(self) -> list[str]:
        """What each arrow says, top to bottom (the last one leads to P(positive))."""
        t = self.trace
        if t is None:
            return []
        labels = [shape_text(s.shape) for s in t.stages]
        labels[2] += f"   (h_n {shape_text(t.h_n_shape)})"
        return labels

    def box_texts(self) -> list[tuple[str, str]]:
        """(name, detail) of each box, top to bottom."""
        t = self.trace
        if t is None:
            return []
        out = []
        for s in t.stages:
            detail = s.detail
            if s.name == "token ids":
                shown = ", ".join(map(str, t.ids[:8])) + (", …" if len(t.ids) > 8 else "")
                detail = f"[[{shown}]]"
            out.append((s.name, detail))
        return out

    def result_text(self) -> str:
        return "" if self.trace is None else f"P(positive) = {self.trace.p_positive:.3f}"

    def paintEvent(self, _event) -> None:
        if self.trace is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        body, bold = style.font("body"), style.font("body", bold=True)
        big = style.font("big", bold=True)
        step = max(BOX_H + ARROW_H, (self.height() - 2 * MARGIN - 30) // len(self.trace.stages))
        arrow_h = step - BOX_H
        box_w = min(self.width() - 2 * MARGIN, 470)
        x0 = MARGIN
        y = MARGIN
        labels = self.arrow_labels()
        for k, (name, detail) in enumerate(self.box_texts()):
            rect = QRectF(x0, y, box_w, BOX_H)
            painter.setPen(QPen(QColor("#555"), 1.2))
            painter.setBrush(QColor(BOX_FILL.get(name, RNN_FILL)))
            painter.drawRoundedRect(rect, 6, 6)
            painter.setPen(QColor("#000"))
            painter.setFont(bold)
            line = QFontMetrics(bold).height()
            painter.drawText(rect.adjusted(8, 3, -8, -BOX_H + 3 + line), Qt.AlignLeft, name)
            painter.setFont(body)
            metrics = QFontMetrics(body)
            painter.drawText(rect.adjusted(8, 4 + line, -8, -2), Qt.AlignLeft,
                             metrics.elidedText(detail, Qt.ElideRight, int(box_w - 16)))
            # the arrow down to the next box, labelled with the shape it carries
            ax, top, bottom = x0 + 40, y + BOX_H, y + BOX_H + arrow_h
            painter.setPen(QPen(QColor("#333"), 2))
            painter.drawLine(QPointF(ax, top + 2), QPointF(ax, bottom - 3))
            head = QPainterPath(QPointF(ax, bottom - 1))
            head.lineTo(ax - 5, bottom - 9)
            head.lineTo(ax + 5, bottom - 9)
            head.closeSubpath()
            painter.fillPath(head, QColor("#333"))
            painter.setFont(style.font("code", bold=True))
            painter.setPen(QColor("#b04000"))
            painter.drawText(QRectF(ax + 12, top, box_w - 52, arrow_h), Qt.AlignVCenter,
                             labels[k])
            y += step
        painter.setFont(big)
        painter.setPen(QColor("#000"))
        painter.drawText(QRectF(x0, y, box_w, 34), Qt.AlignLeft | Qt.AlignVCenter,
                         self.result_text())
        painter.end()


class PipelineTab(QWidget):
    """Sentence and model on top; the diagram and the code side by side below."""

    def __init__(self, models: dict[str, str], parent=None):
        super().__init__(parent)
        self.sentence_edit = QLineEdit()
        self.sentence_edit.setPlaceholderText("Type a sentence and press Return")
        self.sentence_edit.setToolTip("Press Return to run it through the model")
        self.model_combo = QComboBox()
        for name, label in models.items():
            self.model_combo.addItem(f"{label} ({name})", name)
        self.model_combo.setToolTip("Which shipped sentiment model reads the sentence")
        self.tokens_label = QLabel()
        self.tokens_label.setWordWrap(True)
        self.notice_label = style.set_role(QLabel(), "small")
        self.notice_label.setStyleSheet("color: #b35900;")
        self.notice_label.setWordWrap(True)
        self.diagram = PipelineDiagram()
        self.code_panel = CodePanel("The same in PyTorch (fresh weights, the same shapes)")

        top = QHBoxLayout()
        top.addWidget(QLabel("Sentence"))
        top.addWidget(self.sentence_edit, 1)
        top.addWidget(QLabel("model"))
        top.addWidget(self.model_combo)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.diagram)
        splitter.addWidget(self.code_panel)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.tokens_label)
        layout.addWidget(self.notice_label)
        layout.addWidget(splitter, 1)

    def show_notice(self, text: str) -> None:
        """A line above the picture (unknown words, a cut text, no words), hidden when empty."""
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def show_trace(self, trace: PipelineTrace, code: str, notices: list[str]) -> None:
        pairs = "  ".join(f"{w}→{i}" for w, i in zip(trace.tokens, trace.ids))
        self.tokens_label.setText(f"<b>tokens → ids</b>: {pairs}")
        self.show_notice("  ".join(notices))
        self.diagram.set_trace(trace)
        self.code_panel.set_code(code)
