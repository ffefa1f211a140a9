"""The Pooling page: max or average pooling, one window at a time (`PoolPanel`), on a sample,
a random or a typed grid, or on the Convolution page's feature map, which it reads from the
shared `AppState` (and follows as it changes) without building that page."""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout

from gui.pages.base import Page
from gui.pages.pooling.pool_panel import PoolPanel

EXPLANATION = """
<p>Pooling keeps one number per window: the largest (<b>max pooling</b>) or the mean
(<b>average pooling</b>). It has no weights to learn. It <b>downsamples</b>: a 2 × 2 window with
stride 2 keeps a quarter of the numbers, so later layers cost less and each of their cells sees
a wider part of the image. Along each direction an input of size N gives ⌊(N − K + 2P) / S⌋ + 1
outputs for a window K, padding P and stride S (PyTorch's default stride is the window size).</p>
<p>Max pooling gives some <b>translation tolerance</b>: a feature that moves a pixel but stays
inside its window gives the same maximum. "Shift by one pixel" moves the input one column right
(zeros come in on the left) and marks the outputs that changed. In PyTorch, max pooling's
padding counts as −∞ (it is never kept) and average pooling's as 0 (it counts in the mean).</p>
"""


class PoolingPage(Page):
    page_id = "pooling"
    title = "Pooling"
    explanation = EXPLANATION
    shortcuts = [("Click an output cell", "jump to the window that computed it")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.panel = PoolPanel(feature_map=lambda: self.app_state.feature_map)
        self.parts = self.panel          # the panel holds the whole state of the page
        self.panel.message.connect(self.notify)
        self.app_state.featureMapChanged.connect(self._on_feature_map)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel)

    def _on_feature_map(self, _values) -> None:
        self.panel.feature_map_changed()

    def current_output(self):
        """The pooled map (H_out, W_out) now shown."""
        return self.panel.current_output()

    def shutdown(self) -> None:
        self.panel.player.pause()
