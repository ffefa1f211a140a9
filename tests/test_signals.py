"""Generated signals, forecasting windows, tags, copy and adding tasks, and the small demo nets."""
import numpy as np
import pytest
import torch

from engine.signals import (
    ADDING_BASELINE_MSE, AddingRace, SampleMLP, SignalConfig, SignalForecaster, SignalRNN, SignalTagger, adding_task, copy_task,
    forecast_sequences, forecast_windows, make_signal, make_signal_task, make_task_model, predict,
    rising_tags, split_dataset, tag_accuracy, tagging_sequences,
)
from engine.train import TrainConfig, TrainControl, fit


def test_clean_waves_have_their_textbook_values():
    sine = make_signal(SignalConfig("sine", 80, period=40, noise=0))
    assert sine[0] == pytest.approx(0, abs=1e-6) and sine[10] == pytest.approx(1, abs=1e-6)
    assert sine[30] == pytest.approx(-1, abs=1e-6)
    saw = make_signal(SignalConfig("sawtooth", 80, period=40, noise=0))
    assert saw[10] == pytest.approx(0.5) and saw[30] == pytest.approx(-0.5)
    square = make_signal(SignalConfig("square", 80, period=40, noise=0))
    assert set(np.unique(square)) == {-1.0, 1.0} and square[5] == 1 and square[25] == -1


def test_signals_are_seeded_and_noise_differs_by_seed():
    a = make_signal(SignalConfig("mixture", 200, seed=3))
    b = make_signal(SignalConfig("mixture", 200, seed=3))
    c = make_signal(SignalConfig("mixture", 200, seed=4))
    assert a.dtype == np.float32 and a.shape == (200,)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    with pytest.raises(ValueError):
        make_signal(SignalConfig("triangle"))


def test_forecast_windows_pair_each_window_with_the_next_sample():
    s = np.arange(10, dtype=np.float32)
    x, y = forecast_windows(s, 3)
    assert x.shape == (7, 3, 1) and y.shape == (7, 1)
    np.testing.assert_array_equal(x[2, :, 0], [2, 3, 4])
    assert y[2, 0] == 5 and y[-1, 0] == 9
    with pytest.raises(ValueError):
        forecast_windows(s, 10)


def test_rising_tags_and_tagging_chunks():
    s = np.array([0, 1, 3, 2, 2, 5], np.float32)
    np.testing.assert_array_equal(rising_tags(s), [1, 1, 0, 0, 1])
    x, t = tagging_sequences(np.arange(11, dtype=np.float32)[::-1], 5)
    assert x.shape == (2, 5, 1) and t.shape == (2, 5) and (t == 0).all()  # all falling


def test_copy_task_layout():
    x, y = copy_task(4, seq_len=3, n_symbols=5, delay=2, seed=1)
    total = 2 * 3 + 2 + 1
    assert x.shape == (4, total, 7) and y.shape == (4, total)
    np.testing.assert_array_equal(x.sum(-1), 1)  # one-hot
    symbols = x[:, :3].argmax(-1)
    np.testing.assert_array_equal(y[:, -3:], symbols)  # the tail repeats the head
    assert (x[:, 3 + 2].argmax(-1) == 6).all()  # the go marker
    assert (y[:, :-3] == 5).all()


def test_adding_task_target_is_the_sum_of_the_marked_values():
    x, y = adding_task(50, seq_len=12, seed=2)
    assert x.shape == (50, 12, 2) and y.shape == (50, 1)
    np.testing.assert_array_equal(x[..., 1].sum(1), 2)
    np.testing.assert_allclose((x[..., 0] * x[..., 1]).sum(1), y[:, 0], rtol=1e-6)


def test_shapes_of_the_demo_nets():
    x = torch.zeros(5, 12, 1)
    assert SignalRNN(8, "lstm")(x).shape == (5, 1)
    assert SignalTagger(8, "rnn")(x).shape == (5, 2, 12)
    assert SampleMLP()(x).shape == (5, 1)


def test_rnn_forecasts_a_sine_that_a_one_sample_mlp_cannot():
    """x_t alone is ambiguous (rising or falling?); a window resolves it."""
    torch.manual_seed(0)
    s = make_signal(SignalConfig("sine", 300, period=24, noise=0.0))
    x, y = forecast_windows(s, 8)
    train, test = split_dataset(x, y)
    cfg = TrainConfig(lr=3e-2, batch_size=32, epochs=5, device="cpu", loss="mse")
    errors = {}
    for name, model in (("rnn", SignalRNN(12, "gru")), ("mlp", SampleMLP(16))):
        fit(cfg, model, train, None, lambda e: None)
        xt, yt = test.tensors
        errors[name] = float(np.mean((predict(model, xt.numpy()) - yt.numpy()) ** 2))
    assert errors["rnn"] < 0.02
    assert errors["mlp"] > 3 * errors["rnn"]


