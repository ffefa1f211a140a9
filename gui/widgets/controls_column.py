"""`ControlsColumn`: a page's column of controls, scrolling vertically, never sideways.

It is never narrower than its widest control: a column that does not scroll sideways would cut
such a control at its right edge with no way to reach it. When a control grows (a larger
presenter scale, a longer text) the column grows with it, and where the window is then too
narrow the page scrolls sideways instead. Where the page has room the column is `max_width`
wide (or as wide as the layout gives it when there is no `max_width`), never narrower than
`min_width`.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget


class ControlsColumn(QScrollArea):
    def __init__(self, panel: QWidget, max_width: int | None = None,
                 min_width: int | None = None, parent=None):
        super().__init__(parent)
        self.max_width, self.min_width = max_width, min_width
        self.setWidget(panel)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        if max_width is not None:
            self.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Preferred)
        panel.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.widget() and event.type() == QEvent.LayoutRequest:
            self.updateGeometry()            # a control grew (a larger font): so does the column
        return super().eventFilter(watched, event)

    def column_width(self, inner: int) -> int:
        """The column's width for `inner` pixels of controls: with the scroll bar and frame."""
        return inner + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def controls_width(self) -> int:
        """The width its widest control needs."""
        return self.column_width(self.widget().minimumSizeHint().width())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(self.controls_width(), self.min_width or 0), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(self.controls_width(), self.max_width or 0), hint.height())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.updateGeometry()                # the font may have changed while it was hidden
