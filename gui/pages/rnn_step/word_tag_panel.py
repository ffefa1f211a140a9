"""`WordTagPanel`: many-to-many on words; a small recurrent tagger names every word of a sentence.

The sentences come from `engine.word_tags` (the notes' named-entity example: "harry potter and
hermione granger invented a new spell" -> PERSON PERSON O PERSON PERSON O O O O, with places).
Train runs in `TrainRunner` like the signal demo; the snapshots carry the held-out accuracy.
The result is one coloured chip per word: the word, its tag and the tag's probability.
"""
from __future__ import annotations

import functools
import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from engine.text import tokenize
from engine.word_tags import (
    WordTagTask, example_sentence, tag_accuracy, tag_sentence, tag_vocab, unknown_words,
)
from gui import style
from gui.workers import TrainRunner

TAG_COLORS = {"PERSON": "#f6c28b", "PLACE": "#a8d5a2", "O": "#e4e4e4"}  # chip backgrounds
UNTAGGED_COLOR = "#ffffff"
COLUMNS = 8      # chips per row: eight fit the page at 1280x720 without widening it
MAX_CHIPS = 24   # three rows at most: the panel never grows taller than the page allows
CHIP_PADDING = 16  # the chip's horizontal padding and border, both sides, in px


def _chip_style(color: str) -> str:
    return (f"QLabel {{ background: {color}; border: 1px solid #9a9a9a; border-radius: 6px; "
            "padding: 2px 6px; }")


def _chip_width(label: QLabel, words) -> int:
    """Every chip is as wide as the widest tag (a bold "PERSON") or vocabulary word, in its font:
    only a word the tagger does not know can be cut."""
    bold = QFont(label.font())
    bold.setBold(True)
    fm = label.fontMetrics()
    return max(QFontMetrics(bold).horizontalAdvance("PERSON"),
               *(fm.horizontalAdvance(w) for w in words)) + CHIP_PADDING


