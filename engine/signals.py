"""Signals and sequence tasks for the recurrent demos, plus the small nets that learn them.

Everything is generated from a seed (no download): sine, sawtooth, square waves and noisy
mixtures cut into forecasting windows (inputs, next value); per-sample tags (rising / falling);
and the classic long-memory tasks, copy and adding. `SignalRNN` forecasts (many-to-one over a
window), `SignalForecaster` guesses the next sample at every step and `SignalTagger` tags every
sample (both many-to-many), `SampleMLP` sees one sample at a time
(one-to-one, the feed-forward contrast: it cannot tell a rising sine from a falling one).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from engine.train import TrainConfig, TrainResult, fit

SIGNAL_KINDS = ("sine", "sawtooth", "square", "mixture")
TAGS = ("falling", "rising")  # tag index 0 / 1 of a sample: is the next sample higher?
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class SignalConfig:
    kind: str = "sine"          # one of SIGNAL_KINDS
    length: int = 400           # samples
    period: float = 40.0        # samples per cycle of the main wave
    noise: float = 0.05         # std of added Gaussian noise
    seed: int = 0               # seeds the noise and the mixture's phases


def make_signal(config: SignalConfig) -> np.ndarray:
    """A (length,) float32 signal in about [-1, 1]."""
    if config.kind not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind {config.kind!r}; choose from {SIGNAL_KINDS}")
    rng = np.random.default_rng(config.seed)
    t = np.arange(config.length, dtype=np.float64)
    phase = t / config.period
    if config.kind == "sine":
        x = np.sin(2 * np.pi * phase)
    elif config.kind == "sawtooth":
        x = 2.0 * (phase - np.floor(phase + 0.5))
    elif config.kind == "square":
        x = np.sign(np.sin(2 * np.pi * phase) + 1e-12)
    else:  # two sines of unrelated periods plus a slow one: not periodic within the window
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        x = (0.6 * np.sin(2 * np.pi * phase + p1) + 0.3 * np.sin(2 * np.pi * t / (config.period * 0.37) + p2)
             + 0.1 * np.sin(2 * np.pi * t / (config.period * 5.3)))
    x = x + rng.normal(0.0, config.noise, config.length)
    return x.astype(np.float32)


def forecast_windows(signal: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (window samples -> next sample) pair: inputs (N, window, 1), targets (N, 1)."""
    signal = np.asarray(signal, np.float32)
    n = len(signal) - window
    if window < 1 or n < 1:
        raise ValueError(f"a signal of {len(signal)} samples has no windows of {window} + 1")
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]  # (N, window)
    return signal[idx][..., None].copy(), signal[window:][:, None].copy()


