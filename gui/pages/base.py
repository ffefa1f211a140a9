"""The base class of every page: what the window, the settings and lessons need from a page.

A page assembles named widgets. Its settings live in a dataclass bound to its controls
(`gui.bind.Bindings`); `state()` is that dataclass as a dict (plus whatever else the page
shows: a typed grid, a sentence), and `apply_state()` puts one back. A page made of panels
sets `self.parts` instead (a `gui.widgets.state_parts.StateParts`, or the one panel that holds
its state): the four state methods then go to it. The same dict is what the
window stores when it closes and what a lesson slide holds, so a saved slide reopens exactly.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from gui.bind import Bindings, StateError
from gui.state import AppState


class Page(QWidget):
    """A page of the main window.

    Subclasses set `page_id`, `title` and `explanation`, build their widgets in `__init__`,
    and set `self.bind` to the Bindings of their settings. `notify(...)` tells the user
    something (errors included: never raise out of a slot); `clear_notice()` takes back what
    the page said once its cause is fixed. The window calls `shutdown()` before it closes.
    """

    # what this page told the user (text, level); the same goes to the window through AppState
    message = Signal(str, str)

    page_id = "page"
    title = "Page"
    # a few sentences for students on what the page shows (HTML; the notes' notation)
    explanation = ""
    # (keys, what they do) for the keyboard sheet, besides the window's and the step player's
    shortcuts: list[tuple[str, str]] = []

    def __init__(self, app_state: AppState | None = None, parent: QWidget | None = None):
        if isinstance(app_state, QWidget):   # pages not yet moved pass their parent first
            app_state, parent = None, app_state
        super().__init__(parent)
        self.app_state = app_state if app_state is not None else AppState(self)
        self.bind: Bindings | None = None
        self.parts = None   # StateParts (or a panel): state / apply_state / reset / controls

    # -- telling the user -----------------------------------------------------------------------
    def notify(self, text: str, level: str = "info") -> None:
        self.message.emit(text, level)
        self.app_state.notify(text, level, self.page_id)

    def clear_notice(self) -> None:
        self.message.emit("", "clear")
        self.app_state.notify("", "clear", self.page_id)

    # -- state (stored settings, lesson slides) -------------------------------------------------
    def state(self) -> dict:
        """Everything needed to show this page again as it is now (JSON-able)."""
        if self.parts is not None:
            return self.parts.state()
        return self.bind.to_dict() if self.bind is not None else {}

    def apply_state(self, state: dict) -> None:
        """Show `state` (from `state()`, maybe of an older or newer version). Raises
        StateError naming the field when a value cannot be used; nothing changes then."""
        if not isinstance(state, dict):
            raise StateError("state", "needs a table of settings")
        if self.parts is not None:
            self.parts.apply_state(state)
        elif self.bind is not None:
            self.bind.apply(state, partial=True)
        elif state:
            raise StateError(next(iter(state)), "is not a setting of this page")

    def reset(self) -> None:
        """Back to the page's defaults."""
        if self.parts is not None:
            self.parts.reset()
        elif self.bind is not None:
            self.bind.reset()

    def controls(self) -> dict[str, QWidget]:
        """Named controls a lesson slide may hide."""
        if self.parts is not None:
            return self.parts.controls()
        return self.bind.widgets() if self.bind is not None else {}

    # -- life cycle -------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop background work; called once when the window closes."""

    def page_opened(self) -> None:
        """Called each time the page becomes the visible one."""