class WordTagPanel(QWidget):
    def __init__(self, page, intro: str = ""):
        super().__init__()
        self.page = page
        self.vocab = tag_vocab()
        self.model = None              # the trained tagger (set when a run finishes)
        self.task: WordTagTask | None = None
        self.test_accuracy: float | None = None
        self._baseline = float('nan')
        self._training_model = None
        self._example_seed = 0
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)

        self.sentence_edit = QLineEdit(example_sentence(self._example_seed))
        self.sentence_edit.setToolTip("The sentence to tag. Type your own; words the tagger never "
                                      "saw read as <unk> (shown in italics) and are tagged from the words "
                                      "around them: try a new name, “zara met tom”.")
        self.new_button = QPushButton("New sentence")
        self.new_button.setToolTip("Put the next generated sentence in the box.")
        self.cell_combo = QComboBox()
        for key, label in (("lstm", "LSTM"), ("gru", "GRU")):
            self.cell_combo.addItem(label, key)
        self.cell_combo.setToolTip("The recurrent cell of the tagger (Embedding → cell → Linear "
                                   "at every word).")
        self.bidir_check = QCheckBox("both directions")
        self.bidir_check.setChecked(True)
        self.bidir_check.setToolTip("Bidirectional: each word's tag also reads the words after it. "
                                    "Off, it reads only the words before (enough for these "
                                    "sentences: try it).")
        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Train the tagger from random weights on generated sentences "
                                     "(a few seconds, seeded), then tag the sentence in the box.")
        self.score_label = style.set_role(QLabel("Press Train: the tagger starts from random weights."),
                                          "title")
        self.score_label.setWordWrap(True)
        self.score_label.setToolTip("Per-word accuracy on held-out generated sentences, next to a "
                                    "lookup that gives each word its most frequent training tag.")
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #b03000;")

        self.chip_box = QWidget()
        self.chip_grid = QGridLayout(self.chip_box)
        self.chip_grid.setContentsMargins(0, 0, 0, 0)
        self.chip_grid.setSpacing(4)
        self.chips: list[QLabel] = []
        for k in range(MAX_CHIPS):
            chip = QLabel()
            chip.setTextFormat(Qt.RichText)
            chip.setAlignment(Qt.AlignCenter)
            chip.hide()
            self.chip_grid.addWidget(chip, k // COLUMNS, k % COLUMNS)
            self.chips.append(chip)
        for c in range(COLUMNS):
            self.chip_grid.setColumnStretch(c, 1)

        legend = QHBoxLayout()
        legend.addWidget(QLabel("tags:"))
        for tag, meaning in (("PERSON", "a person's name"), ("PLACE", "a place"), ("O", "other")):
            swatch = QLabel(f"{tag}: {meaning}")
            swatch.setStyleSheet(_chip_style(TAG_COLORS[tag]))
            swatch.setToolTip(f"Chips of this colour carry the tag {tag} ({meaning}).")
            legend.addWidget(swatch)
        legend.addStretch(1)

        row = QHBoxLayout()
        row.addWidget(self.sentence_edit, 1)
        row.addWidget(self.new_button)
        row.addWidget(QLabel("cell"))
        row.addWidget(self.cell_combo)
        row.addWidget(self.bidir_check)
        row.addWidget(self.train_button)
        layout = QVBoxLayout(self)
        if intro:
            text = QLabel(intro)
            text.setWordWrap(True)
            layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(self.score_label)
        layout.addWidget(self.chip_box)
        layout.addWidget(self.message_label)
        layout.addLayout(legend)
        layout.addStretch(1)

        self.new_button.clicked.connect(self.new_sentence)
        self.train_button.clicked.connect(self.train)
        self.sentence_edit.textChanged.connect(self.show_sentence)
        self.sentence_edit.setCursorPosition(0)
        self.show_sentence()

    # -- the sentence ---------------------------------------------------------------------------
    def new_sentence(self) -> None:
        self._example_seed += 1
        self.sentence_edit.setText(example_sentence(self._example_seed))
        self.sentence_edit.setCursorPosition(0)  # show the sentence's start

    def show_sentence(self, *_args) -> bool:
        """Tag the box's sentence (or show its words untagged before training). An empty
        sentence, or one of unknown words only, leaves the chips as they were and says why."""
        text = self.sentence_edit.text()
        tokens = tokenize(text)
        if not tokens:
            self.message_label.setText("The sentence has no words to tag: type a few words, or "
                                       "press New sentence.")
            return False
        unknown = unknown_words(self.vocab, text)
        if len(unknown) == len(tokens):
            self.message_label.setText("None of these words is in the tagger's vocabulary (each "
                                       "would read as <unk>): use names, cities and verbs like "
                                       "the generated sentences'.")
            return False
        self.message_label.setText("")
        if self.model is None:
            self._set_chips(tokens, None, None, set(unknown))
        else:
            tokens, tags, probs = tag_sentence(self.model, self.vocab, text)
            self._set_chips(tokens, tags, probs.max(1), set(unknown))
        if len(tokens) > MAX_CHIPS:
            self.message_label.setText(f"Showing the first {MAX_CHIPS} of {len(tokens)} words.")
        return True

    def _set_chips(self, tokens, tags, probs, unknown: set) -> None:
        width = _chip_width(self.chips[0], self.vocab.words[2:])  # the font may have been scaled
        for k, chip in enumerate(self.chips):
            if k >= len(tokens):
                chip.hide()
                continue
            word = tokens[k]
            chip.setMinimumWidth(width)
            # a long word is cut to the chip (its tooltip has it whole)
            short = html.escape(chip.fontMetrics().elidedText(word, Qt.ElideRight, width - CHIP_PADDING))
            shown = f"<i>{short}</i>" if word in unknown else short
            if tags is None:
                chip.setText(f"{shown}<br>?<br>&nbsp;")
                chip.setStyleSheet(_chip_style(UNTAGGED_COLOR))
                chip.setToolTip(f"word {k + 1}: “{word}” (not tagged yet: press Train)")
            else:
                chip.setText(f"{shown}<br><b>{tags[k]}</b><br>{probs[k]:.0%}")
                chip.setStyleSheet(_chip_style(TAG_COLORS[tags[k]]))
                unk = " (unknown: read as <unk>)" if word in unknown else ""
                chip.setToolTip(f"word {k + 1}: “{word}”{unk} → {tags[k]}, "
                                f"probability {probs[k]:.1%}")
            chip.show()

    def chip_tags(self) -> list[tuple[str, str, str]]:
        """(word as shown, tag, probability as shown) of each visible chip; "?" and "" before
        training."""
        out = []
        for chip in self.chips:
            if chip.isVisibleTo(self):
                word, tag, prob = chip.text().split("<br>")
                out.append((word, tag.removeprefix("<b>").removesuffix("</b>"),
                            prob.replace("&nbsp;", "")))
        return out

    # -- training -------------------------------------------------------------------------------
    def train(self) -> bool:
        if self.runner.running:
            return False
        self.task = WordTagTask(cell=self.cell_combo.currentData(),
                                bidirectional=self.bidir_check.isChecked())
        self._baseline = self.task.baseline()
        self._training_model = self.task.model()
        self.score_label.setText("Training...")
        self.runner.start(functools.partial(self.task.run, self._training_model))
        return True

    def _on_progress(self, events) -> None:
        snaps = [e for e in events if e.snapshot is not None]
        if snaps:
            e = snaps[-1]
            self.score_label.setText(f"step {e.step} / {e.total_steps}: held-out accuracy "
                                     f"{e.snapshot['test_accuracy']:.1%} per word")

    def _on_finished(self, result) -> None:
        if result.status != "finished":
            if result.status != "stopped":
                self.page.notify(result.message, "error")
            return
        self.model = self._training_model.eval()
        self.test_accuracy = tag_accuracy(self.model, self.task.test)
        self.score_label.setText(
            f"Held-out accuracy: {self.test_accuracy:.1%} of words "
            f"(a per-word lookup that reads no context: {self._baseline:.1%})")
        self.show_sentence()
        self.page.notify(f"{result.message} {self.score_label.text()}")

    def _on_failed(self, message: str) -> None:
        self.page.notify(message, "error")

    def _on_running(self, running: bool) -> None:
        for w in (self.train_button, self.cell_combo, self.bidir_check):
            w.setEnabled(not running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()
