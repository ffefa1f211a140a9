"""The base class of every page: a title, a way to tell the user things, and a shutdown hook."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class Page(QWidget):
    """A page of the main window.

    Subclasses set `title`, build their widgets in `__init__`, and call `notify(...)` for
    anything the user should read (errors included: never raise out of a slot). The window
    calls `shutdown()` before it closes, so a page that trains stops its worker there.
    """

    title = "Page"
    # (text, level) with level "info", "warning" or "error"; the window shows it in the status bar.
    message = Signal(str, str)

    def notify(self, text: str, level: str = "info") -> None:
        self.message.emit(text, level)

    def shutdown(self) -> None:
        """Stop background work; called once when the window closes."""

    def page_opened(self) -> None:
        """Called each time the page becomes the visible one."""
