"""The Train a CNN page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class TrainCnnPage(Page):
    title = "Train a CNN"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>Train a CNN</h2><p>Coming soon.</p>"))