def forecast_sequences(signal: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunks for many-to-many forecasting: inputs (N, seq_len, 1) and the same chunks one
    sample later as targets (N, seq_len, 1): at every step, predict the next sample."""
    signal = np.asarray(signal, np.float32)
    n = (len(signal) - 1) // seq_len
    if n < 1:
        raise ValueError(f"a signal of {len(signal)} samples is shorter than one chunk of {seq_len}")
    x = signal[: n * seq_len].reshape(n, seq_len, 1)
    y = signal[1: n * seq_len + 1].reshape(n, seq_len, 1)
    return x.copy(), y.copy()


def rising_tags(signal: np.ndarray) -> np.ndarray:
    """(len-1,) int64: 1 where the next sample is higher (rising), else 0 (falling)."""
    signal = np.asarray(signal)
    return (np.diff(signal) > 0).astype(np.int64)


def tagging_sequences(signal: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunks for per-sample tagging: inputs (N, seq_len, 1), tags (N, seq_len) of the next move.

    The tag of sample t says whether sample t+1 is higher, which a net can only guess from the
    samples before it (the shape of the wave), never from x_t alone.
    """
    tags = rising_tags(signal)
    x = np.asarray(signal, np.float32)[:-1]
    n = len(x) // seq_len
    if n < 1:
        raise ValueError(f"a signal of {len(signal)} samples is shorter than one chunk of {seq_len}")
    return (x[: n * seq_len].reshape(n, seq_len, 1).copy(),
            tags[: n * seq_len].reshape(n, seq_len).copy())


def copy_task(n: int, seq_len: int = 5, n_symbols: int = 8, delay: int = 10, seed: int = 0):
    """The copy task: remember `seq_len` symbols across `delay` blanks, then repeat them.

    Inputs (n, T, n_symbols + 2) one-hot with T = 2*seq_len + delay + 1: symbols, blanks, a
    "go" marker (channel n_symbols + 1), blanks. Targets (n, T) int64: blank (n_symbols) everywhere
    but the last seq_len steps, which must hold the symbols. Only a net with memory can do it.
    """
    rng = np.random.default_rng(seed)
    blank, go = n_symbols, n_symbols + 1
    total = 2 * seq_len + delay + 1
    symbols = rng.integers(0, n_symbols, (n, seq_len))
    tokens = np.full((n, total), blank, np.int64)
    tokens[:, :seq_len] = symbols
    tokens[:, seq_len + delay] = go
    inputs = np.eye(n_symbols + 2, dtype=np.float32)[tokens]
    targets = np.full((n, total), blank, np.int64)
    targets[:, -seq_len:] = symbols
    return inputs, targets


def adding_task(n: int, seq_len: int = 30, seed: int = 0):
    """The adding task: inputs (n, T, 2) = (random value in [0,1], marker), two markers per row;
    target (n, 1) = the sum of the two marked values. Hochreiter & Schmidhuber's memory test."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, seq_len)).astype(np.float32)
    markers = np.zeros((n, seq_len), np.float32)
    first = rng.integers(0, max(1, seq_len // 2), n)
    second = rng.integers(seq_len // 2, seq_len, n)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = (values[rows, first] + values[rows, second])[:, None]
    return np.stack([values, markers], axis=-1), target.astype(np.float32)


def split_dataset(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2):
    """(train, test) TensorDatasets, the test part taken from the END (no look-ahead leak)."""
    n_test = max(1, int(len(x) * test_fraction))
    xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
    return TensorDataset(xt[:-n_test], yt[:-n_test]), TensorDataset(xt[-n_test:], yt[-n_test:])


class SignalRNN(nn.Module):
    """Many-to-one: a window (B, T, input_size) -> RNN|LSTM|GRU -> Linear -> one value (B, 1): the
    next sample of a signal, or the answer to the adding task (input_size 2)."""

    def __init__(self, hidden_size: int = 16, cell: str = "gru", num_layers: int = 1,
                 input_size: int = 1):
        super().__init__()
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):  # (B, T, input_size) -> (B, 1)
        out, _ = self.rnn(x)  # (B, T, hidden)
        return self.head(out[:, -1])


class SignalForecaster(nn.Module):
    """Many-to-many forecaster: (B, T, 1) -> RNN -> Linear at every step -> (B, T, 1), where
    output t is the guess for sample t+1 from samples 0..t."""

    def __init__(self, hidden_size: int = 16, cell: str = "gru"):
        super().__init__()
        self.rnn = CELLS[cell](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):  # (B, T, 1) -> (B, T, 1)
        out, _ = self.rnn(x)
        return self.head(out)


class SignalTagger(nn.Module):
    """Many-to-many tagger: (B, T, 1) -> RNN -> Linear per step -> logits (B, n_tags, T).

    Classes sit on dim 1 because that is what cross_entropy wants for (B, T) targets.
    """

    def __init__(self, hidden_size: int = 16, cell: str = "gru", n_tags: int = len(TAGS)):
        super().__init__()
        self.rnn = CELLS[cell](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_tags)

    def forward(self, x):  # (B, T, 1) -> (B, n_tags, T)
        out, _ = self.rnn(x)
        return self.head(out).transpose(1, 2)


class SampleMLP(nn.Module):
    """One-to-one: a feed-forward net that sees only the current sample x_t.

    (B, T, 1) -> (B, 1) from the last sample alone; `per_step=True` maps every sample to its own
    guess, (B, T, 1) -> (B, T, 1), so it can stand where SignalForecaster stands."""

    def __init__(self, hidden_size: int = 32, per_step: bool = False):
        super().__init__()
        self.per_step = per_step
        self.net = nn.Sequential(nn.Linear(1, hidden_size), nn.Tanh(),
                                 nn.Linear(hidden_size, hidden_size), nn.Tanh(),
                                 nn.Linear(hidden_size, 1))

    def forward(self, x):
        if self.per_step:
            return self.net(x)          # (B, T, 1): each sample on its own
        return self.net(x[:, -1, :])    # (B, 1): only the last sample of the window


@torch.no_grad()
def predict(model: nn.Module, inputs: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Run `model` (in eval mode) over numpy inputs; numpy output."""
    model.eval()
    outs = [model(torch.from_numpy(np.ascontiguousarray(inputs[i:i + batch]))).numpy()
            for i in range(0, len(inputs), batch)]
    return np.concatenate(outs) if outs else np.zeros((0,), np.float32)


def tag_accuracy(model: nn.Module, inputs: np.ndarray, tags: np.ndarray) -> float:
    """Fraction of samples whose rising/falling tag the tagger gets right."""
    logits = predict(model, inputs)  # (N, n_tags, T)
    return float((logits.argmax(1) == tags).mean())


# -- the page's demos: one signal, a train part and a test part, a model, snapshots --------------

TASKS = {
    "forecast": "many-to-many: guess the next sample at every step",
    "one_sample": "one-to-one: guess the next sample from the current one alone",
    "tag": "many-to-many: tag every sample as rising or falling",
}


@dataclass
class SignalTask:
    task: str               # a key of TASKS
    signal: np.ndarray      # (L,) the whole signal
    split: int              # samples before `split` train the model; the rest test it
    seq_len: int            # chunk length for training

    @property
    def loss(self) -> str:
        return "cross_entropy" if self.task == "tag" else "mse"

    def truth(self) -> np.ndarray:
        """(L-1,) what step t should output: sample t+1, or the tag of the move to it."""
        return rising_tags(self.signal) if self.task == "tag" else self.signal[1:].copy()

    def train_data(self) -> TensorDataset:
        part = self.signal[: self.split + 1]
        if self.task == "tag":
            x, y = tagging_sequences(part, self.seq_len)
        else:
            x, y = forecast_sequences(part, self.seq_len)
        return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))

    @torch.no_grad()
    def snapshot(self, model: nn.Module) -> dict:
        """The model run over the whole signal as one sequence: "pred" (L-1,) per-step outputs
        (values, or tags 0/1) and "test_score" on the test part (MSE, or tag accuracy)."""
        device = next(model.parameters()).device
        x = torch.from_numpy(self.signal[:-1]).to(device)[None, :, None]  # (1, L-1, 1)
        out = model(x)
        if self.task == "tag":
            pred = out[0].argmax(0).cpu().numpy()                 # (L-1,) tags
            score = float((pred[self.split:] == self.truth()[self.split:]).mean())
        else:
            pred = out[0, :, 0].cpu().numpy().astype(np.float32)  # (L-1,) next-sample guesses
            score = float(np.mean((pred[self.split:] - self.truth()[self.split:]) ** 2))
        return {"pred": pred.copy(), "test_score": score}


