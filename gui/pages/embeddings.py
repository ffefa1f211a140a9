"""The Embeddings page: the word vectors a sentiment model learned, and a 2-D model to watch learn.

Left: the embedding table of the chosen model (nn.Embedding's weight, one row per word, words as
row labels). Middle: the nearest words to a chosen word by cosine similarity, and its vector.
Right: a SentimentRNN with embedding_dim = 2 trained in the background (`TrainRunner`); every few
steps a snapshot of its 2-D word vectors moves the labelled points, so positive and negative
words can be seen drifting apart while negation words find their own place.
"""
from __future__ import annotations

import functools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QSpinBox,
    QSplitter, QVBoxLayout, QWidget,
)

from engine.embeddings import GROUPS, TwoDEmbeddingRun, embedding_table, nearest_words, word_group
from engine.models import CheckpointError, load_pretrained
from engine.rnn_models import SENTIMENT_MODELS, model_vocab
from engine.train import TrainConfig, fit
from gui.pages.base import Page
from gui.widgets.matrix_view import MatrixView
from gui.widgets.vector_strip import VectorStrip
from gui.workers import TrainRunner

ROW_PX = 18          # height of one word's row in the embedding table
TWO_D = "two_d"      # model-combo key of the 2-D model trained on this page
GROUP_COLORS = {
    "positive": (220, 80, 40), "negative": (40, 100, 220), "negation / contrast": (150, 40, 170),
    "intensifier": (30, 150, 60), "other": (130, 130, 130),
}


