"""`CharGenerationPanel`: one-to-many — a character model writes text, one character at a time.

A prompt, a temperature slider and a length; the generated text; and a table with one column per
generated character holding the model's five best guesses for it with their probabilities (the
distribution it sampled from). "Train on a text file…" trains a fresh `CharRNN` on a file of the
user's own in the background (`TrainRunner`); unusable files get a clear message.
"""
from __future__ import annotations

import functools

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSlider,
    QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from gui import style
from gui.workers import TrainRunner

SHOWN_COLUMNS = 80   # guesses shown for the first characters generated (a table, not a novel)


def _visible(ch: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(ch, ch)


class CharGenerationPanel(QWidget):
    def __init__(self, page):
        super().__init__()
        self.page = page
        self.model = None
        self.vocab = None
        self.meta: dict = {}
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._on_running)
        self._training = None   # (model, vocab, file name) while a run is going

        self.prompt_edit = QLineEdit("The keeper ")
        self.prompt_edit.setToolTip("The text the model reads first; it then writes on from "
                                    "there (Enter generates)")
        self.temperature_slider = QSlider(Qt.Horizontal, minimum=0, maximum=200, value=70)
        self.temperature_slider.setToolTip("0: always the likeliest character; higher: more surprising")
        self.temperature_label = QLabel()
        self.length_spin = QSpinBox(minimum=1, maximum=1000, value=200)
        self.seed_spin = QSpinBox(minimum=0, maximum=9999, value=0)
        self.length_spin.setToolTip("How many characters to generate after the prompt")
        self.seed_spin.setToolTip("Seeds the sampling: the same seed and temperature write the "
                                  "same text")
        self.generate_button = QPushButton("Generate")
        self.train_button = QPushButton("Train on a text file…")
        self.stop_button = QPushButton("Stop training")
        self.stop_button.setEnabled(False)
        self.builtin_button = QPushButton("Use the shipped model")
        self.generate_button.setToolTip("Sample the next character from the model's "
                                        "probabilities, feed it back in, repeat")
        self.train_button.setToolTip("Train a fresh character LSTM on a text file of your own, "
                                     "in the background")
        self.stop_button.setToolTip("Stop training and keep the model trained so far")
        self.builtin_button.setToolTip("Go back to the LSTM trained on the built-in stories")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color:#555")
        self.output = QPlainTextEdit(readOnly=True)
        style.set_role(self.output, "title")
        self.output.setMinimumHeight(90)
        self.guesses = QTableWidget(6, 0)
        self.guesses.setVerticalHeaderLabels(["generated", "guess 1", "guess 2", "guess 3",
                                              "guess 4", "guess 5"])
        self.guesses.horizontalHeader().setDefaultSectionSize(62)
        self.guesses.setEditTriggers(QTableWidget.NoEditTriggers)
        # six rows, a header and a scroll bar: no empty space under the table
        self.guesses.setFixedHeight(6 * 27 + 50)
        for r in range(6):
            self.guesses.setRowHeight(r, 27)

        row = QHBoxLayout()
        row.addWidget(QLabel("Prompt"))
        row.addWidget(self.prompt_edit, 1)
        row.addWidget(QLabel("temperature"))
        row.addWidget(self.temperature_slider, 1)
        row.addWidget(self.temperature_label)
        row.addWidget(QLabel("length"))
        row.addWidget(self.length_spin)
        row.addWidget(QLabel("seed"))
        row.addWidget(self.seed_spin)
        row.addWidget(self.generate_button)
        train_row = QHBoxLayout()
        train_row.addWidget(self.train_button)
        train_row.addWidget(self.stop_button)
        train_row.addWidget(self.builtin_button)
        train_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(train_row)
        layout.addWidget(self.model_label)
        layout.addWidget(QLabel("<b>Generated text</b> (after the prompt)"))
        layout.addWidget(self.output, 1)
        guesses_title = QLabel("<b>Under each generated character, the model's five best guesses "
                               "for it</b> (probabilities at this temperature; the first "
                               f"{SHOWN_COLUMNS} characters)")
        guesses_title.setWordWrap(True)
        layout.addWidget(guesses_title)
        layout.addWidget(self.guesses)

        self.temperature_slider.valueChanged.connect(self._on_temperature)
        self.generate_button.clicked.connect(self.generate)
        self.prompt_edit.returnPressed.connect(self.generate)
        self.train_button.clicked.connect(self._choose_file)
        self.stop_button.clicked.connect(self.runner.stop)
        self.builtin_button.clicked.connect(self.load_shipped)
        self._on_temperature(self.temperature_slider.value())
        self.load_shipped()

    @property
    def temperature(self) -> float:
        return self.temperature_slider.value() / 100.0

    def _on_temperature(self, value: int) -> None:
        self.temperature_label.setText(f"{value / 100:.2f}")

    # -- models --------------------------------------------------------------------------------
    def load_shipped(self) -> bool:
        from engine.char_model import load_char_model
        from engine.models import CheckpointError
        try:
            self.model, self.vocab, self.meta = load_char_model()
        except CheckpointError as exc:
            self.model_label.setText(f"No character model: {exc}")
            self.page.notify(f"The character model is missing: {exc}", "error")
            return False
        self.model_label.setText(
            f"Shipped model: LSTM over {len(self.vocab)} characters, trained on the built-in "
            f"stories (loss {self.meta.get('train_loss', float('nan')):.2f} nats per character).")
        return True

    def generate(self) -> bool:
        from engine.char_model import generate
        if self.model is None:
            self.page.notify("There is no character model to generate with.", "error")
            return False
        result = generate(self.model, self.vocab, self.prompt_edit.text(), self.length_spin.value(),
                          self.temperature, self.seed_spin.value())
        self.result = result
        if result.unknown:
            self.page.notify(f"The model never saw {result.unknown!r}; those characters are read "
                             "as unknown.", "warning")
        self.output.setPlainText(result.text)
        self._fill_guesses(result)
        return True

    def _fill_guesses(self, result) -> None:
        n = min(SHOWN_COLUMNS, len(result.generated))
        self.guesses.setColumnCount(n)
        self.guesses.setHorizontalHeaderLabels([str(k + 1) for k in range(n)])
        for col in range(n):
            ch = result.generated[col]
            head = QTableWidgetItem(_visible(ch))
            head.setTextAlignment(Qt.AlignCenter)
            head.setBackground(QBrush(QColor("#ffd28a")))
            self.guesses.setItem(0, col, head)
            for r, (guess, p) in enumerate(result.top[col], start=1):
                item = QTableWidgetItem(f"{_visible(guess)} {p:.2f}")
                item.setTextAlignment(Qt.AlignCenter)
                shade = int(255 - 120 * p)
                item.setBackground(QBrush(QColor(shade, shade, 255)))
                if guess == ch:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.guesses.setItem(r, col, item)

    # -- training on the user's own text -------------------------------------------------------
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Text to train on", "",
                                              "Text files (*.txt *.md);;All files (*)")
        if path:
            self.train_on_file(path)

    def train_on_file(self, path, max_steps: int = 400) -> bool:
        """Start training a fresh CharRNN on the file; False (with a message) if unusable."""
        from engine.char_model import CharRNN, CharVocab, TextFileError, load_text_file, make_training_windows
        from engine.train import TrainConfig, fit
        if self.runner.running:
            self.page.notify("A training run is already going; stop it first.", "warning")
            return False
        try:
            text = load_text_file(path)
            vocab = CharVocab.from_text(text.text)
            data = make_training_windows(text.text, vocab, seq_len=64)
        except TextFileError as exc:
            self.page.notify(str(exc), "error")
            self.model_label.setText(f"<span style='color:#b00020'>{exc}</span>")
            return False
        model = CharRNN(len(vocab), embed_dim=32, hidden_size=128)
        cfg = TrainConfig(lr=3e-3, batch_size=32, epochs=1000, max_steps=max_steps, seed=0)
        self._training = (model, vocab, text.name)
        self.page.notify(text.notice + " Training a character model on it…",
                         "warning" if text.truncated else "info")
        self.progress.setRange(0, max_steps)
        self.progress.setValue(0)
        self.runner.start(functools.partial(fit, cfg, model, data, None))
        return True

    def _on_progress(self, events) -> None:
        last = events[-1]
        self.progress.setValue(last.step)
        self.progress.setFormat(f"step {last.step} / {last.total_steps}   loss {last.loss:.2f}")

    def _on_finished(self, result) -> None:
        if self._training is None:
            return
        model, vocab, name = self._training
        self._training = None
        if result.status in ("finished", "stopped") and result.steps > 0:
            self.model, self.vocab, self.meta = model.eval(), vocab, {}
            self.model_label.setText(f"Your model: LSTM trained on {name} for {result.steps} steps "
                                     f"({len(vocab)} characters). {result.message}")
            self.page.notify(f"Trained on {name}: {result.message}")
            self.prompt_edit.setText("")
            self.generate()
        else:
            self.page.notify(result.message, "error")

    def _on_failed(self, message: str) -> None:
        self.page.notify(message, "error")

    def _on_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.stop_button.setEnabled(running)
        self.train_button.setEnabled(not running)

    def shutdown(self) -> None:
        self.runner.stop_and_wait()
