"""`ChipStrip`: a sentence as a row of word chips, each with its own colours, drawn directly.

Used for the tokens the model reads (current one outlined, unknown ones marked) and for text
coloured by a neuron's activation. Chip positions are laid out once per sentence (wrapping to
the width); a step only changes colours and repaints this widget, far cheaper than re-laying out
rich text. Clicking a chip emits `tokenClicked(index)`; hovering shows the chip's tooltip.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

PAD_X, PAD_Y, GAP, LINE_GAP = 6, 3, 6, 6


@dataclass
class Chip:
    background: str = "#e8eef7"   # fill colour
    foreground: str = "#000000"   # text colour
    outline: str | None = None    # border colour (None: none)
    bold: bool = False
    italic: bool = False
    tooltip: str = ""


class ChipStrip(QWidget):
    tokenClicked = Signal(int)

    def __init__(self, parent=None, lines: int = 2):
        super().__init__(parent)
        self.words: list[str] = []
        self.chips: list[Chip] = []
        self._rects: list[QRectF] = []
        self._lines = lines
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)  # opaque: new chips each step do not repaint the page
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(self._line_height() * lines + LINE_GAP * (lines - 1) + 4)

    def _line_height(self) -> int:
        return QFontMetrics(self.font()).height() + 2 * PAD_Y

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def set_tokens(self, words: list[str], chips: list[Chip]) -> None:
        """New words (relayout) and/or new chip styles (repaint only)."""
        chips = list(chips)
        if list(words) != self.words or len(chips) != len(self.chips):
            self.words = list(words)
            self._layout()
            self.chips = chips
            self.update()
            return
        # A step restyles one or two chips: repaint just those.
        changed = [r for r, old, new in zip(self._rects, self.chips, chips) if old != new]
        self.chips = chips
        for rect in changed:
            self.update(rect.toAlignedRect().adjusted(-2, -2, 2, 2))

    def _layout(self) -> None:
        fm = QFontMetrics(self.font())
        bold = QFontMetrics(self._font(True, False))
        x, y, h = 2.0, 2.0, self._line_height()
        width = max(self.width(), 200) - 4
        self._rects = []
        for w in self.words:
            cw = max(fm.horizontalAdvance(w), bold.horizontalAdvance(w)) + 2 * PAD_X
            if x > 2 and x + cw > width:
                x, y = 2.0, y + h + LINE_GAP
            self._rects.append(QRectF(x, y, cw, h))
            x += cw + GAP
        needed = int(y + h + 4)
        lines_height = self._line_height() * self._lines + LINE_GAP * (self._lines - 1) + 4
        self.setFixedHeight(max(lines_height, needed))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.words:
            self._layout()

    def _font(self, bold: bool, italic: bool):
        f = self.font()
        f.setBold(bold)
        f.setItalic(italic)
        return f

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        dirty = QRectF(event.rect())
        for word, rect, chip in zip(self.words, self._rects, self.chips):
            if not rect.intersects(dirty):
                continue
            p.setPen(QPen(QColor(chip.outline), 2.5) if chip.outline else Qt.NoPen)
            p.setBrush(QColor(chip.background))
            p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 5, 5)
            p.setFont(self._font(chip.bold, chip.italic))
            p.setPen(QColor(chip.foreground))
            p.drawText(rect, Qt.AlignCenter, word)
        p.end()

    def index_at(self, pos: QPointF) -> int:
        for k, rect in enumerate(self._rects):
            if rect.contains(pos):
                return k
        return -1

    def mousePressEvent(self, event) -> None:
        k = self.index_at(event.position())
        if k >= 0:
            self.tokenClicked.emit(k)

    def mouseMoveEvent(self, event) -> None:
        k = self.index_at(event.position())
        tip = self.chips[k].tooltip if 0 <= k < len(self.chips) else ""
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()
