"""Word embeddings of the sentiment models: the table, nearest words, a 2-D model to watch train.

`embedding_table(model)` is the (vocab, dim) weight of `model.embedding` as numpy;
`nearest_words` ranks words by cosine similarity; `word_group` sorts a word into positive,
negative, negation/contrast, or other by the grammar's own word lists (the colours of the scatter
plot); `TwoDEmbeddingRun` builds a SentimentRNN with embedding_dim = 2 and its data, and its
`snapshot` returns a copy of the 2-D points for the page to move while the model trains.

The lecture notes' nn.Embedding: `lookup_example()` is `nn.Embedding(6, 2)` (seeded) applied to
the ids [[0, 1, 2], [3, 4, 5]], output (2, 3, 2): each id picks its row of the table.
`one_hot_product` computes the same row the long way, a one-hot vector times the table
(F.one_hot(i, V).float() @ weight), and `encoding_sizes` compares the two for a vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from engine.rnn_models import SentimentRNN, generated_sentiment_data
from engine.text import INTENSIFIERS, NEGATIVE, POSITIVE, Vocab, sentiment_vocab

NOTES_IDS = ((0, 1, 2), (3, 4, 5))  # the lecture notes' example batch: 2 sentences of 3 ids
GROUPS = ("positive", "negative", "negation / contrast", "intensifier", "other")
NEGATION_WORDS = {"not", "never", "no", "longer", "but", "although"}


def embedding_table(model) -> np.ndarray:
    """(vocab, dim) float32 copy of the model's embedding weights."""
    return model.embedding.weight.detach().cpu().numpy().astype(np.float32).copy()


def cosine_similarities(table: np.ndarray, index: int) -> np.ndarray:
    """(vocab,) cosine similarity of every row with row `index` (0 for all-zero rows)."""
    norms = np.linalg.norm(table, axis=1)
    denom = norms * norms[index]
    dots = table @ table[index]
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 1e-12)


def nearest_words(table: np.ndarray, words: list[str], word: str, k: int = 10,
                  skip: tuple[str, ...] = ("<pad>", "<unk>")) -> list[tuple[str, float]]:
    """The k words most similar (cosine) to `word`, best first, without the word itself."""
    if word not in words:
        raise KeyError(f"{word!r} is not in the vocabulary")
    index = words.index(word)
    sims = cosine_similarities(table, index)
    order = np.argsort(-sims, kind="stable")
    out = [(words[i], float(sims[i])) for i in order if i != index and words[i] not in skip]
    return out[:k]


def word_group(word: str) -> str:
    if word in POSITIVE:
        return "positive"
    if word in NEGATIVE:
        return "negative"
    if word in NEGATION_WORDS:
        return "negation / contrast"
    if word in INTENSIFIERS:
        return "intensifier"
    return "other"


@dataclass
class LookupExample:
    """An nn.Embedding and what it gives for a batch of ids (all numpy copies)."""
    weight: np.ndarray   # (V, E) the table
    ids: np.ndarray      # (B, T) int64 token ids
    output: np.ndarray   # (B, T, E) = embedding(ids): row ids[b, t] of the table at (b, t)


def lookup_example(num_embeddings: int = 6, embedding_dim: int = 2, ids=NOTES_IDS,
                   seed: int = 0) -> LookupExample:
    """`nn.Embedding(num_embeddings, embedding_dim)` made under `seed` (the global generator is
    left as it was) applied to `ids`, as in the notes: ids (2, 3) -> output (2, 3, 2)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        embedding = nn.Embedding(num_embeddings, embedding_dim)
    ids_t = torch.as_tensor(ids, dtype=torch.long)
    with torch.no_grad():
        out = embedding(ids_t)
    return LookupExample(embedding.weight.detach().numpy().copy(), ids_t.numpy().copy(),
                         out.numpy().copy())


def one_hot_product(weight: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-hot (V,), one-hot @ weight (E,)): the matrix product that the lookup of row
    `index` saves; the product equals weight[index]."""
    w = torch.as_tensor(np.asarray(weight, np.float32))
    one_hot = F.one_hot(torch.tensor(int(index)), w.shape[0]).float()
    return one_hot.numpy(), (one_hot @ w).numpy()


@dataclass
class EncodingSizes:
    """A word as a one-hot vector or as a dense embedding, for a vocabulary of V words."""
    vocab_size: int        # V
    embedding_dim: int     # E

    @property
    def one_hot_length(self) -> int:
        """Numbers per word as a one-hot vector (all 0 but one 1)."""
        return self.vocab_size

    @property
    def dense_length(self) -> int:
        """Numbers per word as an embedding vector (all learned)."""
        return self.embedding_dim

    @property
    def parameters(self) -> int:
        """Learned numbers of the table, V · E (nn.Embedding's weight)."""
        return self.vocab_size * self.embedding_dim


def encoding_sizes(vocab_size: int, embedding_dim: int) -> EncodingSizes:
    return EncodingSizes(int(vocab_size), int(embedding_dim))


@dataclass
class TwoDEmbeddingRun:
    """A SentimentRNN with 2-D word vectors, its data and what to snapshot while it trains."""
    cell: str = "lstm"          # "rnn", "lstm" or "gru"
    hidden_size: int = 16       # hidden units
    n_train: int = 3000         # generated training sentences
    n_test: int = 500           # generated test sentences (another seed)
    seed: int = 0               # seeds the weights and the corpus
    init_scale: float = 0.3     # shrinks nn.Embedding's N(0, 1) start, so the learned layout
                                # is not buried under the random one

    def __post_init__(self):
        self.vocab: Vocab = sentiment_vocab()
        torch.manual_seed(self.seed)
        self.model = SentimentRNN(len(self.vocab), embed_dim=2, hidden_size=self.hidden_size,
                                  cell=self.cell)
        with torch.no_grad():
            self.model.embedding.weight.mul_(self.init_scale)
        self.train, self.test = generated_sentiment_data(self.n_train, self.n_test, self.vocab,
                                                         seed=self.seed)

    @property
    def words(self) -> list[str]:
        return list(self.vocab.words)

    @staticmethod
    def snapshot(model) -> dict:
        """{"points": (vocab, 2) copy of the embedding weights}."""
        return {"points": embedding_table(model)}

    def datasets(self) -> tuple[TensorDataset, TensorDataset]:
        return self.train, self.test
