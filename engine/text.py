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

Every generated sentence carries a target after each token (`SentimentExample.targets`): the
P(positive) a reader can give at that point, 0.5 while nothing has decided it ("the movie was
not" is still open). Asides ("as my friend said", "in my opinion") can stand between a negation
and its adjective, so a model must carry the negation across them;
`make_long_negation_examples` is the held-out set of such sentences with long gaps. Made-up
words (`nonsense_word`) stand for a user's own words: they read as <unk>, and a sentence whose
adjective is one of them is labelled 0.5, since an unknown word decides nothing.
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
# Asides that carry no sentiment; put between a negation and its adjective they make the model
# remember the negation across many tokens ("the food was not, as my friend said, good").
FILLERS = [["as", "my", "friend", "said"], ["if", "i", "am", "honest"],
           ["to", "be", "honest", "with", "you"], ["after", "the", "long", "wait"],
           ["in", "my", "opinion"], ["when", "we", "went", "there", "on", "sunday"],
           ["compared", "to", "last", "year"], ["for", "what", "it", "is", "worth"],
           ["from", "what", "i", "remember"], ["as", "far", "as", "i", "can", "tell"],
           ["and", "we", "all", "agreed"], ["according", "to", "my", "sister"]]
NEUTRAL = 0.5  # the target while nothing has decided the sentiment yet (or an unknown word did)
HELD_OUT_SEED = 10_000       # added to a training seed for the in-distribution held-out set
LONG_NEGATION_SEED = 20_000  # seed of the held-out long-negation set

_SYLLABLES = ["blor", "zin", "quax", "fep", "mul", "dro", "vask", "yon", "trib", "glim", "oss",
              "prun", "kel", "shav", "wub", "nix", "flo", "spur"]
_SUFFIXES = ["", "ish", "ous", "y", "ic", "ant", "ly"]


@dataclass
class CorpusConfig:
    single: float = 0.25           # share of single-clause sentences ("the food was not good")
    contrast: float = 0.45         # share of "A but B" / "although A, B" pairs (the rest: corrections)
    negation: float = 0.5          # chance that a single clause is negated
    filler: float = 0.25           # chance that a clause gets asides before its adjective
    max_fillers: int = 4           # at most this many asides in one clause
    unknown_noun: float = 0.0      # chance that a clause's noun is a made-up word (<unk>)
    unknown_adjective: float = 0.0  # chance that a draw is a single clause with a made-up
                                    # adjective: its target stays 0.5 (an unknown word decides nothing)


@dataclass
class SentimentExample:
    tokens: list[str]      # the sentence, tokenized
    targets: list[float]   # P(positive) a reader can give after each token: 0.5 while undecided
    kind: str              # "single", "contrast", "correction" or "unknown"

    @property
    def label(self) -> float:
        """The sentence's P(positive): 1, 0, or 0.5 when an unknown word carried the sentiment."""
        return self.targets[-1]

    @property
    def text(self) -> str:
        return detokenize(self.tokens)


def detokenize(tokens: list[str]) -> str:
    """['good', ',', 'not', 'bad', '!'] -> 'good, not bad!' (tokenize gives the tokens back)."""
    text = " ".join(tokens)
    for mark in ",.!?;:":
        text = text.replace(" " + mark, mark)
    return text


def nonsense_word(rng: random.Random) -> str:
    """A made-up word that is not in the grammar's vocabulary ('blorzinous'): it reads as <unk>."""
    while True:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) + rng.choice(_SUFFIXES)
        if len(word) >= 4 and word not in _GRAMMAR_WORDS:
            return word


@dataclass
class Clause:
    words: list[str]       # e.g. ["the", "food", "was", "not", "very", "good"]
    label: float           # 1 positive, 0 negative (after negation), 0.5 for an unknown adjective
    targets: list[float]   # per word: 0.5 until the adjective, then the label


def _asides(rng: random.Random, count: int) -> list[str]:
    """', as my friend said, in my opinion,' for count = 2 (each aside set off by commas)."""
    words: list[str] = []
    for phrase in rng.sample(FILLERS, count):
        words += [","] + phrase
    return words + [","] if words else []


def _clause(rng: random.Random, polarity: int, negated: bool, fillers: int = 0,
            unknown_noun: bool = False, unknown_adjective: bool = False) -> Clause:
    """A clause whose adjective has `polarity`; negated flips it ("not good" is negative)."""
    adj = rng.choice(POSITIVE if polarity else NEGATIVE)
    label = float(polarity ^ int(negated))
    if unknown_adjective:
        adj, label = nonsense_word(rng), NEUTRAL
    verb = rng.choice(BE_VERBS if negated else VERBS)  # "was not", never "felt not"
    noun = nonsense_word(rng) if unknown_noun else rng.choice(SUBJECTS)
    words = [rng.choice(DETERMINERS), noun, verb]
    if negated:
        words += rng.choice(NEGATIONS)
    words += _asides(rng, fillers)
    if rng.random() < 0.3:
        words.append(rng.choice(INTENSIFIERS))
    pending = len(words)
    words.append(adj)
    if negated and rng.random() < 0.3:
        words += ["at", "all"]
    return Clause(words, label, [NEUTRAL] * pending + [label] * (len(words) - pending))


def _random_clause(rng, config: CorpusConfig, negation: float, polarity: int | None = None,
                   fillers: bool = True) -> Clause:
    count = rng.randint(1, config.max_fillers) if fillers and rng.random() < config.filler else 0
    return _clause(rng, rng.randint(0, 1) if polarity is None else polarity,
                   rng.random() < negation, count, rng.random() < config.unknown_noun)


def _single(rng, config):
    c = _random_clause(rng, config, config.negation)
    return [(c.words, c.targets)]


