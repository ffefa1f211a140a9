"""The LSTM & GRU gates page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class GatesPage(Page):
    title = "LSTM & GRU gates"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>LSTM & GRU gates</h2><p>Coming soon.</p>"))
