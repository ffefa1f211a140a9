"""The RNN step-through page: a plain RNN computed one token at a time, with its real numbers.

Tabs, each a named panel of this package: "Step through" (`StepThroughPanel`: tokens, the
unrolled network, h_t = tanh(W_x x_t + W_h h_{t-1} + b) with the numbers of a chosen unit),
"Shapes & code" (`ShapesPanel`: what torch returns for a cell, layers, directions,
batch_first), "Four ways to use an RNN" (`RnnUsesPanel`, each shape opening a small real demo),
"Read a digit row by row" (`RowReaderPanel`) and "Long memory: RNN vs LSTM"
(`MemoryRacePanel`: the adding task). The numbers come from the engine (`engine.rnn_step`,
`engine.rnn`, `engine.signals`, `engine.row_reader`, `engine.char_model`).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from gui.bind import Bindings, StateError
from gui.pages.base import Page
from gui.pages.rnn_step.memory_race_panel import MemoryRacePanel
from gui.pages.rnn_step.rnn_uses import SHAPES, RnnUsesPanel
from gui.pages.rnn_step.row_reader_panel import RowReaderPanel
from gui.pages.rnn_step.shapes_panel import ShapesPanel
from gui.pages.rnn_step.step_through import StepSettings, StepThroughPanel
from gui.widgets.state_parts import BoundPart, StateParts

__all__ = ["RnnStepPage", "ShapesPanel", "StepSettings", "StepThroughPanel"]

TABS = ("step", "shapes", "uses", "row_reader", "memory")   # a lesson slide names its tab


@dataclass
class RnnPageSettings:
    tab: str = "step"            # one of TABS
    shape: str = "many_to_one"   # the use shown on the "Four ways" tab (rnn_uses.SHAPES)


class RnnStepPage(Page):
    page_id = "rnn_step"
    title = "RNN step-through"
    explanation = (
        "<p>A recurrent network reads a sequence one token at a time and keeps a hidden state "
        "h<sub>t</sub> = tanh(W<sub>x</sub> x<sub>t</sub> + W<sub>h</sub> h<sub>t-1</sub> + b): "
        "the same weights at every step. Step through a sentence and read each unit's "
        "equation with torch's own numbers; see the shapes torch returns; try the four ways "
        "to use an RNN; and race a plain RNN against an LSTM and a GRU on a task that needs a "
        "long memory.</p>"
        "<p>The lecture notes write h<sub>t</sub> = σ(W<sub>x</sub> x<sub>t</sub> + "
        "W<sub>h</sub> h<sub>t-1</sub> + b) with σ standing for <i>any</i> activation; "
        "PyTorch's <code>nn.RNN</code> uses tanh unless it is built with "
        "<code>nonlinearity='relu'</code>, so this page writes tanh.</p>")

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.tabs = QTabWidget()
        self.step_panel = StepThroughPanel(self)
        self.shapes_panel = ShapesPanel()
        self.uses_panel = RnnUsesPanel(self)
        self.row_panel = RowReaderPanel(self)
        self.memory_panel = MemoryRacePanel(self)
        self.tabs.addTab(self.step_panel, "Step through")
        self.tabs.addTab(self.shapes_panel, "Shapes && code")
        self.tabs.addTab(self.uses_panel, "Four ways to use an RNN")
        self.tabs.addTab(self.row_panel, "Read a digit row by row")
        self.tabs.addTab(self.memory_panel, "Long memory: RNN vs LSTM")
        self.uses_panel.readDigitRequested.connect(self.show_row_reader)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed(0)
        self.settings = RnnPageSettings(shape=self.uses_panel.current())
        self.bind = Bindings(self.settings)
        self.bind.field("tab", self._check_tab, lambda key: self.tabs.setCurrentIndex(
            TABS.index(key)))
        self.bind.field("shape", self._check_shape, self.uses_panel.select)
        self.tabs.currentChanged.connect(lambda i: self.bind.set("tab", TABS[i]))
        self.parts = StateParts({"page": BoundPart(self.bind), "step": self.step_panel})

    @staticmethod
    def _check_tab(value) -> str:
        if value not in TABS:
            raise StateError("tab", f"needs one of {', '.join(TABS)}, got {value!r}")
        return value

    @staticmethod
    def _check_shape(value) -> str:
        if value not in SHAPES:
            raise StateError("shape", f"needs one of {', '.join(SHAPES)}, got {value!r}")
        return value

    def state(self) -> dict:
        self.settings.shape = self.uses_panel.current()   # the panel's own buttons choose it
        return super().state()

    def show_row_reader(self) -> None:
        self.tabs.setCurrentWidget(self.row_panel)
        self.row_panel.read_drawn_digit()

    def _on_tab_changed(self, index: int) -> None:
        # A hidden tab's player bar gets no shortcuts (its actions are invisible); stop its timer.
        if self.tabs.widget(index) is not self.step_panel:
            self.step_panel.player.pause()
        if self.tabs.widget(index) is not self.row_panel:
            self.row_panel.player.pause()

    def shutdown(self) -> None:
        self.step_panel.player.pause()
        self.row_panel.player.pause()
        self.uses_panel.shutdown()
        self.memory_panel.shutdown()
