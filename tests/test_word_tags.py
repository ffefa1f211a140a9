"""Word-level tagging: generated sentences with a tag per word, and a recurrent tagger that reads
context (a bidirectional LSTM) beating a per-word lookup on held-out sentences."""
import numpy as np
import pytest
import torch

from engine.text import tokenize
from engine.word_tags import (
    AMBIGUOUS, SURNAME_WORDS, TAGS, WordTagTask, encode_tagged, example_sentence,
    majority_baseline, make_tagged_sentences, tag_sentence, tag_vocab, train_tagger,
    with_unknown_words,
)


@pytest.fixture(scope="module")
def trained():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: two threads only fight on a shared machine
    try:
        task = WordTagTask(seed=0)
        model, acc = train_tagger(task)
    finally:
        torch.set_num_threads(threads)
    return task, model, acc


def test_generator_is_deterministic_by_seed_and_tags_align_with_tokens():
    a, b, c = make_tagged_sentences(50, 3), make_tagged_sentences(50, 3), make_tagged_sentences(50, 4)
    assert [s.tokens for s in a] == [s.tokens for s in b] and [s.tags for s in a] == [s.tags for s in b]
    assert [s.tokens for s in a] != [s.tokens for s in c]
    vocab = tag_vocab()
    for s in make_tagged_sentences(300, 0):
        assert len(s.tokens) == len(s.tags) and set(s.tags) <= set(TAGS)
        assert tokenize(s.text) == s.tokens      # the text box gives the same words back
        assert all(w in vocab for w in s.tokens)
    assert example_sentence(5) == make_tagged_sentences(1, 5)[0].text


def test_some_words_change_tag_with_their_context():
    seen: dict[str, set] = {}
    for s in make_tagged_sentences(1500, 0):
        for w, t in zip(s.tokens, s.tags):
            seen.setdefault(w, set()).add(t)
    for w in AMBIGUOUS:
        assert seen[w] == {"PERSON", "PLACE"}, w
    for w in SURNAME_WORDS:
        assert seen[w] == {"PERSON", "O"}, w
    assert seen["new"] == {"O", "PLACE"}


def test_encoding_pads_words_with_0_and_tags_with_the_ignore_index():
    sents = make_tagged_sentences(5, 1)
    ids, tags = encode_tagged(sents, tag_vocab()).tensors
    for row, s in enumerate(sents):
        n = len(s.tokens)
        assert ids[row, :n].tolist() == tag_vocab().encode(s.tokens) and (ids[row, n:] == 0).all()
        assert [TAGS[k] for k in tags[row, :n].tolist()] == s.tags and (tags[row, n:] == -100).all()


def test_trained_tagger_beats_the_per_word_majority_baseline(trained):
    task, model, acc = trained
    baseline = task.baseline()
    assert 0.85 < baseline < 0.95      # a lookup gets most words, never the context-dependent ones
    assert acc >= 0.97 and acc > baseline + 0.03
    # on the words whose tag depends on context, the lookup is near a coin flip; the tagger is not
    right = base_right = total = 0
    lookup = {}
    for s in task.train_sentences:
        for w, t in zip(s.tokens, s.tags):
            lookup.setdefault(w, []).append(t)
    majority = {w: max(set(ts), key=ts.count) for w, ts in lookup.items()}
    with torch.no_grad():
        pred = model(task.test.tensors[0]).argmax(1)   # (N, T), the whole held-out set at once
    for row, s in enumerate(task.test_sentences):
        tags = [TAGS[k] for k in pred[row, :len(s.tokens)].tolist()]
        for w, t, p in zip(s.tokens, s.tags, tags):
            if w in AMBIGUOUS or w in SURNAME_WORDS or w == "new":
                total += 1
                right += p == t
                base_right += majority[w] == t
    assert total > 200
    assert right / total >= 0.95 and base_right / total < 0.8


def test_majority_baseline_counts_a_worked_example():
    from engine.word_tags import TaggedSentence
    train = [TaggedSentence(["paris", "met", "tom"], ["PERSON", "O", "PERSON"]),
             TaggedSentence(["tom", "flew", "to", "paris"], ["PERSON", "O", "O", "PLACE"]),
             TaggedSentence(["anna", "visited", "paris"], ["PERSON", "O", "PLACE"])]
    test = [TaggedSentence(["paris", "met", "zed"], ["PERSON", "O", "PERSON"])]
    # paris -> PLACE (2 of 3): wrong; met -> O: right; zed unseen -> most frequent tag overall
    # (PERSON 4, O 4, PLACE 2: the first counted of the tie, PERSON): right
    assert majority_baseline(train, test) == pytest.approx(2 / 3)


def test_tag_sentence_gives_tokens_tags_and_probabilities(trained):
    task, model, _ = trained
    tokens, tags, probs = tag_sentence(model, task.vocab, "Anna flew from Paris to Rome")
    assert tokens == ["anna", "flew", "from", "paris", "to", "rome"]
    assert tags == ["PERSON", "O", "O", "PLACE", "O", "PLACE"]
    assert probs.shape == (6, len(TAGS)) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    # the probabilities are the model's own softmax
    with torch.no_grad():
        logits = model(torch.tensor([task.vocab.encode(tokens)]))[0]
    np.testing.assert_allclose(probs, torch.softmax(logits, 0).T.numpy(), atol=1e-6)
    # the same word, another context: paris the person
    _, tags, _ = tag_sentence(model, task.vocab, "paris green met harry potter in london")
    assert tags == ["PERSON", "PERSON", "O", "PERSON", "PERSON", "O", "PLACE"]
    # unknown words read as <unk> and still get a tag each
    tokens, tags, probs = tag_sentence(model, task.vocab, "zorblax flew to rome")
    assert len(tags) == 4 and probs.shape == (4, 3)


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_an_empty_sentence_is_a_clear_error(trained, text):
    task, model, _ = trained
    tokens = tokenize(text)
    if tokens:  # punctuation alone still has tokens: it is tagged, not refused
        assert tag_sentence(model, task.vocab, text)[0] == tokens
        return
    with pytest.raises(ValueError, match="no words"):
        tag_sentence(model, task.vocab, text)


def test_words_never_seen_are_tagged_by_their_context(trained):
    """Trained with some words read as <unk>, the tagger tags a new name from the words
    around it (a lookup of the word itself cannot)."""
    task, model, _acc = trained
    for sentence, expected in (("zara met tom in paris", ["PERSON", "O", "PERSON", "O", "PLACE"]),
                               ("tom flew from paris to zagreb",
                                ["PERSON", "O", "O", "PLACE", "O", "PLACE"])):
        assert "zara" not in task.vocab and "zagreb" not in task.vocab
        assert tag_sentence(model, task.vocab, sentence)[1] == expected


def test_the_unknown_word_copy_hides_the_stated_share_of_words():
    ids = torch.arange(2, 2002).reshape(100, 20)
    tags = torch.zeros(100, 20, dtype=torch.long)
    both = with_unknown_words(torch.utils.data.TensorDataset(ids, tags), rate=0.25, seed=3)
    first, second = both.tensors[0][:100], both.tensors[0][100:]
    assert torch.equal(first, ids) and torch.equal(both.tensors[1][100:], tags)
    hidden = (second == 1).float().mean().item()
    assert 0.2 < hidden < 0.3 and torch.equal(second[second != 1], ids[second != 1])
