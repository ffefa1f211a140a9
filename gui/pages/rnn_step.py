"""The RNN step-through page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class RnnStepPage(Page):
    title = "RNN step-through"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>RNN step-through</h2><p>Coming soon.</p>"))
