"""Word-level tagging (many-to-many on words): a tag for every word of a generated sentence.

In the spirit of the notes' named-entity example: "harry potter and hermione granger invented a
new spell" -> PERSON PERSON O PERSON PERSON O O O O, with places added: "anna flew from paris to
rome" -> PERSON O O PLACE O PLACE. The word lists are small on purpose, and some words change tag
with their context, so a per-word lookup cannot get them right and a recurrent tagger can:
- first names that are also cities (`AMBIGUOUS`: "paris", "florence", "sydney", ...): a person
  as a subject or after "met", a place after "from", "to", "in", "visited";
- surnames that are also plain words (`SURNAME_WORDS`: "green", "king", "young", ...): a person
  right after a first name, O elsewhere ("a green door", "the king");
- "new": O in "a new spell", PLACE in "new york".
In this grammar the words BEFORE a word already decide its tag ("from", "met", a first name), so a
one-directional tagger learns it too; the bidirectional one also reads the words after it.
`majority_baseline` is that per-word lookup (each word's most frequent training tag).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from engine.text import Vocab, tokenize

TAGS = ["O", "PERSON", "PLACE"]
PAD_TAG = -100  # cross_entropy's ignore_index: padded steps count in no loss
HELD_OUT_SEED = 10_000  # added to the training seed for the held-out sentences

FIRST = ["harry", "hermione", "anna", "tom", "maria", "omar", "lena", "ravi", "chloe", "ivan"]
SURNAMES = ["potter", "granger", "weasley", "novak", "okafor", "silva", "tanaka", "berg"]
AMBIGUOUS = ["paris", "florence", "sydney", "austin", "victoria", "jordan", "georgia"]
SURNAME_WORDS = ["green", "king", "young", "brown", "baker", "rose"]
CITIES = ["rome", "london", "berlin", "madrid", "vienna", "oslo", "cairo", "tokyo", "lima"]
OBJECTS = ["spell", "car", "door", "hat", "song", "book", "cake", "map", "rose"]
ADJECTIVES = ["new", "old", "small", "red", "green", "brown", "young", "strange"]
MAKE_VERBS = ["invented", "found", "painted", "bought", "wrote", "lost", "baked"]
MEET_VERBS = ["met", "called", "thanked", "helped", "married", "saw"]
TIMES = ["today", "yesterday", "last", "summer", "winter", "at", "night"]


def _first(rng: random.Random) -> str:
    return rng.choice(FIRST + AMBIGUOUS) if rng.random() < 0.45 else rng.choice(FIRST)


def _person(rng: random.Random) -> list[str]:
    """'anna', 'paris green', 'harry potter' (a surname only after a first name)."""
    words = [_first(rng)]
    if rng.random() < 0.55:
        words.append(rng.choice(SURNAME_WORDS) if rng.random() < 0.45 else rng.choice(SURNAMES))
    return words


def _place(rng: random.Random) -> list[str]:
    r = rng.random()
    if r < 0.12:
        return ["new", "york"]
    return [rng.choice(AMBIGUOUS)] if r < 0.5 else [rng.choice(CITIES)]


def _people(rng: random.Random) -> list[tuple[list[str], str]]:
    parts = [(_person(rng), "PERSON")]
    if rng.random() < 0.35:
        parts += [(["and"], "O"), (_person(rng), "PERSON")]
    return parts


def _thing(rng: random.Random) -> list[str]:
    det = rng.choice(["a", "the"])
    return [det, rng.choice(ADJECTIVES), rng.choice(OBJECTS)] if rng.random() < 0.7 else [det, rng.choice(OBJECTS)]


def _when(rng: random.Random) -> list[str]:
    return rng.choice([[], [], ["today"], ["yesterday"], ["last", "summer"], ["last", "winter"],
                       ["at", "night"]])


def _sentence(rng: random.Random) -> list[tuple[list[str], str]]:
    """One sentence as (words, tag) parts; the template decides what each slot is."""
    kind = rng.randrange(7)
    subj = _people(rng)
    if kind == 0:    # harry potter and hermione granger invented a new spell
        rest = [(rng.choice(MAKE_VERBS).split(), "O"), (_thing(rng), "O")]
    elif kind == 1:  # anna flew from paris to rome
        rest = [(["flew", "from"], "O"), (_place(rng), "PLACE"), (["to"], "O"), (_place(rng), "PLACE")]
    elif kind == 2:  # tom met sydney green in vienna
        rest = [([rng.choice(MEET_VERBS)], "O"), (_person(rng), "PERSON"), (["in"], "O"),
                (_place(rng), "PLACE")]
    elif kind == 3:  # maria lives in florence
        rest = [(rng.choice([["lives", "in"], ["moved", "to"], ["visited"], ["stayed", "in"]]), "O"),
                (_place(rng), "PLACE")]
        if rng.random() < 0.3:
            rest += [(["and"], "O"), (_place(rng), "PLACE")]
    elif kind == 4:  # jordan called the young king
        noun = [rng.choice(["king", "baker"])]
        if rng.random() < 0.5:
            noun = [rng.choice(["young", "green", "old"])] + noun
        rest = [([rng.choice(MEET_VERBS)], "O"), (["the"] + noun, "O")]
    elif kind == 5:  # victoria painted the door green
        rest = [(["painted", "the", rng.choice(OBJECTS), rng.choice(["green", "brown", "red"])], "O")]
    else:            # the king of paris met omar
        subj = [(["the"] + rng.choice([["king"], ["baker"], ["young", "king"], ["old", "baker"]])
                 + ["of"], "O"),
                (_place(rng), "PLACE")]
        rest = [([rng.choice(MEET_VERBS)], "O"), (_person(rng), "PERSON")]
    return subj + rest + [(_when(rng), "O")]


@dataclass
class TaggedSentence:
    tokens: list[str]   # the words, lowercase
    tags: list[str]     # one tag per word (TAGS)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def make_tagged_sentences(n: int, seed: int = 0) -> list[TaggedSentence]:
    """n generated sentences, each with one tag per word; the same seed gives the same list."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for words, tag in _sentence(rng):
            tokens += words
            tags += [tag] * len(words)
        out.append(TaggedSentence(tokens, tags))
    return out


