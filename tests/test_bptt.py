"""engine.bptt against autograd: per-step ‖∂L/∂hₜ‖, clipping, spectral radii, bad input."""
import copy
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from engine.bptt import (BpttConfig, BpttExperiment, RecurrentRegressor, hidden_grad_norms,
                         recurrent_radii, scale_recurrent, spectral_radius, train_step, unroll)

CASES = [  # (cell class, keyword arguments, input size, hidden size, T, seed)
    (nn.RNN, {}, 3, 5, 7, 0),
    (nn.RNN, {"nonlinearity": "relu"}, 2, 6, 12, 1),
    (nn.RNN, {"bias": False}, 1, 4, 1, 2),
    (nn.LSTM, {}, 3, 5, 7, 3),
    (nn.LSTM, {}, 2, 8, 20, 4),
    (nn.LSTM, {"bias": False}, 1, 3, 2, 5),
    (nn.GRU, {}, 3, 5, 7, 6),
    (nn.GRU, {}, 2, 8, 20, 7),
    (nn.GRU, {"bias": False}, 4, 2, 3, 8),
]


def reference_norms(rnn, head, x, y):
    """Autograd on the module called one step at a time with the carried state, every hₜ's
    gradient retained: an unrolled loop that does not share engine.bptt's cell equations."""
    state, hs = None, []
    for t in range(x.shape[1]):
        _, state = rnn(x[:, t:t + 1], state)
        h = state[0] if isinstance(state, tuple) else state     # (1, 1, H)
        h.retain_grad()
        hs.append(h)
    F.mse_loss(head(hs[-1][0]), y).backward()
    return np.array([float(torch.linalg.vector_norm(h.grad)) for h in hs])


@pytest.mark.parametrize("cls, kwargs, n_in, hidden, steps, seed", CASES)
def test_hidden_grad_norms_match_autograd_on_an_unrolled_loop(cls, kwargs, n_in, hidden, steps, seed):
    torch.manual_seed(seed)
    rnn = cls(n_in, hidden, batch_first=True, **kwargs)
    head = nn.Linear(hidden, 2)
    x, y = torch.randn(1, steps, n_in), torch.randn(1, 2)
    got = hidden_grad_norms(rnn, head, x, y)
    expected = reference_norms(rnn, head, x, y)
    assert got.shape == (steps,)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-9)
    assert got[-1] > 0


@pytest.mark.parametrize("cls, kwargs, n_in, hidden, steps, seed", CASES)
def test_the_unrolled_states_are_the_modules_outputs(cls, kwargs, n_in, hidden, steps, seed):
    torch.manual_seed(seed)
    rnn = cls(n_in, hidden, batch_first=True, **kwargs)
    x = torch.randn(3, steps, n_in)
    out, _ = rnn(x)                                             # (B, T, H)
    torch.testing.assert_close(torch.stack(unroll(rnn, x), 1), out, rtol=1e-5, atol=1e-6)


def test_hidden_grad_norms_leave_parameter_gradients_alone():
    torch.manual_seed(0)
    rnn, head = nn.GRU(2, 4, batch_first=True), nn.Linear(4, 1)
    hidden_grad_norms(rnn, head, torch.randn(1, 5, 2), torch.randn(1, 1))
    assert all(p.grad is None for p in list(rnn.parameters()) + list(head.parameters()))


def test_a_small_recurrent_scale_makes_the_gradient_vanish_and_a_large_one_explode():
    x, y = torch.rand(1, 40, 2), torch.ones(1, 1)
    norms = {}
    for scale in (0.5, 3.0):
        torch.manual_seed(0)
        model = RecurrentRegressor("rnn", 32, "tanh")
        scale_recurrent(model.rnn, scale)
        norms[scale] = hidden_grad_norms(model.rnn, model.head, x, y)
    assert norms[0.5][0] < 1e-8 * norms[0.5][-1]                # vanished by t = 1
    assert norms[3.0][0] > 10 * norms[3.0][-1]                  # grew on the way back


def one_step_reference(model, x, y, clip):
    """The textbook step: forward through the module, backward, clip_grad_norm_."""
    model = copy.deepcopy(model)
    F.mse_loss(model(x), y).backward()
    norm = float(nn.utils.clip_grad_norm_(model.parameters(), clip if clip else math.inf))
    return norm, [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("clip", [None, 0.05])
def test_a_training_step_reports_clip_grad_norms_norm_and_clips_like_it(cell, clip):
    torch.manual_seed(1)
    model = RecurrentRegressor(cell, 8)
    x, y = torch.rand(4, 9, 2), torch.full((4, 1), 3.0)
    norm, grads = one_step_reference(model, x, y, clip)
    before = [p.detach().clone() for p in model.parameters()]
    result = train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), x, y, clip, cell, 1)
    assert result.status == "ok" and result.grad_norm == pytest.approx(norm, rel=1e-5)
    assert norm > 0.05                                          # so clipping really acts
    # SGD with lr 1: each parameter moved by exactly its (clipped) reference gradient
    for p, b, g in zip(model.parameters(), before, grads):
        torch.testing.assert_close(b - p.detach(), g, rtol=1e-4, atol=1e-6)
    moved = float(torch.linalg.vector_norm(torch.cat([(b - p.detach()).flatten()
                                                      for p, b in zip(model.parameters(), before)])))
    assert result.grad_norm_clipped == pytest.approx(moved, rel=1e-4)
    assert result.grad_norm_clipped == pytest.approx(clip if clip else norm, rel=1e-4)


