"""`StepLab`: the frame every step-by-step panel shares (2-D, 1-D and transposed convolution,
pooling), so they look and behave alike and fit a 1280×720 projector.

    ┌ controls ┐┌ views (the panel's) ─────────────────────┐
    │ (scroll) ││                                          │
    │          │├ extra tabs: the panel's, then PyTorch code┤
    │          │├ caption: what this step computes          ┤
    │          │├ error line (when there is one)            ┤
    └──────────┘└ step player ──────────────────────────────┘

The controls column scrolls vertically (never sideways) and can be dragged shut; the caption and
the step player always stay on screen. Errors are said inline and reach the window's status bar
through `message(text, level)`; `clear_error()` takes them back once the cause is fixed.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QLabel, QSizePolicy, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from gui import style
from gui.bind import StateError
from gui.widgets.code_panel import CodePanel
from gui.widgets.controls_column import ControlsColumn
from gui.widgets.live_label import LiveLabel
from gui.widgets.step_player import StepPlayer, StepPlayerBar

ERROR_STYLE = "color: #b00020; font-weight: bold;"


def check_step(value) -> int:
    """A stored step index (a lesson's); clamped to the trace when it is shown."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError("step", f"needs a step number (0 or more), got {value!r}")
    return value


class SidePanel(ControlsColumn):
    """The step lab's column of controls (`add` them), at least ~21 body-text characters wide:
    a formula line or a preset's name fits."""

    def __init__(self, parent=None):
        self.column = QWidget()
        self.column_layout = QVBoxLayout(self.column)
        self.column_layout.setContentsMargins(4, 4, 4, 4)
        self.column_layout.addStretch(1)
        super().__init__(self.column, parent=parent)
        self.setFrameShape(QFrame.NoFrame)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)

    def add(self, widget: QWidget) -> QWidget:
        self.column_layout.insertWidget(self.column_layout.count() - 1, widget)
        return widget

    def minimumSizeHint(self) -> QSize:
        return QSize(max(self.controls_width(), self.column_width(21 * style.px("body"))), 120)

    def sizeHint(self) -> QSize:
        return QSize(self.minimumSizeHint().width(), 400)


class StepLab(QWidget):
    """Controls, views, extra tabs, caption and step player. Subclasses add their controls with
    `add_controls`, their views with `set_views`, tabs with `add_extra`."""

    message = Signal(str, str)   # (text, level) for the window's status bar; "" + "clear" takes back

    def __init__(self, step_name: str = "step", steps_per_second: float = 2.0, intro: str = "",
                 parent=None):
        super().__init__(parent)
        self.player = StepPlayer(self, steps_per_second=steps_per_second)
        self.player_bar = StepPlayerBar(self.player, step_name=step_name)
        self.side = SidePanel()
        if intro:
            text = self.side.add(QLabel(intro))
            text.setWordWrap(True)
            text.setMinimumWidth(240)
        self.views = QWidget()
        self.views_layout = QVBoxLayout(self.views)
        self.views_layout.setContentsMargins(0, 0, 0, 0)
        self.code_panel = CodePanel("PyTorch code for these settings")
        self.extras = QTabWidget()
        self.extras.setDocumentMode(True)
        self.extras.addTab(self.code_panel, "PyTorch code")
        self.caption = style.set_role(LiveLabel(lines=2), "equation")
        self.caption.setWordWrap(True)     # not selectable: it changes on every step
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()

        self.stack = QSplitter(Qt.Vertical)
        self.stack.addWidget(self.views)
        self.stack.addWidget(self.extras)
        self.stack.setStretchFactor(0, 3)
        self.stack.setStretchFactor(1, 2)
        self.stack.setCollapsible(0, False)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.stack, 1)
        column.addWidget(self.caption)
        column.addWidget(self.error_label)
        column.addWidget(self.player_bar)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

    # -- assembling -----------------------------------------------------------------------------
    def add_controls(self, *widgets: QWidget) -> None:
        for w in widgets:
            self.side.add(w)

    def set_views(self, widget: QWidget) -> None:
        self.views_layout.addWidget(widget)

    def add_extra(self, title: str, widget: QWidget, tip: str = "") -> None:
        """A tab beside the code (before it: the panel's own tabs come first)."""
        index = self.extras.insertTab(self.extras.count() - 1, widget, title)
        self.extras.setTabToolTip(index, tip)
        self.extras.setCurrentIndex(0)

    # -- telling the user -----------------------------------------------------------------------
    def report_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.message.emit(text, "error")

    def clear_error(self) -> None:
        """Take back the error line (and the status bar's) once its cause is fixed."""
        if not self.error_label.isHidden():
            self.error_label.hide()
            self.message.emit("", "clear")

    def has_error(self) -> bool:
        return not self.error_label.isHidden()
