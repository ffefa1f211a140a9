"""The Draw a digit page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class DrawDigitPage(Page):
    title = "Draw a digit"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>Draw a digit</h2><p>Coming soon.</p>"))
