"""Words for the recurrent models: a tokenizer, a vocabulary, and a generated sentiment corpus.

Tokenizer: lowercase; words are runs of letters, digits and apostrophes; the punctuation marks
, . ! ? ; : are tokens of their own (the comma matters: it closes the "although ..." clause);
every other character is dropped.

The sentiment corpus comes from a small grammar in which WORD ORDER decides the label:
negation ("not", "never", "no longer") flips a clause, "X but Y" and "although X, Y" take the
label of Y (the later / main clause wins), "A, not B at all" takes A's. Most sentences are made in
pairs holding the same multiset of words with opposite labels ("the food was great but the
service was slow" / "the service was slow but the food was great"), so a bag of words is near
chance on them while an LSTM can learn the rule. `BagOfWords` is that baseline.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

PAD, UNK = "<pad>", "<unk>"
_TOKEN = re.compile(r"[a-z0-9']+|[,.!?;:]")


def tokenize(text: str) -> list[str]:
    """'The food was GOOD, not bad!' -> ['the', 'food', 'was', 'good', ',', 'not', 'bad', '!']"""
    return _TOKEN.findall(text.lower())


class Vocab:
    """Word <-> index, with <pad> = 0 and <unk> = 1."""

    def __init__(self, words):
        self.words: list[str] = [PAD, UNK]
        self.index: dict[str, int] = {PAD: 0, UNK: 1}
        for w in words:
            if w not in self.index:
                self.index[w] = len(self.words)
                self.words.append(w)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.index.get(t, 1) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.words[int(i)] if 0 <= int(i) < len(self.words) else UNK for i in ids]

    @classmethod
    def from_sentences(cls, sentences) -> "Vocab":
        """Words in order of first appearance."""
        return cls(t for s in sentences for t in tokenize(s))


def to_tokens(sentence: str, vocab: Vocab) -> tuple[list[str], list[int], list[bool]]:
    """(tokens as typed, their ids, whether each is unknown, i.e. became <unk>)."""
    tokens = tokenize(sentence)
    ids = vocab.encode(tokens)
    return tokens, ids, [i == 1 for i in ids]


# -- the sentiment grammar -------------------------------------------------------------------

SUBJECTS = ["food", "service", "film", "movie", "book", "hotel", "room", "staff", "music",
            "plot", "acting", "coffee", "pizza", "game", "show", "concert", "view", "waiter",
            "ending", "story", "soup", "team", "app", "class", "trip", "camera", "song"]
DETERMINERS = ["the", "the", "the", "this", "my", "our"]
VERBS = ["was", "was", "is", "seemed", "felt"]
BE_VERBS = ["was", "was", "is"]
POSITIVE = ["good", "great", "excellent", "wonderful", "fantastic", "lovely", "delicious",
            "friendly", "amazing", "fun", "nice", "brilliant", "pleasant", "superb", "clean"]
NEGATIVE = ["bad", "terrible", "awful", "boring", "slow", "rude", "bland", "dull", "horrible",
            "poor", "disappointing", "cold", "noisy", "dirty", "weak"]
INTENSIFIERS = ["very", "really", "extremely", "quite", "so"]
NEGATIONS = [["not"], ["never"], ["no", "longer"]]


@dataclass
class Clause:
    words: list[str]     # e.g. ["the", "food", "was", "not", "very", "good"]
    label: int           # 1 positive, 0 negative (after negation)


def _clause(rng: random.Random, polarity: int, negated: bool) -> Clause:
    """A clause whose adjective has `polarity`; negated flips it ("not good" is negative)."""
    adj = rng.choice(POSITIVE if polarity else NEGATIVE)
    verb = rng.choice(BE_VERBS if negated else VERBS)  # "was not", never "felt not"
    words = [rng.choice(DETERMINERS), rng.choice(SUBJECTS), verb]
    if negated:
        words += rng.choice(NEGATIONS)
    if rng.random() < 0.3:
        words.append(rng.choice(INTENSIFIERS))
    words.append(adj)
    if negated and rng.random() < 0.3:
        words += ["at", "all"]
    return Clause(words, polarity ^ int(negated))


def _single(rng):
    c = _clause(rng, rng.randint(0, 1), rng.random() < 0.5)
    return [(c.words, c.label)]


def _contrast_pair(rng):
    """'A but B' / 'although A, B' / 'B, although A' (label of B), and the same words swapped."""
    a = _clause(rng, rng.randint(0, 1), rng.random() < 0.35)
    b = _clause(rng, rng.randint(0, 1), rng.random() < 0.35)
    while b.label == a.label:
        b = _clause(rng, rng.randint(0, 1), rng.random() < 0.35)
    form = rng.randint(0, 2)
    out = []
    for first, second in ((a, b), (b, a)):
        if form == 0:
            words = first.words + ["but"] + second.words                     # second wins
        elif form == 1:
            words = ["although"] + first.words + [","] + second.words        # main clause wins
        else:
            words = second.words + [",", "although"] + first.words           # main clause first
        out.append((words, second.label))
    return out


def _correction_pair(rng):
    """'the food was good, not bad at all' (pos) / 'the food was bad, not good at all' (neg)."""
    det, subj, verb = rng.choice(DETERMINERS), rng.choice(SUBJECTS), rng.choice(BE_VERBS)
    pos, neg = rng.choice(POSITIVE), rng.choice(NEGATIVE)
    tail = ["at", "all"] if rng.random() < 0.6 else []
    form = rng.random() < 0.5
    out = []
    for first, second, label in ((pos, neg, 1), (neg, pos, 0)):
        if form:
            words = [det, subj, verb, first, ",", "not", second] + tail
        else:  # 'the food was not bad , it was good'
            words = [det, subj, verb, "not", second, ",", "it", verb, first]
        out.append((words, label))
    return out


def make_sentiment_corpus(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """n sentences with labels 1 (positive) / 0 (negative), balanced, mostly in word-swapped pairs."""
    rng = random.Random(seed)
    sentences: list[str] = []
    labels: list[int] = []
    while len(sentences) < n:
        r = rng.random()
        group = _single(rng) if r < 0.25 else _contrast_pair(rng) if r < 0.7 else _correction_pair(rng)
        end = rng.choice(["", "", "", ".", "!"])  # same ending for both of a pair
        for words, label in group:
            words = words + [end] if end else words
            text = " ".join(words)
            for mark in ",.!":
                text = text.replace(" " + mark, mark)
            sentences.append(text)
            labels.append(label)
    sentences, labels = sentences[:n], labels[:n]
    return sentences, labels


def sentiment_vocab() -> Vocab:
    """Every word the grammar can produce, in a fixed order (so vocab ids never depend on a seed)."""
    words = (["the", "this", "my", "our", "was", "is", "seemed", "felt", "it", ",", ".", "!", "but",
              "although", "not", "never", "no", "longer", "at", "all"] + INTENSIFIERS
             + SUBJECTS + POSITIVE + NEGATIVE)
    return Vocab(words)


def encode_batch(sentences, vocab: Vocab, max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids (N, T) right-padded with 0, lengths (N,)); sentences longer than max_len are cut."""
    encoded = [vocab.encode(tokenize(s))[:max_len] for s in sentences]
    lengths = np.array([max(1, len(e)) for e in encoded], dtype=np.int64)
    ids = np.zeros((len(encoded), int(lengths.max()) if len(encoded) else 1), dtype=np.int64)
    for row, e in enumerate(encoded):
        ids[row, :len(e)] = e
    return ids, lengths


# -- the bag-of-words baseline ---------------------------------------------------------------

class BagOfWords:
    """Logistic regression on word counts: it sees which words occur, never their order."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.model = None

    def features(self, sentences) -> np.ndarray:
        x = np.zeros((len(sentences), len(self.vocab)), dtype=np.float32)
        for row, s in enumerate(sentences):
            for i in self.vocab.encode(tokenize(s)):
                x[row, i] += 1
        return x

    def fit(self, sentences, labels) -> "BagOfWords":
        from sklearn.linear_model import LogisticRegression
        self.model = LogisticRegression(max_iter=2000, C=1.0)
        self.model.fit(self.features(sentences), np.asarray(labels))
        return self

    def predict(self, sentences) -> np.ndarray:
        return self.model.predict(self.features(sentences))

    def accuracy(self, sentences, labels) -> float:
        return float(np.mean(self.predict(sentences) == np.asarray(labels)))