class EmbeddingScatter(pg.PlotWidget):
    """2-D word vectors as coloured points with their words; items made once, then moved."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setLabel("bottom", "embedding dim 0")
        self.setLabel("left", "embedding dim 1")
        for side in ("bottom", "left"):
            self.getAxis(side).enableAutoSIPrefix(False)  # raw vector values, never "x0.001"
        self.showGrid(x=True, y=True, alpha=0.2)
        self.getViewBox().setDefaultPadding(0.1)  # room for the labels of the outermost words
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=0.5))
        self.addItem(self.points)
        legend = self.addLegend(offset=(8, 8))
        for group in GROUPS:
            legend.addItem(pg.ScatterPlotItem(brush=pg.mkBrush(GROUP_COLORS[group]), size=9), group)
        self.labels: list[pg.TextItem] = []
        self.words: list[str] = []
        self._brushes = []

    def set_words(self, words: list[str]) -> None:
        for label in self.labels:
            self.removeItem(label)
        self.words = [w for w in words]
        self.labels = []
        self._brushes = [pg.mkBrush(GROUP_COLORS[word_group(w)]) for w in words]
        for w in words:
            label = pg.TextItem(w, color=GROUP_COLORS[word_group(w)], anchor=(0, 1))
            self.addItem(label)
            self.labels.append(label)

    def set_points(self, points: np.ndarray) -> None:
        """(len(words), 2) positions; <pad> is left out (it stays at zero and means nothing)."""
        keep = [k for k, w in enumerate(self.words) if w != "<pad>"]
        self.points.setData(points[keep, 0], points[keep, 1], brush=[self._brushes[k] for k in keep])
        xs = points[keep, 0]
        # words in the right quarter are written to the left of their point, so the plot's edge
        # does not cut them off
        flip_from = xs.min() + 0.75 * (xs.max() - xs.min()) if len(keep) else 0.0
        for k, label in enumerate(self.labels):
            label.setVisible(k in keep)
            x, y = float(points[k, 0]), float(points[k, 1])
            anchor = (1, 1) if x > flip_from else (0, 1)
            if tuple(label.anchor) != anchor:
                label.setAnchor(anchor)
            label.setPos(x, y)


class EmbeddingsPage(Page):
    title = "Embeddings"
    two_d_sentences = 3000      # generated training sentences for the 2-D model

    def __init__(self, parent=None):
        super().__init__(parent)
        self.words: list[str] = []
        self.table: np.ndarray | None = None
        self.run: TwoDEmbeddingRun | None = None
        self.two_d_points: np.ndarray | None = None
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)

        # -- model choice and the table --
        self.model_combo = QComboBox()
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

        # -- nearest words --
        self.word_combo = QComboBox()
        self.word_combo.setEditable(True)
        self.word_combo.setInsertPolicy(QComboBox.NoInsert)
        self.neighbours = QListWidget()
        self.vector_strip = VectorStrip(levels=None)

        # -- the 2-D model --
        self.cell_combo = QComboBox()
        for key, label in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "RNN")):
            self.cell_combo.addItem(label, key)
        self.epochs_spin = QSpinBox(minimum=1, maximum=50, value=5)
        self.train_button = QPushButton("Train a 2-D model")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.train_status = QLabel("Press Train: every word starts at a random point.")
        self.train_status.setWordWrap(True)
        self.scatter = EmbeddingScatter()

        left = QVBoxLayout()
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Model"))
        pick.addWidget(self.model_combo, 1)
        left.addLayout(pick)
        left.addWidget(self.model_info)
        left.addWidget(self.table_title)
        left.addWidget(self.table_scroll, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)

        middle = QVBoxLayout()
        middle.addWidget(QLabel("<b>Nearest words</b> (cosine similarity of their vectors)"))
        middle.addWidget(self.word_combo)
        middle.addWidget(self.neighbours, 1)
        middle.addWidget(QLabel("<b>Its vector</b>"))
        middle.addWidget(self.vector_strip)
        middle_widget = QWidget()
        middle_widget.setLayout(middle)

        right_box = QGroupBox("Watch a 2-D embedding learn (embedding_dim = 2)")
        right = QVBoxLayout(right_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("cell"))
        row.addWidget(self.cell_combo)
        row.addWidget(QLabel("epochs"))
        row.addWidget(self.epochs_spin)
        row.addWidget(self.train_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        right.addLayout(row)
        right.addWidget(self.train_status)
        right.addWidget(self.scatter, 1)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(middle_widget)
        splitter.addWidget(right_box)
        splitter.setSizes([420, 260, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self.model_combo.currentIndexChanged.connect(self._on_model_chosen)
        self.word_combo.currentTextChanged.connect(self._on_word_chosen)
        self.table_view.cellClicked.connect(self._on_table_clicked)
        self.train_button.clicked.connect(self.train_two_d)
        self.stop_button.clicked.connect(self.runner.stop)
        self._fill_model_combo()
        self._ensure_run()  # the untrained 2-D model: every word at its random starting point

    # -- models ----------------------------------------------------------------------------------
    def _fill_model_combo(self) -> None:
        from engine.models import MODELS_DIR
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for cell, name in SENTIMENT_MODELS.items():
            if (MODELS_DIR / f"{name}.pt").is_file():
                self.model_combo.addItem(f"shipped sentiment {cell.upper()} ({name})", name)
        self.model_combo.addItem("the 2-D model trained on this page", TWO_D)
        self.model_combo.blockSignals(False)
        if self.model_combo.count() == 1:
            self.model_info.setText("No shipped sentiment model was found; train the 2-D model "
                                    "on the right to fill the table.")
        self._on_model_chosen(0)

    def _on_model_chosen(self, _index: int) -> None:
        key = self.model_combo.currentData()
        if key == TWO_D:
            self._ensure_run()
            self.show_table(self.run.words, self.two_d_points,
                            "Trained on this page" if self.two_d_points is not None else
                            "Not trained yet: the vectors are still random")
            return
        try:
            model = load_pretrained(key)
            vocab = model_vocab(model.meta)
        except (CheckpointError, ValueError) as exc:
            self.notify(f"Could not load {key}: {exc}", "error")
            return
        meta = model.meta
        acc = meta.get("test_accuracy", meta.get("accuracy"))
        self.show_table(vocab.words, embedding_table(model),
                        f"{key}: {len(vocab.words)} words × {model.embedding.embedding_dim} dims"
                        + (f"; test accuracy {acc:.1%}" if isinstance(acc, float) else ""))

    def _ensure_run(self) -> None:
        if self.run is None:
            self.run = TwoDEmbeddingRun(cell=self.cell_combo.currentData())
            self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
            self.scatter.set_words(self.run.words)
            self.scatter.set_points(self.two_d_points)

    # -- the table and the neighbours ---------------------------------------------------------
    def show_table(self, words: list[str], table: np.ndarray, info: str) -> None:
        self.words, self.table = list(words), np.asarray(table, np.float32)
        self.model_info.setText(info)
        v, e = self.table.shape
        self.table_title.setText(f"<b>Embedding table</b>: row i is the vector of word i "
                                 f"(nn.Embedding weight, {v} × {e}); click a row")
        self.table_view.setMinimumHeight(max(200, v * ROW_PX))
        self.table_view.show_numbers = e <= 4
        self.table_view.set_matrix(self.table)
        axis = self.table_view.plot.getAxis("left")
        axis.setTicks([[(i + 0.5, w) for i, w in enumerate(words)], []])
        self.table_view.plot.getAxis("bottom").setTicks(
            [[(d + 0.5, str(d)) for d in range(0, e, max(1, e // 8))], []])
        current = self.word_combo.currentText()
        self.word_combo.blockSignals(True)
        self.word_combo.clear()
        self.word_combo.addItems([w for w in words if w not in ("<pad>",)])
        self.word_combo.blockSignals(False)
        self.select_word(current if current in words else ("good" if "good" in words else words[-1]))

    def select_word(self, word: str) -> bool:
        if self.table is None or word not in self.words:
            return False
        self.word_combo.blockSignals(True)
        self.word_combo.setCurrentText(word)
        self.word_combo.blockSignals(False)
        self.neighbours.clear()
        for other, sim in nearest_words(self.table, self.words, word, k=15):
            self.neighbours.addItem(f"{sim:+.3f}   {other}")
        row = self.words.index(word)
        self.vector_strip.show_numbers = self.table.shape[1] <= 8  # wider vectors: colours only
        self.vector_strip.set_vector(self.table[row])
        self.table_view.set_highlight((row, 0, 1, self.table.shape[1]))
        return True

    def _on_word_chosen(self, word: str) -> None:
        if word in self.words:
            self.select_word(word)

    def _on_table_clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.words):
            self.select_word(self.words[row])

    # -- training the 2-D model ----------------------------------------------------------------
    def train_two_d(self) -> bool:
        if self.runner.running:
            return False
        self.run = TwoDEmbeddingRun(cell=self.cell_combo.currentData(),
                                    n_train=self.two_d_sentences)
        self.scatter.set_words(self.run.words)
        self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
        self.scatter.set_points(self.two_d_points)
        self.scatter.enableAutoRange()
        cfg = TrainConfig(lr=3e-2, batch_size=64, epochs=self.epochs_spin.value(), snapshot_every=4,
                          seed=0, device="cpu")
        train, test = self.run.datasets()
        self.runner.start(functools.partial(fit, cfg, self.run.model, train, test,
                                            snapshot_fn=TwoDEmbeddingRun.snapshot))
        return True

    def _on_progress(self, events) -> None:
        snaps = [e for e in events if e.snapshot is not None]
        if snaps:
            self.two_d_points = snaps[-1].snapshot["points"]
            self.scatter.set_points(self.two_d_points)
            if self.model_combo.currentData() == TWO_D:
                self.table_view.set_matrix(self.two_d_points)
                self.table = self.two_d_points
                self.select_word(self.word_combo.currentText())  # neighbours move too
        last = events[-1]
        epochs = [e for e in events if e.kind == "epoch"]
        text = f"step {last.step} / {last.total_steps}, loss {last.loss:.3f}"
        if epochs:
            self._last_epoch = epochs[-1]
        if getattr(self, "_last_epoch", None) is not None:
            text += (f"; after epoch {self._last_epoch.epoch + 1}: test accuracy "
                     f"{self._last_epoch.test_accuracy:.1%}")
        self.train_status.setText(text)

    def _on_finished(self, result) -> None:
        self._last_epoch = None
        if result.status in ("finished", "stopped"):
            # the trained weights, not the last snapshot (taken up to snapshot_every steps before)
            self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
            self.scatter.set_points(self.two_d_points)
            self.notify(f"2-D embedding model: {result.message}")
            self.train_status.setText(self.train_status.text() + f" — {result.status}.")
            if self.model_combo.currentData() == TWO_D:
                self._on_model_chosen(self.model_combo.currentIndex())
        else:
            self.notify(result.message, "error")

    def _on_failed(self, message: str) -> None:
        self.notify(message, "error")

    def _on_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.cell_combo.setEnabled(not running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()