def make_signal_task(task: str, config: SignalConfig, seq_len: int = 30,
                     train_fraction: float = 0.75) -> SignalTask:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(TASKS)}")
    signal = make_signal(config)
    return SignalTask(task, signal, int(len(signal) * train_fraction), seq_len)


def make_task_model(task: str, cell: str = "gru", hidden_size: int = 16) -> nn.Module:
    if task == "tag":
        return SignalTagger(hidden_size, cell)
    if task == "one_sample":
        return SampleMLP(max(hidden_size, 8), per_step=True)
    return SignalForecaster(hidden_size, cell)


# -- the long-memory race: the same adding task for a plain RNN, an LSTM and a GRU --------------

# Each marked value is uniform on [0, 1], so the sum has mean 1 and variance 2 * 1/12: a net that
# always answers 1 (all it can learn without carrying a value across the sequence) scores this.
ADDING_BASELINE_MSE = 1 / 6


@dataclass
class AddingRace:
    """One adding-task data set, and the settings every cell in the race trains with."""
    seq_len: int = 50           # T: the first mark lies in the first half, the second in the rest
    hidden_size: int = 32
    steps: int = 1200           # training steps per cell
    cells: tuple[str, ...] = ("rnn", "lstm", "gru")
    n_train: int = 5000
    n_val: int = 1000
    seed: int = 0
    snapshot_every: int = 25    # steps between validation scores
    clip_grad_norm: float | None = 1.0  # rescale each step's gradient to at most this norm, or not

    def __post_init__(self):
        if self.seq_len < 2:
            raise ValueError(f"the adding task needs at least 2 steps, got T = {self.seq_len}")
        unknown = [c for c in self.cells if c not in CELLS]
        if unknown or not self.cells:
            raise ValueError(f"unknown cell(s) {unknown}; choose from {sorted(CELLS)}")
        clip = self.clip_grad_norm
        if clip is not None and not (clip > 0 and np.isfinite(clip)):
            raise ValueError(f"the clipping threshold must be a positive number or None (no "
                             f"clipping), got {clip}")
        x, y = adding_task(self.n_train + self.n_val, self.seq_len, seed=self.seed)
        self.train = TensorDataset(torch.from_numpy(x[:self.n_train]), torch.from_numpy(y[:self.n_train]))
        self.val_x = torch.from_numpy(x[self.n_train:])
        self.val_y = torch.from_numpy(y[self.n_train:])

    def config(self) -> TrainConfig:
        return TrainConfig(lr=1e-2, batch_size=64, epochs=10_000, max_steps=self.steps, loss="mse",
                           clip_grad_norm=self.clip_grad_norm, snapshot_every=self.snapshot_every,
                           seed=self.seed, device="cpu")

    def model(self, cell: str) -> SignalRNN:
        torch.manual_seed(self.seed)     # every cell starts from the same seed
        return SignalRNN(self.hidden_size, cell, input_size=2)

    @torch.no_grad()
    def val_mse(self, model: nn.Module) -> float:
        return float(torch.mean((model(self.val_x) - self.val_y) ** 2))

    def run(self, on_step, control=None):
        """Train each cell in turn with `engine.train.fit` (same data, seed and steps); every
        snapshot is {"cell", "val_mse"}. Stops early, with that run's result, if one is stopped
        or diverges; otherwise the result's message gives every cell's final score."""
        scores: dict[str, float] = {}
        steps, epochs, elapsed = 0, 0, 0.0
        for cell in self.cells:
            def snapshot(model, cell=cell):
                return {"cell": cell, "val_mse": self.val_mse(model)}
            model = self.model(cell)
            result = fit(self.config(), model, self.train, None, on_step, control,
                         snapshot_fn=snapshot)
            if result.status != "finished":
                return result
            scores[cell] = self.val_mse(model.eval())
            steps, epochs = steps + result.steps, epochs + result.epochs_done
            elapsed += result.elapsed_s
        summary = ", ".join(f"{c.upper()} {v:.4f}" for c, v in scores.items())
        return TrainResult("finished", f"Adding task, T = {self.seq_len}: validation MSE {summary} "
                                       f"(always answering 1 scores {ADDING_BASELINE_MSE:.3f}).",
                           steps, epochs, elapsed_s=elapsed)
