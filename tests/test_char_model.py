"""The character model: vocabulary, text files (good and bad), training windows, generation."""
import numpy as np
import pytest
import torch

from engine.char_model import (
    MIN_TEXT_CHARS, UNKNOWN_CHAR, CharRNN, CharVocab, TextFileError, builtin_corpus, generate,
    load_text_file, make_training_windows,
)
from engine.models import build_model, load_checkpoint, save_checkpoint

TEXT = "the cat sat on the mat. " * 20


def test_vocab_round_trip_and_unknown_characters():
    v = CharVocab.from_text("abcab ")
    assert v.chars == UNKNOWN_CHAR + " abc" and len(v) == 5
    assert v.decode(v.encode("cab a")) == "cab a"
    assert v.encode("az") == [2, 0]  # z was never seen: index 0
    assert v.unknown("zebra!z") == "zer!"
    assert CharVocab(v.chars).chars == v.chars  # rebuilt from a checkpoint's string


def test_load_text_file_reads_utf8_and_truncates(tmp_path):
    p = tmp_path / "ok.txt"
    p.write_text("Grüße aus Köln. " * 30, encoding="utf-8")
    f = load_text_file(p)
    assert f.text.startswith("Grüße") and not f.truncated and "480" in f.notice
    big = load_text_file(p, max_chars=250)
    assert big.truncated and len(big.text) == 250 and big.original_chars == 480
    assert "only the first 250" in big.notice


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b"  \n\n ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary"),
    ("caf\xe9 ".encode("latin-1") * 100, "not UTF-8"),
    (b"too short", "too short"),
])
def test_bad_text_files_get_a_clear_reason(tmp_path, content, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(TextFileError, match=reason):
        load_text_file(p)


def test_missing_file(tmp_path):
    with pytest.raises(TextFileError, match="no file"):
        load_text_file(tmp_path / "nope.txt")


def test_training_windows_are_shifted_by_one():
    v = CharVocab.from_text(TEXT)
    data = make_training_windows(TEXT, v, seq_len=10, stride=5)
    x, y = data.tensors
    assert x.shape[1] == 10 and x.shape == y.shape
    assert v.decode(x[1].tolist()) == TEXT[5:15] and v.decode(y[1].tolist()) == TEXT[6:16]


def test_char_rnn_shapes_and_step_agree_with_forward():
    torch.manual_seed(0)
    m = CharRNN(7, embed_dim=4, hidden_size=6, cell="gru").eval()
    x = torch.randint(0, 7, (3, 9))
    logits = m(x)
    assert logits.shape == (3, 7, 9)
    # feeding the sequence in two halves with the carried state gives the same logits
    a, state = m.step(x[:, :4])
    b, _ = m.step(x[:, 4:], state)
    torch.testing.assert_close(torch.cat([a, b], 1).transpose(1, 2), logits, atol=1e-6, rtol=1e-5)


def test_generate_reports_the_sampled_distribution():
    torch.manual_seed(1)
    v = CharVocab.from_text(TEXT)
    m = CharRNN(len(v), embed_dim=4, hidden_size=8)
    g = generate(m, v, "the ", length=12, temperature=1.0, seed=3)
    assert len(g.generated) == 12 and len(g.top) == 12 and g.text == "the " + g.generated
    for guesses in g.top:
        probs = [p for _c, p in guesses]
        assert len(guesses) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
    # the first guesses are softmax of the model's logits after the prompt
    logits, _ = m.step(torch.tensor([v.encode("the ")]))
    expected = torch.softmax(logits[0, -1], 0).topk(5)
    assert [c for c, _ in g.top[0]] == [v.chars[i] for i in expected.indices.tolist()]
    np.testing.assert_allclose([p for _, p in g.top[0]], expected.values.detach().numpy(), rtol=1e-5)
    # same seed, same text; greedy picks the top guess every time
    assert generate(m, v, "the ", 12, 1.0, seed=3).generated == g.generated
    greedy = generate(m, v, "the ", 12, temperature=0)
    assert all(ch == guesses[0][0] for ch, guesses in zip(greedy.generated, greedy.top))
    assert generate(m, v, "the Z", 2).unknown == "Z"


def test_char_model_checkpoint_round_trip(tmp_path):
    v = CharVocab.from_text(TEXT)
    kwargs = {"vocab_size": len(v), "embed_dim": 4, "hidden_size": 8, "cell": "lstm", "num_layers": 1}
    m = build_model("char_rnn", **kwargs)
    save_checkpoint(tmp_path / "c.pt", m, {"arch": "char_rnn", "kwargs": kwargs, "vocab": v.chars})
    m2, meta = load_checkpoint(tmp_path / "c.pt", expect_arch="char_rnn")
    assert isinstance(m2, CharRNN) and CharVocab(meta["vocab"]).chars == v.chars
    x = torch.randint(0, len(v), (1, 5))
    torch.testing.assert_close(m2(x), m.eval()(x))


def test_builtin_corpus_is_long_enough():
    text = builtin_corpus()
    assert len(text) > 20 * MIN_TEXT_CHARS


def test_shipped_char_model_writes_corpus_like_text():
    from engine.char_model import load_char_model
    model, vocab, meta = load_char_model()
    assert meta["train_loss"] < 1.5  # nats per character on its corpus
    g = generate(model, vocab, "The keeper ", 60, temperature=0.3, seed=0)
    words = set(builtin_corpus().split())
    made = g.generated.split()[:-1]  # the last word may be cut off
    assert made and sum(w in words for w in made) / len(made) > 0.5
