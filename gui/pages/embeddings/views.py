"""The word-vectors tab (a model's table and a word's nearest neighbours) and the 2-D tab.

Widgets only; the page (`__init__.py`) fills them from engine.embeddings.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QSpinBox,
    QSplitter, QVBoxLayout, QWidget,
)
from PySide6.QtCore import Qt

from gui import style
from gui.pages.embeddings.scatter import EmbeddingScatter
from gui.widgets.matrix_view import MatrixView
from gui.widgets.vector_strip import VectorStrip


class TableTab(QWidget):
    """Left: the model choice and its embedding table (a row per word); right: nearest words."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("Whose embedding table to show")
        self.model_info = QLabel()
        self.model_info.setWordWrap(True)
        self.model_info.setStyleSheet("color:#555")
        self.table_view = MatrixView(colormap="diverging", show_numbers=False, axes=True)
        self.table_view.plot.setAspectLocked(False)
        self.table_view.setMinimumSize(200, 200)
        self.table_scroll = QScrollArea()
        self.table_scroll.setWidget(self.table_view)
        self.table_scroll.setWidgetResizable(True)
        self.table_title = QLabel()
        self.table_title.setWordWrap(True)

        self.word_combo = QComboBox()
        self.word_combo.setEditable(True)
        self.word_combo.setInsertPolicy(QComboBox.NoInsert)
        self.word_combo.setToolTip("A word of the vocabulary (or click its row in the table)")
        self.neighbours = QListWidget()
        self.vector_strip = VectorStrip(levels=None)

        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Model"))
        pick.addWidget(self.model_combo, 1)
        left.addLayout(pick)
        left.addWidget(self.model_info)
        left.addWidget(self.table_title)
        left.addWidget(self.table_scroll, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(QLabel("<b>Nearest words</b> (cosine similarity of their vectors)"))
        right.addWidget(self.word_combo)
        right.addWidget(self.neighbours, 1)
        meaning = QLabel("These vectors were learned only to tell positive from negative: words "
                         "that push the verdict the same way end up close; words the verdict "
                         "does not hang on (film, the, .) barely left their random start, so "
                         "their neighbours mean little.")
        meaning.setWordWrap(True)
        style.set_role(meaning, "small")
        right.addWidget(meaning)
        right.addWidget(QLabel("<b>Its vector</b>"))
        right.addWidget(self.vector_strip)
        right_widget = QWidget()
        right_widget.setLayout(right)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(right_widget)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)


class TwoDTab(QGroupBox):
    """A SentimentRNN with embedding_dim = 2, trained here; its word vectors as moving points."""

    def __init__(self, parent=None):
        super().__init__("Watch a 2-D embedding learn (embedding_dim = 2)", parent)
        self.cell_combo = QComboBox()
        self.cell_combo.setToolTip("The recurrent layer between the embedding and the output")
        self.epochs_spin = QSpinBox(minimum=1, maximum=50, value=5)
        self.epochs_spin.setToolTip("Passes over the generated training sentences")
        self.train_button = QPushButton("Train a 2-D model")
        self.train_button.setToolTip("Start from random 2-D vectors and train in the background")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop training; the points stay where the training left them")
        self.stop_button.setEnabled(False)
        self.train_status = QLabel("Press Train: every word starts at a random point.")
        self.train_status.setWordWrap(True)
        self.scatter = EmbeddingScatter()
        row = QHBoxLayout()
        row.addWidget(QLabel("cell"))
        row.addWidget(self.cell_combo)
        row.addWidget(QLabel("epochs"))
        row.addWidget(self.epochs_spin)
        row.addWidget(self.train_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.train_status)
        layout.addWidget(self.scatter, 1)
