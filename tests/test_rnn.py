"""engine.rnn traces against torch's own nn.RNN / nn.LSTM / nn.GRU, the clamp intervention,
the code/shape strings, and the sentiment model's per-token predictions."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine.rnn import gru_trace, lstm_trace, rnn_code, rnn_shapes, rnn_trace, trace_module

TOL = 1e-5


def torch_run(module, x, state=None):
    """(output (T, D*H), final state(s) with the batch axis removed) for x (T, I) as a batch of one."""
    xb = x.unsqueeze(0) if module.batch_first else x.unsqueeze(1)
    with torch.no_grad():
        out, st_ = module(xb, state)
    out = out[0] if module.batch_first else out[:, 0]
    if isinstance(st_, tuple):
        return out.numpy(), tuple(s[:, 0].numpy() for s in st_)
    return out.numpy(), (st_[:, 0].numpy(),)


CASES = [(layers, bi, bf) for layers in (1, 2, 3) for bi in (False, True) for bf in (False, True)]


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers,bi,bf", CASES)
def test_rnn_trace_equals_torch(nonlinearity, layers, bi, bf):
    torch.manual_seed(layers * 7 + bi * 3 + bf)
    m = nn.RNN(5, 6, num_layers=layers, nonlinearity=nonlinearity, bidirectional=bi,
               batch_first=bf).eval()
    x = torch.randn(8, 5)
    tr = rnn_trace(m, x)
    out, (h_n,) = torch_run(m, x)
    D = 2 if bi else 1
    assert tr.h.shape == (layers, D, 8, 6)
    assert tr.output.shape == (8, D * 6)
    np.testing.assert_allclose(tr.output, out, atol=TOL)
    np.testing.assert_allclose(tr.h_n, h_n, atol=TOL)
    # The pre-activations add up to the hidden state, step by step.
    act = np.tanh if nonlinearity == "tanh" else (lambda v: np.maximum(v, 0))
    np.testing.assert_allclose(act(tr.pre_x + tr.pre_h), tr.h, atol=TOL)
    if nonlinearity == "relu":
        assert (tr.h >= 0).all()


def test_rnn_pre_terms_are_the_documented_products():
    torch.manual_seed(1)
    m = nn.RNN(3, 4).eval()
    x = torch.randn(5, 3)
    tr = rnn_trace(m, x)
    W_ih, W_hh = m.weight_ih_l0.detach().numpy(), m.weight_hh_l0.detach().numpy()
    b_ih, b_hh = m.bias_ih_l0.detach().numpy(), m.bias_hh_l0.detach().numpy()
    np.testing.assert_allclose(tr.pre_x[0, 0], x.numpy() @ W_ih.T + b_ih, atol=TOL)
    h_prev = np.vstack([np.zeros((1, 4)), tr.h[0, 0, :-1]])
    np.testing.assert_allclose(tr.pre_h[0, 0], h_prev @ W_hh.T + b_hh, atol=TOL)


@pytest.mark.parametrize("layers,bi,bf", CASES)
def test_lstm_trace_equals_torch(layers, bi, bf):
    torch.manual_seed(layers * 11 + bi * 5 + bf)
    m = nn.LSTM(4, 7, num_layers=layers, bidirectional=bi, batch_first=bf).eval()
    x = torch.randn(9, 4)
    tr = lstm_trace(m, x)
    out, (h_n, c_n) = torch_run(m, x)
    D = 2 if bi else 1
    for name in "ifgoch":
        assert getattr(tr, name).shape == (layers, D, 9, 7)
    np.testing.assert_allclose(tr.output, out, atol=TOL)
    np.testing.assert_allclose(tr.h_n, h_n, atol=TOL)
    np.testing.assert_allclose(tr.c_n, c_n, atol=TOL)
    # Gates obey the LSTM equations in the trace itself.
    assert (tr.f > 0).all() and (tr.f < 1).all() and (np.abs(tr.g) < 1).all()
    np.testing.assert_allclose(tr.h, tr.o * np.tanh(tr.c), atol=TOL)


def test_lstm_gates_match_hand_computation_first_step():
    torch.manual_seed(2)
    m = nn.LSTM(3, 2).eval()
    x = torch.randn(1, 3)
    tr = lstm_trace(m, x)
    pre = (m.weight_ih_l0 @ x[0] + m.bias_ih_l0 + m.bias_hh_l0).detach().numpy()  # h0 = 0
    sig = 1 / (1 + np.exp(-pre))
    np.testing.assert_allclose(tr.i[0, 0, 0], sig[0:2], atol=TOL)
    np.testing.assert_allclose(tr.f[0, 0, 0], sig[2:4], atol=TOL)
    np.testing.assert_allclose(tr.g[0, 0, 0], np.tanh(pre[4:6]), atol=TOL)
    np.testing.assert_allclose(tr.o[0, 0, 0], sig[6:8], atol=TOL)


@pytest.mark.parametrize("layers,bi,bf", CASES)
def test_gru_trace_equals_torch(layers, bi, bf):
    torch.manual_seed(layers * 13 + bi * 2 + bf)
    m = nn.GRU(6, 5, num_layers=layers, bidirectional=bi, batch_first=bf).eval()
    x = torch.randn(7, 6)
    tr = gru_trace(m, x)
    out, (h_n,) = torch_run(m, x)
    for name in "rznh":
        assert getattr(tr, name).shape == (layers, 2 if bi else 1, 7, 5)
    np.testing.assert_allclose(tr.output, out, atol=TOL)
    np.testing.assert_allclose(tr.h_n, h_n, atol=TOL)
    # h_t = (1 - z) n + z h_{t-1} for the first layer, forward direction.
    h_prev = np.vstack([np.zeros((1, 5)), tr.h[0, 0, :-1]])
    np.testing.assert_allclose(tr.h[0, 0], (1 - tr.z[0, 0]) * tr.n[0, 0] + tr.z[0, 0] * h_prev, atol=TOL)


def test_initial_states_are_used():
    torch.manual_seed(3)
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        m = cls(3, 4, num_layers=2, bidirectional=True).eval()
        x = torch.randn(6, 3)
        h0 = torch.randn(4, 1, 4)
        if cls is nn.LSTM:
            c0 = torch.randn(4, 1, 4)
            tr = lstm_trace(m, x, h0=h0, c0=c0)
            out, (h_n, c_n) = torch_run(m, x, (h0, c0))
            np.testing.assert_allclose(tr.c_n, c_n, atol=TOL)
            np.testing.assert_allclose(tr.c0, c0[:, 0].reshape(2, 2, 4), atol=0)
        else:
            tr = trace_module(m, x, h0=h0[:, 0])  # (L*D, H) without the batch axis works too
            out, (h_n,) = torch_run(m, x, h0)
        np.testing.assert_allclose(tr.output, out, atol=TOL)
        np.testing.assert_allclose(tr.h_n, h_n, atol=TOL)
        zero = trace_module(m, x)
        assert np.abs(zero.output - tr.output).max() > 1e-3  # the state really mattered


def test_bias_free_and_numpy_input():
    torch.manual_seed(4)
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        m = cls(3, 4, bias=False).eval()
        x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
        out, _ = torch_run(m, torch.from_numpy(x))
        np.testing.assert_allclose(trace_module(m, x).output, out, atol=TOL)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), input_size=st.integers(1, 9),
       hidden=st.integers(1, 12), layers=st.integers(1, 3), bi=st.booleans(), bf=st.booleans(),
       T=st.integers(1, 12), seed=st.integers(0, 1000))
def test_traces_equal_torch_over_sizes(kind, input_size, hidden, layers, bi, bf, T, seed):
    torch.manual_seed(seed)
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    m = cls(input_size, hidden, num_layers=layers, bidirectional=bi, batch_first=bf).eval()
    x = torch.randn(T, input_size) * 2
    tr = trace_module(m, x)
    out, finals = torch_run(m, x)
    assert tr.h.shape == (layers, 2 if bi else 1, T, hidden)
    np.testing.assert_allclose(tr.output, out, atol=TOL)
    np.testing.assert_allclose(tr.h_n, finals[0], atol=TOL)


def test_clamp_forget_open_input_closed_keeps_cell_constant():
    torch.manual_seed(5)
    m = nn.LSTM(3, 6).eval()
    x = torch.randn(10, 3)
    free = lstm_trace(m, x)
    tr = lstm_trace(m, x, clamp={"f": 1.0, "i": 0.0}, clamp_from=4)
    # Before the clamp everything is the module's own computation.
    np.testing.assert_allclose(tr.c[0, 0, :4], free.c[0, 0, :4], atol=TOL)
    assert (tr.f[0, 0, 4:] == 1).all() and (tr.i[0, 0, 4:] == 0).all()
    # From step 4 on the cell never changes: c_t = 1 * c_{t-1} + 0 * g.
    for t in range(4, 10):
        np.testing.assert_allclose(tr.c[0, 0, t], free.c[0, 0, 3], atol=1e-7)
    assert np.abs(tr.output - free.output).max() > 1e-4  # the intervention shows in the output


def test_clamp_forget_zero_erases_memory_and_units_subset():
    torch.manual_seed(6)
    m = nn.LSTM(3, 5).eval()
    x = torch.randn(8, 3)
    tr = lstm_trace(m, x, clamp={"f": 0.0}, clamp_from=2)
    np.testing.assert_allclose(tr.c[0, 0, 2:], (tr.i * tr.g)[0, 0, 2:], atol=1e-6)
    only = lstm_trace(m, x, clamp={"f": 0.0}, clamp_from=2, clamp_units=[1, 3])
    assert (only.f[0, 0, 2:, [1, 3]] == 0).all() and (only.f[0, 0, 2:, [0, 2, 4]] > 0).all()
    with pytest.raises(ValueError):
        lstm_trace(m, x, clamp={"q": 1.0})


def test_bad_inputs_raise_clear_errors():
    m = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="T, input_size"):
        lstm_trace(m, torch.randn(2, 5, 3))
    with pytest.raises(TypeError):
        rnn_trace(m, torch.randn(5, 3))
    with pytest.raises(ValueError):
        lstm_trace(m, torch.randn(5, 3), h0=torch.zeros(3))


def test_shapes_and_code_are_what_torch_reports():
    s = rnn_shapes("lstm", input_size=8, hidden_size=16, num_layers=2, bidirectional=True,
                   batch=3, seq_len=5)
    assert s == {"input": (3, 5, 8), "output": (3, 5, 32), "h_n": (4, 3, 16), "c_n": (4, 3, 16)}
    assert "c_n" not in rnn_shapes("gru")
    code = rnn_code("gru", input_size=8, hidden_size=16, num_layers=1, seq_len=5)
    assert "nn.GRU(input_size=8, hidden_size=16, num_layers=1, batch_first=True, bidirectional=False)" in code
    assert "(1, 5, 16)" in code
    namespace = {}
    exec(code, namespace)  # the code runs and produces the shapes it claims
    assert tuple(namespace["output"].shape) == (1, 5, 16)
    assert "nonlinearity='relu'" in rnn_code("rnn", nonlinearity="relu")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bi", [False, True])
def test_per_token_prediction_equals_model_on_prefixes(cell, bi):
    from engine.rnn_models import SentimentRNN, predict_per_token
    torch.manual_seed(7)
    m = SentimentRNN(30, 8, 6, cell=cell, num_layers=2, bidirectional=bi).eval()
    ids = [5, 9, 2, 17, 3, 1, 22]
    p = predict_per_token(m, ids)
    with torch.no_grad():
        for t in (0, 3, 6):
            want = torch.softmax(m(torch.tensor([ids[:t + 1]])), dim=-1)[0, 1].item()
            assert abs(p[t] - want) < 1e-5
        # Right padding does not change the prediction (the model packs by length).
        padded = torch.tensor([ids + [0, 0, 0]])
        assert abs(torch.softmax(m(padded), -1)[0, 1].item() - p[-1]) < 1e-5