def tag_vocab() -> Vocab:
    """Every word the generator can produce, in a fixed order (ids never depend on a seed)."""
    words = (FIRST + SURNAMES + AMBIGUOUS + SURNAME_WORDS + CITIES + OBJECTS + ADJECTIVES
             + MAKE_VERBS + MEET_VERBS + TIMES
             + "a the and of to in from flew lives moved visited stayed york".split())
    return Vocab(dict.fromkeys(words))


def with_unknown_words(data: TensorDataset, rate: float, seed: int = 0) -> TensorDataset:
    """`data` followed by a copy in which a share `rate` of the words is replaced by <unk>
    (id 1), chosen with `seed`: the tagger learns to tag a word it has never seen from its
    context ("zara met tom": zara is a PERSON), instead of reading <unk>'s untrained row."""
    ids, tags = data.tensors
    g = torch.Generator().manual_seed(seed)
    hide = (torch.rand(ids.shape, generator=g) < rate) & (ids != 0)
    return TensorDataset(torch.cat([ids, ids.masked_fill(hide, 1)]), torch.cat([tags, tags]))


def encode_tagged(sentences: list[TaggedSentence], vocab: Vocab) -> TensorDataset:
    """(ids (N, T) right-padded with 0, tag ids (N, T) padded with PAD_TAG)."""
    t_max = max(len(s.tokens) for s in sentences)
    ids = torch.zeros(len(sentences), t_max, dtype=torch.long)
    tags = torch.full((len(sentences), t_max), PAD_TAG, dtype=torch.long)
    for row, s in enumerate(sentences):
        ids[row, :len(s.tokens)] = torch.tensor(vocab.encode(s.tokens))
        tags[row, :len(s.tags)] = torch.tensor([TAGS.index(t) for t in s.tags])
    return TensorDataset(ids, tags)


class WordTagger(nn.Module):
    """Many-to-many on words: ids (B, T) -> Embedding -> LSTM/GRU -> Linear per step ->
    logits (B, n_tags, T) (classes on dim 1, as cross_entropy wants for (B, T) targets).

    Padding (id 0, on the right) is packed away, so the backward direction starts at each
    sentence's own last word."""

    def __init__(self, vocab_size: int, embed_dim: int = 24, hidden_size: int = 32,
                 cell: str = "lstm", bidirectional: bool = True, n_tags: int = len(TAGS)):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(embed_dim, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, n_tags, T)
        lengths = (ids != 0).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.head(out).transpose(1, 2)


