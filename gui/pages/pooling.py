"""The Pooling page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class PoolingPage(Page):
    title = "Pooling"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>Pooling</h2><p>Coming soon.</p>"))
