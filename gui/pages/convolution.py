"""The Convolution page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class ConvolutionPage(Page):
    title = "Convolution"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>Convolution</h2><p>Coming soon.</p>"))
