"""engine.rnn_step: the step-through page's numbers are torch's (inputs, equation terms,
parameter lists), input parsing, and a seeded model that leaves the global RNG alone."""
import numpy as np
import pytest
import torch
from torch import nn

from engine.rnn_step import (
    MAX_TOKENS, default_signal_text, equation_terms, parse_samples, rnn_parameters,
    seeded_step_model, sequence_tokens, trained_step_model,
)


def test_equation_numbers_are_what_torch_computes():
    m = seeded_step_model("words", "the film was not good", hidden=5, features=3, seed=7)
    x = torch.from_numpy(m.x)[None]  # (1, T, 3)
    with torch.no_grad():
        out, _ = m.rnn(x)  # (1, T, 5)
    w_ih, w_hh = m.rnn.weight_ih_l0.detach(), m.rnn.weight_hh_l0.detach()
    b = (m.rnn.bias_ih_l0 + m.rnn.bias_hh_l0).detach()
    t, j = 3, 2
    p = equation_terms(m, t, j)
    assert p.wx == pytest.approx(float(w_ih[j] @ x[0, t]), abs=1e-5)
    assert p.wh == pytest.approx(float(w_hh[j] @ out[0, t - 1]), abs=1e-5)
    assert p.b == pytest.approx(float(b[j]), abs=1e-6)
    assert p.h == pytest.approx(float(out[0, t, j]), abs=1e-5)
    assert p.h == pytest.approx(np.tanh(p.z), abs=1e-5)
    # the spelled-out products sum to the terms
    assert float(p.w_x_row @ p.x) == pytest.approx(p.wx, abs=1e-5)
    assert float(p.w_h_row @ p.h_prev) == pytest.approx(p.wh, abs=1e-5)
    np.testing.assert_allclose(p.h_prev, out[0, t - 1].numpy(), atol=1e-6)
    # at t = 0 the previous state is h_0 = 0, so W_h h_0 contributes nothing
    p0 = equation_terms(m, 0, j)
    assert not p0.h_prev.any() and p0.wh == pytest.approx(0.0, abs=1e-6)
    # the same word gets the same input vector (one embedding row per word)
    m2 = seeded_step_model("words", "good good", hidden=2, features=3)
    np.testing.assert_array_equal(m2.x[0], m2.x[1])


def test_seeded_model_is_reproducible_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = seeded_step_model("chars", "abcab", hidden=3, features=2, seed=5)
    after = torch.rand(3)
    np.testing.assert_array_equal(after.numpy(), expected.numpy())
    b = seeded_step_model("chars", "abcab", hidden=3, features=2, seed=5)
    c = seeded_step_model("chars", "abcab", hidden=3, features=2, seed=6)
    assert torch.equal(a.rnn.weight_hh_l0, b.rnn.weight_hh_l0)
    assert not torch.equal(a.rnn.weight_hh_l0, c.rnn.weight_hh_l0)
    assert a.tokens == list("abcab") and a.x.shape == (5, 2)


def test_signal_and_bad_input():
    m = seeded_step_model("signal", "0.5, -1 2", hidden=3, features=9)
    assert m.x.shape == (3, 1) and m.rnn.input_size == 1          # a signal is its own input
    np.testing.assert_array_equal(m.x[:, 0], [0.5, -1.0, 2.0])
    assert m.tokens == ["0.50", "-1.00", "2.00"]
    with pytest.raises(ValueError, match="'oops' is not a number"):
        seeded_step_model("signal", "0.5, oops, 1")
    with pytest.raises(ValueError, match="not a finite number"):
        parse_samples("1, inf")
    with pytest.raises(ValueError, match="at least one word"):
        sequence_tokens("words", "   ")
    with pytest.raises(ValueError, match="at least one character"):
        sequence_tokens("chars", "")
    assert parse_samples("1; -2.5 3e-1") == [1.0, -2.5, 0.3]
    samples = parse_samples(default_signal_text(12))
    np.testing.assert_allclose(samples, np.round(np.sin(2 * np.pi * np.arange(12) / 12), 2),
                               atol=0.011)


def test_long_input_is_truncated():
    m = seeded_step_model("words", " ".join(["word"] * 60))
    assert m.truncated and len(m.tokens) == MAX_TOKENS and m.x.shape[0] == MAX_TOKENS
    assert not seeded_step_model("words", "a b").truncated


def test_trained_model_marks_unknown_words_and_gives_its_own_verdict():
    from engine.models import MODELS_DIR
    assert (MODELS_DIR / "sentiment_rnn.pt").is_file(), "a shipped model is missing"
    from engine.rnn_models import load_sentiment_model
    model, vocab, _meta = load_sentiment_model("sentiment_rnn")
    m = trained_step_model(model, vocab, "the film was not good , zorg")
    assert m.tokens[-1] == "zorg→<unk>" and m.tokens[0] == "the"
    ids = vocab.encode("the film was not good".split())
    with torch.no_grad():
        logits = model(torch.tensor([ids]))
    assert m.positive[4] == pytest.approx(float(torch.softmax(logits, 1)[0, 1]), abs=1e-5)
    with pytest.raises(ValueError, match="at least one word"):
        trained_step_model(model, vocab, " ")


@pytest.mark.parametrize("cell, layers, bidirectional", [("lstm", 2, True), ("gru", 1, False),
                                                         ("rnn", 3, True)])
def test_parameters_match_a_real_module(cell, layers, bidirectional):
    params, total = rnn_parameters(cell, 5, 7, layers, bidirectional)
    real = getattr(nn, cell.upper())(5, 7, num_layers=layers, bidirectional=bidirectional)
    assert params == [(n, tuple(p.shape)) for n, p in real.named_parameters()]
    assert total == sum(p.numel() for p in real.parameters())
