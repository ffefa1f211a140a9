"""The window's page holders: the Loading placeholder painted before the first page is built,
the scroll area each page sits in (scrolling only below the page's minimum size), and a saved
geometry moved inside the screen."""
from __future__ import annotations

import time

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QWidget

from gui import style


class LoadingLabel(QLabel):
    """Shown while a page is imported. The first page is built only after this label has been
    painted, so the window is on screen before torch loads."""

    def __init__(self, then):
        super().__init__("Loading…")
        self.setAlignment(Qt.AlignCenter)
        style.set_role(self, "huge")
        self.setStyleSheet("color: #777;")
        self._then = then
        self.first_painted_at: float | None = None  # time.perf_counter() of the first paint

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.first_painted_at is None:
            self.first_painted_at = time.perf_counter()
        if self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)


class PageFrame(QWidget):
    """Holds a page at the scroll area's size, never shorter than the page's minimum size.

    A scroll area sizes a widget whose layout has a height-for-width (any word-wrapped label)
    at that layout's *preferred* height for the width, which scrolls a page that would fit;
    this frame has no layout, so the page scrolls only below its minimum size."""

    def __init__(self, page: QWidget):
        super().__init__()
        self.page = page
        page.setParent(self)

    def minimumSizeHint(self) -> QSize:
        return self.page.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self.page.minimumSizeHint()

    def resizeEvent(self, event) -> None:
        self.page.setGeometry(self.rect())
        super().resizeEvent(event)


def page_scroller(page: QWidget) -> QScrollArea:
    """A page in a frameless scroll area: below the page's minimum size it scrolls instead of
    forcing the window to grow past the screen."""
    area = QScrollArea()
    area.setObjectName(f"scroll_{getattr(page, 'page_id', 'page')}")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    area.setWidget(PageFrame(page))
    return area


def clamp_to_screen(rect: QRect, available: QRect) -> QRect:
    """`rect` moved and shrunk to lie inside `available` (a saved geometry on a smaller screen)."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    left = min(max(rect.left(), available.left()), available.right() - width + 1)
    top = min(max(rect.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)
