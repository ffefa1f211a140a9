"""The character-level language model (one-to-many): read characters, guess the next one.

`CharRNN` is Embedding -> LSTM|GRU -> Linear over the characters. `CharVocab` maps characters to
indices. `load_text_file` reads a user's text file for training and raises `TextFileError` with
a readable reason (missing, empty, binary, not UTF-8, too short); huge files are truncated with a
notice. `generate` samples text one character at a time and keeps, for every generated
character, the model's five best guesses with their probabilities. `builtin_corpus()` is a few
paragraphs written for this app (assets/text/char_corpus.txt); `make_training_windows` cuts a
text into (input, next-characters) pairs for `engine.train.fit`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from engine import ASSETS

CORPUS_PATH = ASSETS / "text" / "char_corpus.txt"
MAX_TEXT_CHARS = 200_000    # longer files are truncated (a few minutes of CPU training at most)
MIN_TEXT_CHARS = 200        # shorter ones cannot teach anything
UNKNOWN_CHAR = "\ufffd"     # index 0 of every vocabulary: characters never seen in training
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class TextFileError(Exception):
    """A text file that cannot be used for training; the message says why, for the user."""


@dataclass
class TextFile:
    text: str                  # the (possibly truncated) text
    name: str                  # file name, for messages
    original_chars: int        # length before truncation
    truncated: bool = False    # True when the file held more than MAX_TEXT_CHARS characters

    @property
    def notice(self) -> str:
        if not self.truncated:
            return f"Read {self.name}: {len(self.text):,} characters."
        return (f"{self.name} holds {self.original_chars:,} characters; only the first "
                f"{len(self.text):,} are used.")


def load_text_file(path: str | Path, max_chars: int = MAX_TEXT_CHARS) -> TextFile:
    """Read a UTF-8 text file for training. Raises TextFileError for anything unusable."""
    path = Path(path)
    if not path.is_file():
        raise TextFileError(f"There is no file at {path}.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TextFileError(f"{path.name} cannot be read: {exc.strerror or exc}.") from exc
    if not raw.strip():
        raise TextFileError(f"{path.name} is empty: a text file with some sentences is needed.")
    if b"\x00" in raw[:8192]:
        raise TextFileError(f"{path.name} looks like a binary file, not text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextFileError(
            f"{path.name} is not UTF-8 text (byte {exc.start} cannot be decoded). "
            "Save it as UTF-8 and open it again.") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise TextFileError(f"{path.name} is too short to learn from: {len(text.strip())} "
                            f"characters, at least {MIN_TEXT_CHARS} are needed.")
    original = len(text)
    return TextFile(text[:max_chars], path.name, original, original > max_chars)


def builtin_corpus() -> str:
    """The small corpus the shipped model was trained on."""
    return CORPUS_PATH.read_text(encoding="utf-8")


class CharVocab:
    """Characters <-> indices. Index 0 is UNKNOWN_CHAR, for characters the model never saw."""

    def __init__(self, chars: str):
        unique = sorted(set(chars) - {UNKNOWN_CHAR})
        self.chars = UNKNOWN_CHAR + "".join(unique)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        return cls(text)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.index

    def encode(self, text: str) -> list[int]:
        return [self.index.get(c, 0) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def unknown(self, text: str) -> str:
        """The distinct characters of `text` this vocabulary lacks, in order of appearance."""
        return "".join(dict.fromkeys(c for c in text if c not in self.index))


class CharRNN(nn.Module):
    """Embedding -> LSTM|GRU -> Linear over characters.

    `forward(x)` takes (B, T) character indices and returns logits (B, V, T), classes on dim 1 as
    cross_entropy wants them for (B, T) targets (so `engine.train.fit` trains it directly).
    `step(x, state)` returns (B, T, V) logits and the recurrent state, for generation.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128,
                 cell: str = "lstm", num_layers: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = CELLS[cell](embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def step(self, x, state=None):  # (B, T) -> (B, T, V), state
        out, state = self.rnn(self.embedding(x), state)  # out (B, T, hidden)
        return self.head(out), state

    def forward(self, x):  # (B, T) -> (B, V, T)
        return self.step(x)[0].transpose(1, 2)


ARCHITECTURES = {"char_rnn": CharRNN}


def make_training_windows(text: str, vocab: CharVocab, seq_len: int = 64, stride: int | None = None):
    """A TensorDataset of (B, seq_len) inputs and the same windows shifted by one as targets."""
    ids = np.asarray(vocab.encode(text), np.int64)
    stride = stride or seq_len // 2
    starts = np.arange(0, len(ids) - seq_len - 1, stride)
    if len(starts) == 0:
        raise TextFileError(f"the text is shorter than one training window ({seq_len + 1} characters)")
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    windows = torch.from_numpy(ids[idx])  # (N, seq_len + 1)
    return TensorDataset(windows[:, :-1].contiguous(), windows[:, 1:].contiguous())


@dataclass
class Generation:
    prompt: str                     # the prompt as given
    generated: str                  # the new characters only
    top: list = field(default_factory=list)  # per generated char: [(char, prob)] * 5, best first
    unknown: str = ""               # prompt characters the model never saw (read as UNKNOWN_CHAR)

    @property
    def text(self) -> str:
        return self.prompt + self.generated


@torch.no_grad()
def generate(model: CharRNN, vocab: CharVocab, prompt: str, length: int = 200,
             temperature: float = 0.8, seed: int = 0, top_k: int = 5) -> Generation:
    """Sample `length` characters after `prompt`.

    The probabilities are softmax(logits / temperature), the distribution actually sampled from;
    temperature 0 means always the most likely character. `top` lists, for each generated
    character, the `top_k` most likely next characters at that step.
    """
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    prompt = prompt or " "
    ids = torch.tensor([vocab.encode(prompt)], dtype=torch.long)  # (1, P)
    logits, state = model.step(ids)
    last = logits[0, -1]  # (V,) guesses for the character after the prompt
    out_chars, top = [], []
    k = min(top_k, len(vocab))
    for _ in range(max(0, int(length))):
        if temperature <= 0:
            probs = torch.zeros_like(last)
            probs[last.argmax()] = 1.0
        else:
            probs = torch.softmax(last / temperature, dim=0)
        p, idx = probs.topk(k)
        top.append([(vocab.chars[int(i)], float(q)) for q, i in zip(p, idx)])
        choice = int(idx[0]) if temperature <= 0 else int(torch.multinomial(probs, 1, generator=gen))
        out_chars.append(vocab.chars[choice])
        logits, state = model.step(torch.tensor([[choice]]), state)
        last = logits[0, -1]
    return Generation(prompt, "".join(out_chars), top, vocab.unknown(prompt))


def load_char_model(path: str | Path | None = None) -> tuple[CharRNN, CharVocab, dict]:
    """The shipped (or a saved) character model with its vocabulary: (model, vocab, meta)."""
    from engine.models import MODELS_DIR, load_checkpoint
    model, meta = load_checkpoint(path or MODELS_DIR / "char_rnn.pt", expect_arch="char_rnn")
    return model, CharVocab(meta["vocab"]), meta
