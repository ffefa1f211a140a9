"""The gate equations of one unit, with numbers that agree with torch's own layers."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from engine.gate_equations import unit_equations
from engine.rnn import trace_module


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_unit_equations_hold_with_torchs_numbers(seed):
    torch.manual_seed(seed)
    lstm = nn.LSTM(5, 7, batch_first=True)
    x = torch.randn(1, 6, 5)
    trace = trace_module(lstm, x[0])
    with torch.no_grad():
        out, _ = lstm(x)
    for t in (0, 3, 5):
        for u in (0, 6):
            eq = unit_equations(lstm, trace, t, u)
            g = {term.name: term for term in eq.gates}
            assert [term.name for term in eq.gates] == ["f", "i", "g", "o"]
            for name in "fio":
                assert sigmoid(g[name].pre) == pytest.approx(g[name].value, abs=1e-5)
            assert math.tanh(g["g"].pre) == pytest.approx(g["g"].value, abs=1e-5)
            assert eq.c == pytest.approx(g["f"].value * eq.c_prev + g["i"].value * g["g"].value,
                                         abs=1e-5)
            assert eq.h == pytest.approx(g["o"].value * math.tanh(eq.c), abs=1e-5)
            assert eq.h == pytest.approx(float(out[0, t, u]), abs=1e-5)     # torch's h_t
            assert eq.c_prev == (0.0 if t == 0 else pytest.approx(float(trace.c[0, 0, t - 1, u])))


def test_gru_unit_equations_hold_with_torchs_numbers():
    torch.manual_seed(3)
    gru = nn.GRU(4, 6, batch_first=True)
    x = torch.randn(1, 5, 4)
    trace = trace_module(gru, x[0])
    with torch.no_grad():
        out, _ = gru(x)
    for t in range(5):
        eq = unit_equations(gru, trace, t, 2)
        r, z, n = eq.gates
        assert sigmoid(r.pre) == pytest.approx(r.value, abs=1e-5)
        assert sigmoid(z.pre) == pytest.approx(z.value, abs=1e-5)
        assert math.tanh(n.pre) == pytest.approx(n.value, abs=1e-5)
        assert eq.h == pytest.approx((1 - z.value) * n.value + z.value * eq.h_prev, abs=1e-5)
        assert eq.h == pytest.approx(float(out[0, t, 2]), abs=1e-5)


def test_rnn_unit_equation_and_a_clamped_gate():
    torch.manual_seed(4)
    rnn = nn.RNN(3, 4, batch_first=True)
    x = torch.randn(1, 4, 3)
    eq = unit_equations(rnn, trace_module(rnn, x[0]), 2, 1)
    (term,) = eq.gates
    assert math.tanh(term.pre) == pytest.approx(eq.h, abs=1e-5)
    assert eq.h == pytest.approx(float(rnn(x)[0][0, 2, 1].detach()), abs=1e-5)
    lstm = nn.LSTM(3, 4, batch_first=True)
    clamped = trace_module(lstm, x[0], clamp={"f": 0.0}, clamp_from=2)
    f_before = unit_equations(lstm, clamped, 1, 0).gates[0]
    f_after = unit_equations(lstm, clamped, 2, 0).gates[0]
    assert not f_before.clamped and f_after.clamped and f_after.value == 0.0


def test_a_token_or_unit_that_does_not_exist_is_named():
    rnn = nn.GRU(2, 3, batch_first=True)
    trace = trace_module(rnn, np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="token 5 does not exist: the sentence has 4 tokens"):
        unit_equations(rnn, trace, 4, 0)
    with pytest.raises(ValueError, match="units 0 to 2"):
        unit_equations(rnn, trace, 0, 3)
