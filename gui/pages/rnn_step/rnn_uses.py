"""`RnnUsesPanel`: the four shapes of RNN use, each with a small diagram and a real demo.

one-to-one (a feed-forward net on single samples, for contrast), one-to-many (a character model
writes text), many-to-one (sentiment of a sentence: the LSTM & GRU gates page; a digit read row
by row), many-to-many (forecasting the next sample, tagging every sample; or tagging every word of a
sentence, `WordTagPanel`, chosen with a "signal / words" toggle). The diagrams are drawn
with QPainter: inputs below (blue), cells in the middle, outputs above (orange).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup, QHBoxLayout, QLabel, QPushButton, QRadioButton, QStackedWidget, QToolButton,
    QVBoxLayout, QWidget,
)

from gui.pages.rnn_step.char_generation_panel import CharGenerationPanel
from gui.pages.rnn_step.signal_demo_panel import SignalDemoPanel
from gui.pages.rnn_step.word_tag_panel import WordTagPanel

# shape id -> (title, inputs per step, outputs per step) for the diagram: "1" in / out at a step
SHAPES = {
    "one_to_one": ("one-to-one", "1", "1"),
    "one_to_many": ("one-to-many", "1...", "1111"),
    "many_to_one": ("many-to-one", "1111", "...1"),
    "many_to_many": ("many-to-many", "1111", "1111"),
}
TIPS = {
    "one_to_one": "One input, one output, no sequence: a feed-forward net, for contrast",
    "one_to_many": "One input, a sequence out: a character model writes text",
    "many_to_one": "A sequence in, one answer at the end: a sentence's sentiment, a digit read "
                   "row by row",
    "many_to_many": "An output at every step: forecast or tag each sample, or tag each word",
}
IN_COLOR, CELL_COLOR, OUT_COLOR = QColor("#4a78c2"), QColor("#7a7a7a"), QColor("#e07b1a")


def shape_pixmap(shape: str, size: QSize = QSize(150, 96)) -> QPixmap:
    """The textbook picture: input boxes below, RNN cells in a row, output boxes above."""
    _title, ins, outs = SHAPES[shape]
    steps = len(outs) if len(outs) > 1 else 1
    pix = QPixmap(size)
    pix.fill(Qt.white)
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    w, h = size.width(), size.height()
    box = min(22.0, (w - 10) / (steps * 1.6))
    gap = box * 0.6
    x0 = (w - steps * box - (steps - 1) * gap) / 2
    y_out, y_cell, y_in = 6.0, h / 2 - box / 2, h - box - 6
    for k in range(steps):
        x = x0 + k * (box + gap)
        p.setPen(QPen(CELL_COLOR, 2))
        p.setBrush(QColor("#eeeeee"))
        p.drawRect(QRectF(x, y_cell, box, box))
        if k:
            p.drawLine(QPointF(x - gap, y_cell + box / 2), QPointF(x, y_cell + box / 2))
        if ins[k] == "1" if k < len(ins) else False:
            p.setPen(QPen(IN_COLOR, 2))
            p.setBrush(IN_COLOR.lighter(150))
            p.drawRect(QRectF(x, y_in, box, box * 0.8))
            p.drawLine(QPointF(x + box / 2, y_in), QPointF(x + box / 2, y_cell + box))
        if outs[k] == "1":
            p.setPen(QPen(OUT_COLOR, 2))
            p.setBrush(OUT_COLOR.lighter(150))
            p.drawRect(QRectF(x, y_out, box, box * 0.8))
            p.drawLine(QPointF(x + box / 2, y_out + box * 0.8), QPointF(x + box / 2, y_cell))
    p.end()
    return pix


def _wrapped(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)
    return label


class RnnUsesPanel(QWidget):
    readDigitRequested = Signal()

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(True)
        selector = QVBoxLayout()
        self._ids = list(SHAPES)
        for k, shape in enumerate(self._ids):
            b = QToolButton()
            b.setCheckable(True)
            b.setText(SHAPES[shape][0])
            b.setToolTip(TIPS[shape])
            b.setIcon(QIcon(shape_pixmap(shape)))
            b.setIconSize(QSize(150, 96))
            b.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
            b.setMinimumWidth(170)
            self.buttons.addButton(b, k)
            selector.addWidget(b)
        selector.addStretch(1)

        self.stack = QStackedWidget()
        self.one_to_one = SignalDemoPanel(page, ("one_sample",), intro=(
            "<h3>One-to-one: no sequence at all</h3>A plain feed-forward net maps one input to "
            "one output. Here it must guess the next sample of a wave from the current sample "
            "alone. On a sine the same value comes once rising and once falling, so it can only "
            "average the two: compare its curve with the RNN's under many-to-many."))
        self.one_to_many = QWidget()
        otm = QVBoxLayout(self.one_to_many)
        otm.addWidget(_wrapped("<h3>One-to-many: a character model writes text</h3>From one prompt "
                               "the model emits a character, feeds it back in, and emits the next: "
                               "one input, a whole sequence out."))
        self.char_panel = CharGenerationPanel(page)
        otm.addWidget(self.char_panel, 1)
        self.many_to_one = QWidget()
        mto = QVBoxLayout(self.many_to_one)
        mto.addWidget(_wrapped(
            "<h3>Many-to-one: read a whole sequence, answer once</h3>"
            "<p>Sentiment: an LSTM reads a sentence word by word and only its final hidden state "
            "decides positive or negative. “the food was good, not bad at all” and “the food was "
            "bad, not good at all” hold the same words: only the order tells them apart.</p>"
            "<p>A digit read row by row: 28 rows of 28 pixels in, one digit out.</p>"))
        self.gates_button = QPushButton("Open the sentiment model on the “LSTM && GRU gates” page")
        self.digit_button = QPushButton("Read a drawn digit row by row")
        self.gates_button.setToolTip("An LSTM reads a sentence word by word; its last hidden "
                                     "state decides positive or negative")
        self.digit_button.setToolTip("Open the “Read a digit row by row” tab with the digit drawn "
                                     "on the “Draw a digit” page")
        mto.addWidget(self.gates_button)
        mto.addWidget(self.digit_button)
        mto.addStretch(1)
        self.signal_panel = SignalDemoPanel(page, ("forecast", "tag"), intro=(
            "<h3>Many-to-many: an output at every step</h3>Forecasting: after each sample the RNN "
            "guesses the next one, using everything it has seen. Tagging: after each sample it "
            "says whether the wave is rising or falling, which one sample alone cannot tell."))
        self.word_panel = WordTagPanel(page, intro=(
            "<h3>Many-to-many on words: a tag for every word</h3>A tagger reads a sentence and "
            "names each word PERSON, PLACE or O (other). “paris” is a person in “paris met tom” "
            "and a place in “tom flew to paris”; “green” is a surname after a first name: only "
            "the context tells, so a lookup of each word's usual tag gets these wrong."))
        self.many_to_many = self._many_to_many_box()
        for w in (self.one_to_one, self.one_to_many, self.many_to_one, self.many_to_many):
            self.stack.addWidget(w)

        layout = QHBoxLayout(self)
        layout.addLayout(selector)
        layout.addWidget(self.stack, 1)
        self.buttons.idClicked.connect(self.select_index)
        self.gates_button.clicked.connect(self.open_gates_page)
        self.digit_button.clicked.connect(self.readDigitRequested)
        self.select("many_to_many")

    def _many_to_many_box(self) -> QWidget:
        """The signal demo and the word tagger in one place, a small toggle choosing which."""
        box = QWidget()
        self.m2m_stack = QStackedWidget()
        self.m2m_stack.addWidget(self.signal_panel)
        self.m2m_stack.addWidget(self.word_panel)
        self.signal_radio = QRadioButton("signal")
        self.signal_radio.setToolTip("Many-to-many on a signal: forecast it, or tag each sample "
                                     "rising / falling.")
        self.words_radio = QRadioButton("words")
        self.words_radio.setToolTip("Many-to-many on words: tag each word of a sentence PERSON, "
                                    "PLACE or O.")
        self.signal_radio.setChecked(True)
        self.m2m_group = QButtonGroup(box)
        self.m2m_group.addButton(self.signal_radio, 0)
        self.m2m_group.addButton(self.words_radio, 1)
        self.m2m_group.idClicked.connect(self.m2m_stack.setCurrentIndex)
        toggle = QHBoxLayout()
        toggle.addWidget(QLabel("Demo:"))
        toggle.addWidget(self.signal_radio)
        toggle.addWidget(self.words_radio)
        toggle.addStretch(1)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(toggle)
        layout.addWidget(self.m2m_stack, 1)
        return box

    def select(self, shape: str) -> None:
        self.select_index(self._ids.index(shape))

    def select_index(self, index: int) -> None:
        self.buttons.button(index).setChecked(True)
        self.stack.setCurrentIndex(index)

    def current(self) -> str:
        return self._ids[self.stack.currentIndex()]

    def open_gates_page(self) -> bool:
        window = self.window()
        if not hasattr(window, "show_page"):
            self.page.notify("The LSTM & GRU gates page is only reachable in the main window.", "warning")
            return False
        window.show_page("gates")
        return True

    def shutdown(self) -> None:
        for panel in (self.one_to_one, self.signal_panel, self.word_panel, self.char_panel):
            panel.shutdown()
