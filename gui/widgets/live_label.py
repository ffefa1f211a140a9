"""`LiveLabel`: a label for text that changes on every animation step.

`QLabel.setText` calls `updateGeometry()`, which invalidates the parent layout unless the label
has a fixed size; the layout then re-runs up to the window and, when a hint changed, the whole
page repaints, every step. A LiveLabel holds its QLabel as a child of a widget WITHOUT a layout,
so a text change stops there; and the label is opaque, so only the label repaints, not its
ancestors behind it. Its own height is fixed by `lines`.
"""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class LiveLabel(QWidget):
    def __init__(self, text: str = "", lines: int = 1, parent=None, min_width: int = 60):
        super().__init__(parent)
        self.label = QLabel(text, self)
        # Opaque, so a repaint of the text does not repaint every ancestor behind it.
        self.label.setAutoFillBackground(True)
        self._lines = lines
        self._min_width = min_width
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(self.sizeHint().height())

    def sizeHint(self) -> QSize:
        fm = self.label.fontMetrics()
        return QSize(max(self._min_width, self.minimumWidth(),
                         fm.horizontalAdvance(self.label.text()[:60])),
                     fm.lineSpacing() * self._lines + 6)

    def minimumSizeHint(self) -> QSize:
        return QSize(max(self._min_width, self.minimumWidth()), self.sizeHint().height())

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:  # a larger app font: grow with it
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.setFixedHeight(self.sizeHint().height())

    # the QLabel methods pages use
    def setText(self, text: str) -> None:
        if text != self.label.text():
            self.label.setText(text)

    def text(self) -> str:
        return self.label.text()

    def setAlignment(self, alignment) -> None:
        self.label.setAlignment(alignment)

    def setWordWrap(self, on: bool) -> None:
        self.label.setWordWrap(on)

    def setTextFormat(self, fmt) -> None:
        self.label.setTextFormat(fmt)
