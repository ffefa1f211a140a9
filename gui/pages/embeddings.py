"""The Embeddings page (placeholder until its issue lands)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout

from gui.pages.base import Page


class EmbeddingsPage(Page):
    title = "Embeddings"

    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("<h2>Embeddings</h2><p>Coming soon.</p>"))