def test_tagger_learns_rising_and_falling():
    s = make_signal(SignalConfig("sine", 600, period=30, noise=0.0))
    x, t = tagging_sequences(s, 20)
    torch.manual_seed(0)                    # the tagger's initial weights
    model = SignalTagger(12, "gru")
    cfg = TrainConfig(lr=3e-2, batch_size=16, epochs=15, device="cpu")
    fit(cfg, model, torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(t)),
        None, lambda e: None)
    assert tag_accuracy(model, x, t) > 0.9


def test_forecast_sequences_are_shifted_by_one():
    x, y = forecast_sequences(np.arange(11, dtype=np.float32), 5)
    assert x.shape == y.shape == (2, 5, 1)
    np.testing.assert_array_equal(y[..., 0], x[..., 0] + 1)
    assert SignalForecaster(6, "lstm")(torch.zeros(3, 7, 1)).shape == (3, 7, 1)
    assert SampleMLP(8, per_step=True)(torch.zeros(3, 7, 1)).shape == (3, 7, 1)


@pytest.mark.parametrize("task", ["forecast", "one_sample", "tag"])
def test_signal_task_snapshot_scores_the_test_part(task):
    t = make_signal_task(task, SignalConfig("sine", 200, period=20, noise=0), seq_len=10)
    assert t.split == 150 and len(t.truth()) == 199
    data = t.train_data()
    assert len(data) == 15  # 150 training samples in chunks of 10
    model = make_task_model(task, "rnn", 4)
    snap = t.snapshot(model)
    assert snap["pred"].shape == (199,)
    with torch.no_grad():
        out = model(torch.from_numpy(t.signal[:-1])[None, :, None])
    if task == "tag":
        pred = out[0].argmax(0).numpy()
        assert snap["test_score"] == pytest.approx((pred[150:] == rising_tags(t.signal)[150:]).mean())
    else:
        np.testing.assert_allclose(snap["pred"], out[0, :, 0].numpy(), rtol=1e-6)
        assert snap["test_score"] == pytest.approx(np.mean((out[0, 150:, 0].numpy() - t.signal[151:]) ** 2), rel=1e-5)


def test_adding_baseline_is_the_variance_of_the_answers():
    _, y = adding_task(40_000, seq_len=20, seed=3)
    assert float(y.mean()) == pytest.approx(1.0, abs=0.01)
    assert float(np.mean((y - 1.0) ** 2)) == pytest.approx(ADDING_BASELINE_MSE, abs=0.005)


def test_signal_rnn_reads_two_features():
    model = SignalRNN(8, "lstm", input_size=2)
    assert model(torch.zeros(3, 11, 2)).shape == (3, 1)


def test_adding_race_trains_each_cell_in_turn_on_the_same_data():
    race = AddingRace(seq_len=6, hidden_size=8, steps=12, snapshot_every=4, n_train=256, n_val=64)
    events = []
    result = race.run(events.append)
    snaps = [(e.snapshot["cell"], e.step, e.snapshot["val_mse"]) for e in events if e.snapshot]
    assert [c for c, _, _ in snaps] == ["rnn"] * 4 + ["lstm"] * 4 + ["gru"] * 4
    assert [s for _, s, _ in snaps] == [1, 4, 8, 12] * 3          # each run counts its own steps
    assert result.status == "finished" and result.steps == 36
    for cell in ("RNN", "LSTM", "GRU"):
        assert cell in result.message
    # a snapshot's score is the MSE of that model on the validation part
    model = race.model("lstm")
    with torch.no_grad():
        expected = float(((model(race.val_x) - race.val_y) ** 2).mean())
    assert race.val_mse(model) == pytest.approx(expected)
    assert snaps[4][2] != snaps[0][2]                               # different cells, different nets


def test_an_lstm_learns_the_short_adding_task():
    race = AddingRace(seq_len=10, hidden_size=16, steps=300, cells=("lstm",), snapshot_every=100,
                      n_train=2000, n_val=500)
    events = []
    assert race.run(events.append).status == "finished"
    scores = [e.snapshot["val_mse"] for e in events if e.snapshot]
    assert scores[-1] < 0.2 * ADDING_BASELINE_MSE < scores[0]


def test_stopping_the_race_stops_the_cell_in_training_and_the_rest():
    race = AddingRace(seq_len=6, hidden_size=4, steps=500, snapshot_every=5, n_train=256, n_val=32)
    control = TrainControl()
    seen = []

    def on_step(event):
        seen.append(event)
        if event.step == 20:
            control.stop()
    result = race.run(on_step, control)
    assert result.status == "stopped"
    assert {e.snapshot["cell"] for e in seen if e.snapshot} == {"rnn"}


@pytest.mark.parametrize("kwargs", [{"seq_len": 1}, {"cells": ("lstm", "transformer")}, {"cells": ()}])
def test_adding_race_rejects_what_it_cannot_run(kwargs):
    with pytest.raises(ValueError):
        AddingRace(**kwargs)
