"""The Embeddings page: nn.Embedding as a lookup, learned word vectors, and a text classifier.

Four tabs. "nn.Embedding" (`lookup.py`): the notes' nn.Embedding(6, 2) on [[0, 1, 2], [3, 4, 5]]
with its numbers, the one-hot product that gives the same row, and one-hot against dense for
the app's vocabulary. "Word vectors" (`views.py`): a model's embedding table (one row per word)
and the nearest words to a chosen word by cosine similarity. "Learn in 2-D": a SentimentRNN with
embedding_dim = 2 trained in the background (`TrainRunner`), its word vectors moving as labelled
points (`scatter.py`). "Text classifier" (`pipeline.py`): a typed sentence through a shipped
model, each stage with the shape PyTorch produced, beside the equivalent code.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidgetItem, QTabWidget, QVBoxLayout

from engine.embeddings import TwoDEmbeddingRun, embedding_table, nearest_words, word_group
from engine.models import MODELS_DIR, CheckpointError
from engine.rnn_models import CELL_LABELS, SENTIMENT_MODEL_LABELS, load_sentiment_model
from engine.text import sentiment_vocab
from engine.text_pipeline import NoWords, pipeline_code, trace_pipeline
from engine.train import TrainConfig, fit
from gui.bind import Bindings, StateError
from gui.pages.base import Page
from gui.pages.embeddings.lookup import LookupTab
from gui.pages.embeddings.pipeline import PipelineTab
from gui.pages.embeddings.scatter import GROUP_COLORS, EmbeddingScatter
from gui.pages.embeddings.views import TableTab, TwoDTab
from gui.workers import TrainRunner

__all__ = ["EmbeddingsPage", "EmbeddingScatter", "GROUP_COLORS", "TWO_D", "TABS"]

ROW_PX = 18          # height of one word's row in the embedding table
TWO_D = "two_d"      # model-combo key of the 2-D model trained on this page
TABS = {"lookup": "nn.Embedding", "table": "Word vectors", "two_d": "Learn in 2-D",
        "pipeline": "Text classifier"}

EXPLANATION = """
<p><b>nn.Embedding(V, E)</b> is a table of V rows, one learned vector of E numbers per word.
Token ids index it: ids of shape (B, T) give an output (B, T, E), row ids[b, t] at (b, t).
This is what a one-hot vector (V long, all 0 but one 1) times the table would give, without
the V multiplications: a word costs E numbers instead of V.</p>
<p>Training moves the rows: words used alike end up with similar vectors (nearest words by
cosine similarity). A text classifier reads the vectors with an LSTM or GRU (bidirectional:
one reading left to right, one right to left), classifies the last hidden state with a fully
connected layer, and a softmax gives P(positive).</p>
"""


@dataclass
class EmbeddingsSettings:
    tab: str = "lookup"                         # one of TABS
    lookup_cell: int = 4                        # position in the notes' ids (row-major) followed
    model: str = "sentiment_lstm"               # whose table the word-vectors tab shows
    word: str = "good"                          # the word whose neighbours are listed
    cell: str = "lstm"                          # the 2-D model's recurrent layer
    epochs: int = 5                             # the 2-D model's training passes
    pipeline_model: str = "sentiment_bilstm"    # the model reading the typed sentence
    sentence: str = "The food was good, not bad at all!"


def shipped_models() -> dict[str, str]:
    """The shipped sentiment models present on disk: name -> label."""
    return {n: label for n, label in SENTIMENT_MODEL_LABELS.items()
            if (MODELS_DIR / f"{n}.pt").is_file()}


class EmbeddingsPage(Page):
    page_id = "embeddings"
    title = "Embeddings"
    explanation = EXPLANATION
    shortcuts = [("Return in the sentence", "run it through the model"),
                 ("Click an id or a table row", "follow that lookup")]
    two_d_sentences = 3000      # generated training sentences for the 2-D model

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.vocab_words = list(sentiment_vocab().words)
        self.words: list[str] = []
        self.table: np.ndarray | None = None
        self.models: dict[str, tuple] = {}
        self.trace = None
        self._read_text: str | None = None
        self.run: TwoDEmbeddingRun | None = None
        self.two_d_points: np.ndarray | None = None
        self.two_d_trained = False
        self._last_epoch = None
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)
        self.shipped = shipped_models()
        self.settings = EmbeddingsSettings()
        if self.settings.model not in self.shipped:
            self.settings.model = next(iter(self.shipped), TWO_D)
        if self.settings.pipeline_model not in self.shipped and self.shipped:
            self.settings.pipeline_model = next(iter(self.shipped))
        self._build()
        self._bind()
        self._ensure_run()  # the untrained 2-D model: every word at its random starting point
        self._on_model_chosen()
        self.lookup_tab.show_cell(self.settings.lookup_cell)
        self._read(self.settings.sentence)

    # -- widgets --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.lookup_tab = LookupTab()
        self.table_tab = TableTab()
        self.two_d_tab = TwoDTab()
        self.pipeline_tab = PipelineTab(self.shipped)
        self.tabs = QTabWidget()
        for key, widget in zip(TABS, (self.lookup_tab, self.table_tab, self.two_d_tab,
                                      self.pipeline_tab)):
            self.tabs.addTab(widget, TABS[key])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        # the names the tests and the window know
        t, d, p = self.table_tab, self.two_d_tab, self.pipeline_tab
        self.model_combo, self.model_info, self.table_view = t.model_combo, t.model_info, t.table_view
        self.table_title, self.word_combo, self.neighbours = t.table_title, t.word_combo, t.neighbours
        self.vector_strip = t.vector_strip
        self.cell_combo, self.epochs_spin, self.scatter = d.cell_combo, d.epochs_spin, d.scatter
        self.train_button, self.stop_button, self.train_status = (
            d.train_button, d.stop_button, d.train_status)
        self.sentence_edit, self.pipeline_combo, self.diagram = (
            p.sentence_edit, p.model_combo, p.diagram)
        for name, label in self.shipped.items():
            self.model_combo.addItem(f"shipped sentiment {label} ({name})", name)
        self.model_combo.addItem("the 2-D model trained on this page", TWO_D)
        for key in ("lstm", "gru", "rnn"):
            self.cell_combo.addItem(CELL_LABELS[key], key)
        if not self.shipped:
            self.model_info.setText("No shipped sentiment model was found; train the 2-D model "
                                    "to fill the table.")
        self.word_combo.currentTextChanged.connect(self._on_word_chosen)
        self.table_view.cellClicked.connect(self._on_table_clicked)
        self.train_button.clicked.connect(self.train_two_d)
        self.stop_button.clicked.connect(self.runner.stop)
        self.lookup_tab.cellChosen.connect(lambda cell: self.bind.set("lookup_cell", cell))
        self.tabs.currentChanged.connect(self._on_tab)

    def _bind(self) -> None:
        self.bind = b = Bindings(self.settings, self._on_changed)
        b.field("tab", self._check_tab, lambda key: self.tabs.setCurrentIndex(list(TABS).index(key)))
        b.field("lookup_cell", self._check_cell, lambda _cell: None)
        b.combo("model", self.model_combo, {n: l for n, l in (*self.shipped.items(),
                                                               (TWO_D, "2-D"))})
        b.field("word", self._check_word, lambda _word: None)
        b.combo("cell", self.cell_combo, {k: CELL_LABELS[k] for k in ("lstm", "gru", "rnn")})
        b.spin("epochs", self.epochs_spin)
        if self.shipped:
            b.combo("pipeline_model", self.pipeline_combo, dict(self.shipped))
        b.text("sentence", self.sentence_edit)
        self.tabs.setCurrentIndex(list(TABS).index(self.settings.tab))

    @staticmethod
    def _check_tab(value) -> str:
        if value not in TABS:
            raise StateError("tab", f"{value!r} is not one of {', '.join(map(repr, TABS))}")
        return value

    def _check_cell(self, value) -> int:
        size = self.lookup_tab.example.ids.size
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise StateError("lookup_cell", f"needs a position 0…{size - 1}, got {value!r}")
        return value

    def _check_word(self, value) -> str:
        if not isinstance(value, str) or value not in self.vocab_words or value == "<pad>":
            raise StateError("word", f"{value!r} is not a word of the vocabulary")
        return value

    def _on_tab(self, index: int) -> None:
        key = list(TABS)[index]
        if key != self.settings.tab:
            self.bind.set("tab", key)

    def _on_changed(self, name: str) -> None:
        everything = name == "*"
        if everything or name == "tab":
            self.tabs.setCurrentIndex(list(TABS).index(self.settings.tab))
        if everything or name == "lookup_cell":
            self.lookup_tab.show_cell(self.settings.lookup_cell)
        if everything or name == "model":
            self._on_model_chosen()
        elif name == "word":
            self.select_word(self.settings.word)
        if everything or name in ("sentence", "pipeline_model"):
            self._read(self.settings.sentence)

    # -- models ---------------------------------------------------------------------------------
    def sentiment_model(self, name: str):
        """(model, vocab, meta) of a shipped model, loaded once; CheckpointError if unusable."""
        if name not in self.models:
            self.models[name] = load_sentiment_model(name)
        return self.models[name]

    def _on_model_chosen(self) -> None:
        key = self.settings.model
        if key == TWO_D:
            self._ensure_run()
            self.show_table(self.run.words, self.two_d_points,
                            "Trained on this page" if self.two_d_trained else
                            "Not trained yet: the vectors are still random")
            return
        try:
            model, vocab, meta = self.sentiment_model(key)
        except CheckpointError as exc:
            self.notify(f"Could not load {key}: {exc}", "error")
            return
        acc = meta.get("test_accuracy", meta.get("accuracy"))
        self.show_table(vocab.words, embedding_table(model),
                        f"{key}: {len(vocab.words)} words × {model.embedding.embedding_dim} dims"
                        + (f"; test accuracy {acc:.1%}" if isinstance(acc, float) else ""))

    def _ensure_run(self) -> None:
        if self.run is None:
            # the untrained start only: train_two_d makes the run it trains, with its data
            self.run = TwoDEmbeddingRun(cell=self.settings.cell, n_train=64, n_test=16)
            self.two_d_trained = False
            self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
            self.scatter.set_words(self.run.words)
            self.scatter.set_points(self.two_d_points)

    # -- the table and the neighbours -----------------------------------------------------------
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
        self.word_combo.blockSignals(True)
        self.word_combo.clear()
        self.word_combo.addItems([w for w in words if w != "<pad>"])
        self.word_combo.blockSignals(False)
        word = self.settings.word
        self.select_word(word if word in words else ("good" if "good" in words else words[-1]))

    def select_word(self, word: str) -> bool:
        """Show `word`'s neighbours and vector (and set it as the page's word)."""
        if self.table is None or word not in self.words or word == "<pad>":
            return False
        self.settings.word = word
        with QSignalBlocker(self.word_combo):
            self.word_combo.setCurrentText(word)
        self.neighbours.clear()
        for other, sim in nearest_words(self.table, self.words, word, k=15):
            group = word_group(other)
            item = QListWidgetItem(f"{sim:+.3f}   {other}" + ("" if group == "other" else
                                                              f"   ({group})"))
            item.setForeground(QColor(*GROUP_COLORS[group]))
            self.neighbours.addItem(item)
        row = self.words.index(word)
        self.vector_strip.show_numbers = self.table.shape[1] <= 8  # wider vectors: colours only
        self.vector_strip.set_vector(self.table[row])
        self.table_view.set_highlight((row, 0, 1, self.table.shape[1]))
        source = ("the 2-D model" if self.settings.model == TWO_D else self.settings.model)
        self.lookup_tab.show_sizes(word, row, self.table[row], len(self.words), source)
        return True

    def _on_word_chosen(self, word: str) -> None:
        if word in self.words and word != self.settings.word:
            self.bind.set("word", word)

    def _on_table_clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.words) and self.words[row] != "<pad>":
            self.bind.set("word", self.words[row])

    # -- the text classifier --------------------------------------------------------------------
    def _read(self, text: str) -> bool:
        """Run `text` through the chosen model; a text without words keeps the last picture."""
        name = self.settings.pipeline_model
        if name not in self.shipped:
            self.pipeline_tab.show_notice("No shipped sentiment model was found.")
            return False
        try:
            model, vocab, _meta = self.sentiment_model(name)
            trace = trace_pipeline(model, text, vocab)
        except (NoWords, CheckpointError) as exc:
            self.pipeline_tab.show_notice(str(exc))
            self.notify(str(exc), "warning")
            if self._read_text is not None:
                self.settings.sentence = self._read_text
            return False
        notices = []
        if trace.cut:
            notices.append(f"Long text: only the first {len(trace.ids)} tokens are used.")
        if trace.unknown:
            notices.append("Not in the vocabulary, read as <unk> (id 1): "
                           + ", ".join(trace.unknown))
        self.trace, self._read_text = trace, text
        self.pipeline_tab.show_trace(trace, pipeline_code(model, trace), notices)
        self.clear_notice()
        return True

    # -- training the 2-D model -----------------------------------------------------------------
    def train_two_d(self) -> bool:
        if self.runner.running:
            return False
        self.run = TwoDEmbeddingRun(cell=self.settings.cell, n_train=self.two_d_sentences)
        self.two_d_trained = False
        self.scatter.set_words(self.run.words)
        self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
        self.scatter.set_points(self.two_d_points)
        self.scatter.enableAutoRange()
        cfg = TrainConfig(lr=3e-2, batch_size=64, epochs=self.settings.epochs, snapshot_every=4,
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
            if self.settings.model == TWO_D:
                self.table_view.set_matrix(self.two_d_points)
                self.table = self.two_d_points
                self.select_word(self.settings.word)   # the neighbours move too
        last = events[-1]
        epochs = [e for e in events if e.kind == "epoch"]
        text = f"step {last.step} / {last.total_steps}, loss {last.loss:.3f}"
        if epochs:
            self._last_epoch = epochs[-1]
        if self._last_epoch is not None:
            text += (f"; after epoch {self._last_epoch.epoch + 1}: test accuracy "
                     f"{self._last_epoch.test_accuracy:.1%}")
        self.train_status.setText(text)

    def _on_finished(self, result) -> None:
        self._last_epoch = None
        if result.status in ("finished", "stopped"):
            # the trained weights, not the last snapshot (taken up to snapshot_every steps before)
            self.two_d_trained = True
            self.two_d_points = TwoDEmbeddingRun.snapshot(self.run.model)["points"]
            self.scatter.set_points(self.two_d_points)
            self.notify(f"2-D embedding model: {result.message}")
            self.train_status.setText(self.train_status.text() + f" — {result.status}.")
            if self.settings.model == TWO_D:
                self._on_model_chosen()
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