def _unknown_single(rng, config):
    """'the flick was blorzinous': the adjective is unknown, so the sentence stays at 0.5."""
    count = rng.randint(1, config.max_fillers) if rng.random() < config.filler else 0
    c = _clause(rng, rng.randint(0, 1), rng.random() < config.negation, count,
                rng.random() < 0.5, unknown_adjective=True)
    return [(c.words, c.targets)]


def _contrast_pair(rng, config):
    """'A but B' / 'although A, B' / 'B, although A' (label of B), and the same words swapped."""
    form = rng.randint(0, 2)
    a = _random_clause(rng, config, 0.35, fillers=form == 0)  # asides' commas would end "although A,"
    b = _random_clause(rng, config, 0.35, polarity=None, fillers=form == 0)
    while b.label == a.label:
        b = _random_clause(rng, config, 0.35, fillers=form == 0)
    out = []
    for first, second in ((a, b), (b, a)):
        if form == 0:    # the second clause wins; "but" leaves it open again
            words = first.words + ["but"] + second.words
            targets = first.targets + [NEUTRAL] + second.targets
        elif form == 1:  # the main clause wins; nothing is decided before it
            words = ["although"] + first.words + [","] + second.words
            targets = [NEUTRAL] * (len(first.words) + 2) + second.targets
        else:            # the main clause first: its verdict holds through "although ..."
            words = second.words + [",", "although"] + first.words
            targets = second.targets + [second.label] * (len(first.words) + 2)
        out.append((words, targets))
    return out


def _correction_pair(rng, config):
    """'the food was good, not bad at all' (pos) / 'the food was bad, not good at all' (neg)."""
    det, subj, verb = rng.choice(DETERMINERS), rng.choice(SUBJECTS), rng.choice(BE_VERBS)
    pos, neg = rng.choice(POSITIVE), rng.choice(NEGATIVE)
    tail = ["at", "all"] if rng.random() < 0.6 else []
    form = rng.random() < 0.5
    out = []
    for first, second, label in ((pos, neg, 1.0), (neg, pos, 0.0)):
        if form:  # decided at the first adjective; ", not B" only confirms it
            words = [det, subj, verb, first, ",", "not", second] + tail
            targets = [NEUTRAL] * 3 + [label] * (4 + len(tail))
        else:     # 'the food was not bad, it was good': decided at "bad"
            words = [det, subj, verb, "not", second, ",", "it", verb, first]
            targets = [NEUTRAL] * 4 + [label] * 5
        out.append((words, targets))
    return out


# The shipped models' corpus: one clause in seven has a made-up noun, one draw in eight is a
# sentence with a made-up adjective (target 0.5; pairs are one draw, so about 7 % of sentences),
# so <unk> is met in training and learned to mean "no evidence".
TRAINING_CORPUS = CorpusConfig(unknown_noun=0.15, unknown_adjective=0.12)


def make_sentiment_examples(n: int, seed: int = 0,
                            config: CorpusConfig | None = None) -> list[SentimentExample]:
    """n generated sentences with a target after every token, mostly in word-swapped pairs."""
    config = config or CorpusConfig()
    rng = random.Random(seed)
    out: list[SentimentExample] = []
    while len(out) < n:
        if rng.random() < config.unknown_adjective:
            kind, group = "unknown", _unknown_single(rng, config)
        else:
            r = rng.random()
            kind = "single" if r < config.single else (
                "contrast" if r < config.single + config.contrast else "correction")
            group = {"single": _single, "contrast": _contrast_pair,
                     "correction": _correction_pair}[kind](rng, config)
        end = rng.choice(["", "", "", ".", "!"])  # same ending for both of a pair
        for words, targets in group:
            if end:
                words, targets = words + [end], targets + [targets[-1]]
            out.append(SentimentExample(list(words), list(targets), kind))
    return out[:n]


def make_sentiment_corpus(n: int, seed: int = 0,
                          config: CorpusConfig | None = None) -> tuple[list[str], list[int]]:
    """n sentences with labels 1 (positive) / 0 (negative), balanced, mostly in word-swapped pairs.

    The default config has no unknown words, so every label is 0 or 1."""
    config = config or CorpusConfig()
    if config.unknown_adjective:
        raise ValueError("make_sentiment_corpus gives hard labels; use make_sentiment_examples "
                         "for sentences with unknown adjectives")
    examples = make_sentiment_examples(n, seed, config)
    return [e.text for e in examples], [int(e.label) for e in examples]


def make_long_negation_examples(n: int, seed: int = 0, min_fillers: int = 3,
                                max_fillers: int = 4) -> list[SentimentExample]:
    """Single clauses with min..max asides between the verb (and its negation) and the adjective.

    Half are negated: "the food was not, as my friend said, in my opinion, ..., good" is
    negative. A model that forgets the negation over the asides reads the adjective alone and
    gets half of them wrong."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        c = _clause(rng, rng.randint(0, 1), k % 2 == 0, rng.randint(min_fillers, max_fillers))
        out.append(SentimentExample(c.words, c.targets, "long_negation"))
    return out


def sentiment_vocab() -> Vocab:
    """Every word the grammar can produce, in a fixed order (so vocab ids never depend on a seed)."""
    return Vocab(_GRAMMAR_WORDS)


_GRAMMAR_WORDS = list(dict.fromkeys(
    ["the", "this", "my", "our", "was", "is", "seemed", "felt", "it", ",", ".", "!", "but",
     "although", "not", "never", "no", "longer", "at", "all"] + INTENSIFIERS
    + SUBJECTS + POSITIVE + NEGATIVE + [w for phrase in FILLERS for w in phrase]))


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
