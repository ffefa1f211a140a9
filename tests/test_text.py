"""engine.text: tokenizer, vocabulary, the sentiment grammar, and the bag-of-words baseline
against the shipped LSTM."""
from collections import Counter

import numpy as np
import pytest
import torch

from engine.text import (PAD, UNK, BagOfWords, Vocab, encode_batch, make_sentiment_corpus,
                         sentiment_vocab, to_tokens, tokenize)


def test_tokenizer_lowercases_and_splits_punctuation():
    assert tokenize("The food was GOOD, not bad at all!") == \
        ["the", "food", "was", "good", ",", "not", "bad", "at", "all", "!"]
    assert tokenize("  ") == [] and tokenize("@#$%") == []
    assert tokenize("it's 2 good.") == ["it's", "2", "good", "."]


def test_vocab_pad_unk_encode_decode():
    v = Vocab(["b", "a", "b", PAD])
    assert v.words == [PAD, UNK, "b", "a"] and len(v) == 4
    assert v.encode(["a", "zzz", "b"]) == [3, 1, 2]
    assert v.decode([3, 1, 2, 99]) == ["a", UNK, "b", UNK]
    tokens, ids, unknown = to_tokens("A zzz b", v)
    assert tokens == ["a", "zzz", "b"] and ids == [3, 1, 2] and unknown == [False, True, False]
    assert Vocab.from_sentences(["x y", "y z"]).words == [PAD, UNK, "x", "y", "z"]


def test_encode_batch_right_pads():
    v = Vocab(["a", "b"])
    ids, lengths = encode_batch(["a b a", "b"], v)
    assert ids.tolist() == [[2, 3, 2], [3, 0, 0]] and lengths.tolist() == [3, 1]


def test_corpus_is_balanced_deterministic_and_in_vocabulary():
    s, labels = make_sentiment_corpus(2000, seed=3)
    assert len(s) == len(labels) == 2000
    assert 0.45 < np.mean(labels) < 0.55
    assert make_sentiment_corpus(50, seed=3) == (s[:50], labels[:50])
    v = sentiment_vocab()
    assert all(1 not in v.encode(tokenize(x)) for x in s)  # the grammar never leaves the vocab
    words = Counter(t for x in s for t in tokenize(x))
    for w in ("not", "never", "longer", "but", "although", "at", "all", "very"):
        assert words[w] > 0


def test_word_order_decides_the_label():
    s, labels = make_sentiment_corpus(3000, seed=1)
    by_bag = {}
    for x, y in zip(s, labels):
        by_bag.setdefault(tuple(sorted(tokenize(x))), set()).add(y)
    # Many multisets of words occur with BOTH labels: no bag of words can get those right.
    ambiguous = sum(1 for ys in by_bag.values() if len(ys) == 2)
    assert ambiguous > 0.3 * len(by_bag)
    pairs = dict(zip(s, labels))
    assert pairs.get("the food was great but the service was slow", 0) == 0


def test_later_clause_wins_after_but():
    """In 'A but B' without negation in B, the label is the polarity of B's adjective."""
    from engine.text import NEGATIVE, POSITIVE
    s, labels = make_sentiment_corpus(4000, seed=2)
    checked = 0
    for x, y in zip(s, labels):
        t = tokenize(x)
        if "but" not in t:
            continue
        second = t[t.index("but") + 1:]
        if {"not", "never", "longer"} & set(second):
            continue
        adjectives = [w for w in second if w in POSITIVE or w in NEGATIVE]
        assert len(adjectives) == 1 and y == int(adjectives[0] in POSITIVE), x
        checked += 1
    assert checked > 100


def test_bag_of_words_is_near_chance_and_the_shipped_lstm_wins():
    from engine.models import MODELS_DIR, load_checkpoint
    from engine.rnn_models import model_vocab
    path = MODELS_DIR / "sentiment_lstm.pt"
    if not path.exists():
        pytest.skip("run scripts/make_sentiment_models.py first")
    train_s, train_l = make_sentiment_corpus(3000, seed=5)
    test_s, test_l = make_sentiment_corpus(600, seed=77)
    bow = BagOfWords(sentiment_vocab()).fit(train_s, train_l).accuracy(test_s, test_l)
    model, meta = load_checkpoint(path, expect_arch="sentiment_rnn")
    ids, _ = encode_batch(test_s, model_vocab(meta))
    with torch.no_grad():
        pred = model(torch.from_numpy(ids)).argmax(1).numpy()
    lstm = float(np.mean(pred == np.array(test_l)))
    assert bow < 0.7
    assert lstm > 0.9 and lstm > bow + 0.2