@torch.no_grad()
def tag_accuracy(model: nn.Module, data: TensorDataset) -> float:
    """Share of real (unpadded) words whose argmax tag is right."""
    was = model.training
    model.eval()
    ids, tags = data.tensors
    pred = model(ids).argmax(1)
    mask = tags != PAD_TAG
    model.train(was)
    return float((pred[mask] == tags[mask]).float().mean())


def majority_baseline(train: list[TaggedSentence], test: list[TaggedSentence]) -> float:
    """Per-word accuracy on `test` of a lookup: each word gets its most frequent training tag
    (unseen words: the most frequent tag overall). It reads no context."""
    counts: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    for s in train:
        for w, t in zip(s.tokens, s.tags):
            counts.setdefault(w, {}).setdefault(t, 0)
            counts[w][t] += 1
            overall[t] = overall.get(t, 0) + 1
    default = max(overall, key=overall.get)
    right = total = 0
    for s in test:
        for w, t in zip(s.tokens, s.tags):
            guess = max(counts[w], key=counts[w].get) if w in counts else default
            right += guess == t
            total += 1
    return right / total


@dataclass
class WordTagTask:
    """Training and held-out sentences, their tensors, and the settings of a short run."""
    n_train: int = 1500
    n_test: int = 400
    seed: int = 0
    steps: int = 120          # training steps (batches of `batch_size` sentences)
    batch_size: int = 32
    lr: float = 1e-2
    cell: str = "lstm"
    bidirectional: bool = True
    hidden_size: int = 24
    unknown_rate: float = 0.15   # words read as <unk> in a second copy of the training set

    def __post_init__(self):
        self.vocab = tag_vocab()
        self.train_sentences = make_tagged_sentences(self.n_train, self.seed)
        self.test_sentences = make_tagged_sentences(self.n_test, self.seed + HELD_OUT_SEED)
        self.train = with_unknown_words(encode_tagged(self.train_sentences, self.vocab),
                                        self.unknown_rate, self.seed)
        self.test = encode_tagged(self.test_sentences, self.vocab)

    def model(self) -> WordTagger:
        torch.manual_seed(self.seed)
        return WordTagger(len(self.vocab), hidden_size=self.hidden_size, cell=self.cell,
                          bidirectional=self.bidirectional)

    def config(self):
        from engine.train import TrainConfig
        return TrainConfig(lr=self.lr, batch_size=self.batch_size, epochs=10_000,
                           max_steps=self.steps, snapshot_every=25, seed=self.seed, device="cpu",
                           clip_grad_norm=5.0)

    def snapshot(self, model: nn.Module) -> dict:
        """{"test_accuracy": per-word accuracy on the held-out sentences}."""
        return {"test_accuracy": tag_accuracy(model, self.test)}

    def baseline(self) -> float:
        return majority_baseline(self.train_sentences, self.test_sentences)

    def run(self, model: nn.Module, on_step=None, control=None):
        """Train `model` in place (engine.train.fit, no test set: fit's accuracy would count
        padded steps); the snapshots carry the held-out accuracy. Returns fit's TrainResult."""
        from engine.train import fit
        return fit(self.config(), model, self.train, None, on_step or (lambda e: None), control,
                   snapshot_fn=self.snapshot)


def train_tagger(task: WordTagTask | None = None) -> tuple[WordTagger, float]:
    """A seeded short run on CPU: (trained model, held-out per-word accuracy)."""
    task = task or WordTagTask()
    model = task.model()
    task.run(model)
    return model.eval(), tag_accuracy(model, task.test)


@torch.no_grad()
def tag_sentence(model: nn.Module, vocab: Vocab, sentence: str
                 ) -> tuple[list[str], list[str], np.ndarray]:
    """(tokens, their tags, per-token probabilities (T, n_tags)); unknown words read as <unk>."""
    tokens = tokenize(sentence)
    if not tokens:
        raise ValueError("The sentence has no words to tag: type a few words first.")
    ids = torch.tensor([vocab.encode(tokens)])
    was = model.training
    model.eval()
    probs = torch.softmax(model(ids)[0], 0).T.numpy().astype(np.float32).copy()  # (T, n_tags)
    model.train(was)
    return tokens, [TAGS[int(k)] for k in probs.argmax(1)], probs


def unknown_words(vocab: Vocab, sentence: str) -> list[str]:
    """The words of `sentence` the vocabulary lacks (each reads as <unk>)."""
    return [t for t in tokenize(sentence) if t not in vocab]


def example_sentence(seed: int) -> str:
    """One generated sentence (for the GUI's sentence box)."""
    return make_tagged_sentences(1, seed)[0].text
