"""The Convolution page: a kernel sliding over a padded input, one output cell per step.

Tabs, each a panel of this package: "2-D convolution" (`Conv2dPanel`), "1-D signal"
(`Conv1dPanel`), "Transposed" (`TransposedConvPanel`) and "Layer sizes" (`LayerCalculator`,
shapes only, any size). The page assembles them, sends the 2-D tab's feature map to the shared
`AppState` (the Pooling page pools it) and keeps the state of every tab.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from gui.bind import Bindings, StateError
from gui.pages.base import Page
from gui.pages.convolution.conv1d_panel import Conv1dPanel
from gui.pages.convolution.conv2d_panel import Conv2dPanel
from gui.pages.convolution.layer_calculator import LayerCalculator
from gui.pages.convolution.transposed_panel import TransposedConvPanel
from gui.widgets.state_parts import BoundPart, StateParts

TABS = ["2-D convolution", "1-D signal", "Transposed", "Layer sizes"]

EXPLANATION = """
<p>A convolution layer slides a small <b>kernel</b> (a K × K grid of weights) over its input.
At each position it multiplies the kernel's weights with the input values under it, adds the
products and a <b>bias</b> b: that sum is one cell of the output, the <b>feature map</b>.
Deep-learning libraries do not flip the kernel (strictly this is cross-correlation).</p>
<p><b>Padding</b> P adds zeros around the input, <b>stride</b> S is how far the kernel moves
between steps, and along each direction an input of size N gives
⌊(N − K + 2P) / S⌋ + 1 outputs. PyTorch's documentation writes the same formula as
⌊(N + 2P − D·(K − 1) − 1) / S⌋ + 1: with a <b>dilation</b> D above 1 the taps are D cells apart
and the kernel spans D·(K − 1) + 1 cells, which takes K's place.</p>
<p>A colour input has three channels; each filter then has one kernel slice per channel and
adds up all three. Several filters give several maps. PyTorch orders a tensor C × H × W
(after the batch), the lecture notes H × W × C. The 1-D tab slides a kernel along a signal,
the Transposed tab upsamples (each input cell stamps the kernel into a larger output), and
Layer sizes gives the shapes of any layer, AlexNet's included.</p>
"""


@dataclass
class ConvPageSettings:
    """Which tab is open."""
    tab: int = 0         # index into TABS


class ConvolutionPage(Page):
    page_id = "convolution"
    title = "Convolution"
    explanation = EXPLANATION
    shortcuts = [("Click an output cell", "jump to the step that computes it"),
                 ("Mouse wheel on a photo", "zoom in on the kernel's window")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.conv2d = Conv2dPanel()
        self.conv1d = Conv1dPanel()
        self.transposed = TransposedConvPanel()
        self.calculator = LayerCalculator()
        self.tabs = QTabWidget()
        for panel, name in zip((self.conv2d, self.conv1d, self.transposed, self.calculator), TABS):
            self.tabs.addTab(panel, name)
        for panel in (self.conv2d, self.conv1d, self.transposed):
            panel.message.connect(self.notify)
        self.conv2d.featureMapChanged.connect(self.app_state.set_feature_map)
        self.settings = ConvPageSettings()
        self.bind = Bindings(self.settings)
        self.bind.field("tab", self._check_tab, self.tabs.setCurrentIndex)
        self.tabs.currentChanged.connect(lambda i: self.bind.set("tab", i))
        self.parts = StateParts({"page": BoundPart(self.bind), "conv2d": self.conv2d,
                                 "conv1d": self.conv1d, "transposed": self.transposed,
                                 "calculator": self.calculator})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.app_state.set_feature_map(self.conv2d.current_feature_map())

    @staticmethod
    def _check_tab(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(TABS):
            raise StateError("tab", f"needs a tab number from 0 to {len(TABS) - 1}, got {value!r}")
        return value

    def state(self) -> dict:
        return self.parts.state()

    def apply_state(self, state: dict) -> None:
        self.parts.apply_state(state)

    def reset(self) -> None:
        self.parts.reset()

    def controls(self) -> dict:
        return self.parts.controls()

    def current_feature_map(self):
        """The 2-D tab's shown map after the activation, (H_out, W_out)."""
        return self.conv2d.current_feature_map()

    def shutdown(self) -> None:
        for panel in (self.conv2d, self.conv1d, self.transposed):
            panel.player.pause()