def test_spectral_radius_against_torch_eigvals():
    g = torch.Generator().manual_seed(0)
    for n in (1, 3, 10):
        w = torch.randn(n, n, generator=g)
        assert spectral_radius(w) == pytest.approx(float(torch.linalg.eigvals(w).abs().max()), rel=1e-5)
    assert spectral_radius(np.array([[0.0, 2.0], [-2.0, 0.0]])) == pytest.approx(2.0)  # eig ±2i
    with pytest.raises(ValueError, match="square matrix"):
        spectral_radius(np.ones((2, 3)))


@pytest.mark.parametrize("cls, gates", [(nn.RNN, 1), (nn.LSTM, 4), (nn.GRU, 3)])
def test_scale_recurrent_sets_every_gate_blocks_radius(cls, gates):
    torch.manual_seed(0)
    rnn = cls(2, 6, batch_first=True)
    w0 = rnn.weight_hh_l0.detach().clone()
    radii = scale_recurrent(rnn, 1.7)
    assert len(radii) == gates
    for k in range(gates):
        block = rnn.weight_hh_l0.detach()[6 * k:6 * (k + 1)]
        assert float(torch.linalg.eigvals(block).abs().max()) == pytest.approx(1.7, rel=1e-4)
        # a multiple of the block it was: same eigenvectors, only the scale changed
        ratio = block / w0[6 * k:6 * (k + 1)]
        torch.testing.assert_close(ratio, torch.full_like(ratio, float(ratio[0, 0])))
    assert recurrent_radii(rnn) == pytest.approx(radii)


def test_scales_that_cannot_be_set_get_a_message():
    rnn = nn.RNN(2, 4, batch_first=True)
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="finite number >= 0"):
            scale_recurrent(rnn, bad)
    with pytest.raises(ValueError, match="overflows"):
        scale_recurrent(rnn, 1e40)


@pytest.mark.parametrize("make, x, message", [
    (lambda: nn.LSTM(2, 3, batch_first=True), torch.zeros(1, 0, 2), r"empty \(T = 0\)"),
    (lambda: nn.LSTM(2, 3, batch_first=True), torch.zeros(2, 4, 2), "exactly one sequence"),
    (lambda: nn.LSTM(2, 3, batch_first=True), torch.zeros(4, 2), r"\(1, T, input_size\)"),
    (lambda: nn.LSTM(2, 3, batch_first=True), torch.zeros(1, 4, 5), "5 features"),
    (lambda: nn.GRU(2, 3), torch.zeros(1, 4, 2), "batch_first=True"),
    (lambda: nn.GRU(2, 3, num_layers=2, batch_first=True), torch.zeros(1, 4, 2), "2 layers"),
    (lambda: nn.RNN(2, 3, bidirectional=True, batch_first=True), torch.zeros(1, 4, 2),
     "bidirectional"),
    (lambda: nn.Linear(2, 3), torch.zeros(1, 4, 2), "nn.RNN, nn.LSTM or nn.GRU"),
    (lambda: nn.RNN(2, 3, batch_first=True), torch.tensor([[[0.0, 1.0], [math.nan, 0.0]]]),
     "NaN or infinite"),
])
def test_bad_input_gets_a_readable_message(make, x, message):
    with pytest.raises(ValueError, match=message):
        hidden_grad_norms(make(), nn.Linear(3, 1), x, torch.zeros(1, 1))


def test_the_experiment_steps_every_cell_on_the_same_batch():
    cfg = BpttConfig(hidden_size=6, seq_len=12, batch_size=1, n_sequences=64, lr=0.1, seed=3)
    twin = BpttExperiment(cfg)            # same seed: same data, same weights, same batches
    exp = BpttExperiment(cfg)
    for step in (1, 2):
        x, y = twin.next_batch()
        expected = {c: hidden_grad_norms(m.rnn, m.head, x, y) for c, m in twin.models.items()}
        twin.step((x, y))
        results = exp.step()
        assert set(results) == {"rnn", "lstm", "gru"}
        for cell, result in results.items():
            assert result.step == step and result.status == "ok"
            np.testing.assert_allclose(result.hidden_norms, expected[cell], rtol=1e-5)
            assert result.grad_norm_clipped <= cfg.clip_threshold * (1 + 1e-5)
    assert results["rnn"].loss != results["lstm"].loss


def test_an_exploding_run_is_reported_and_the_other_cells_go_on():
    cfg = BpttConfig(hidden_size=16, seq_len=30, n_sequences=64, weight_scale=1e12, clip=False,
                     activation="relu")
    exp = BpttExperiment(cfg)
    first = exp.step()
    assert first["rnn"].status == "diverged" and "RNN stopped at step 1" in first["rnn"].message
    assert first["lstm"].status == "ok" and math.isfinite(first["lstm"].loss)
    second = exp.step()                   # the diverged cell stays stopped, nothing raised
    assert second["rnn"].status == "diverged" and np.isnan(second["rnn"].hidden_norms).all()
    assert second["gru"].status == "ok" and second["gru"].step == 2


def test_a_scale_that_overflows_the_weights_is_reported_not_raised():
    exp = BpttExperiment(BpttConfig(hidden_size=4, seq_len=5, n_sequences=16, weight_scale=1e40))
    result = exp.step()["lstm"]
    assert result.status == "diverged" and "overflows" in result.message


@pytest.mark.parametrize("kwargs, message", [
    ({"seq_len": 1}, "at least 2 steps"), ({"cells": ("rnn", "transformer")}, "unknown cell"),
    ({"activation": "sigmoid"}, "activation"), ({"clip_threshold": 0.0}, "clipping threshold"),
    ({"lr": math.nan}, "learning rate"), ({"hidden_size": 0}, "hidden_size"),
])
def test_the_experiment_rejects_settings_it_cannot_run(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BpttExperiment(BpttConfig(**kwargs))
