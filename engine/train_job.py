"""One Train-a-CNN run as a job for the worker thread: the data, the model, throttled snapshots.

    config = CnnRunConfig(dataset="generated", arch="lenet5", epochs=2)
    info = describe_dataset(config.dataset)
    model = build_cnn(config, info)                 # seeded: the same weights for the same seed
    job = CnnTrainingJob(config, model, root=None, cache=DataCache())
    result = job(on_step, control)                  # what gui.workers.TrainWorker calls
    CnnTrainingJob(config, cache=cache)             # builds build_cnn(config, info) itself, in
                                                    # the thread that runs it (job.model)

The job loads (or reuses) the data, picks a fixed test image for the feature maps and
`N_PREDICTIONS` for the prediction grid, and runs `engine.train.fit` with a snapshot
(`engine.cnn_snapshot`) at most every `SNAPSHOT_INTERVAL_S`: the views stay lively without
taking the trainer's time. The fixed images travel once, with the first snapshot; when a run
ends (finished or stopped) one last "final" event carries the state the model ended in.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable

import torch
from torch import nn
from torch.utils.data import TensorDataset

from engine import data as datasets
from engine.cnn_snapshot import make_snapshot_fn
from engine.data import DatasetError, DatasetInfo, LoadedDataset
from engine.models import ACTIVATIONS, build_model
from engine.train import TrainConfig, TrainControl, TrainEvent, TrainResult, check_schedule, fit

N_PREDICTIONS = 16          # test images in the prediction grid
SNAPSHOT_INTERVAL_S = 1.0   # the newest filters, maps and predictions at most once a second
CNN_ARCHS = ("lenet5", "cifarnet", "tinyvgg", "mlp")   # what the Train page trains


@dataclass
class CnnRunConfig:
    dataset: str = "generated"       # key of engine.data.DATASETS (generated digits: always there)
    train_size: int = 10000          # training images used (0: all)
    test_size: int = 2000            # test images scored after each epoch (0: all)
    arch: str = "lenet5"             # one of CNN_ARCHS
    activation: str = "relu"         # between layers: one of engine.models.ACTIVATIONS
    dropout: float = 0.0             # dropout probability in the classifier
    batchnorm: bool = False          # batch norm after every convolution
    # the default recipe: Adam with a one-cycle schedule peaking at 0.008, batches of 128, four
    # epochs (LeNet-5 reaches 89 % on Fashion-MNIST in them: benchmarks/time_to_accuracy.py)
    optimizer: str = "adam"          # "adam" or "sgd" (with `momentum`)
    lr: float = 8e-3                 # learning rate (with "onecycle": its peak)
    schedule: str = "onecycle"       # the rate over the run: a key of engine.train.SCHEDULES
    momentum: float = 0.9            # SGD's momentum (Adam has its own averages)
    batch_size: int = 128            # images per step
    epochs: int = 4                  # passes over the training images
    seed: int = 0                    # seeds the weights, the shuffling and the subsets
    device: str = "auto"             # "auto", "cuda", "mps" or "cpu"

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}: choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        check_schedule(self.schedule)

    def model_kwargs(self, info: DatasetInfo) -> dict:
        kwargs = {"input_shape": tuple(info.input_shape), "num_classes": len(info.classes),
                  "dropout": self.dropout, "batchnorm": self.batchnorm}
        if self.activation != "relu":   # every model's default: a checkpoint without it loads
            kwargs["activation"] = self.activation   # in code that predates the choice
        return kwargs

    def train_config(self, steps_per_epoch: int) -> TrainConfig:
        # about 20 snapshot chances an epoch, at least every 10 steps (the throttle thins them)
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, momentum=self.momentum,
                           schedule=self.schedule, batch_size=self.batch_size,
                           epochs=self.epochs, seed=self.seed, device=self.device,
                           snapshot_every=max(1, min(10, steps_per_epoch // 20)))


def build_cnn(config: CnnRunConfig, info: DatasetInfo) -> nn.Module:
    """The network `config` names for `info`'s images, its initial weights seeded by `config.seed`."""
    torch.manual_seed(config.seed)
    return build_model(config.arch, **config.model_kwargs(info))


def run_meta(config: CnnRunConfig, info: DatasetInfo) -> dict:
    """Checkpoint metadata for a model trained with `config` on `info` (JSON-able values only)."""
    kwargs = config.model_kwargs(info)
    kwargs["input_shape"] = list(kwargs["input_shape"])
    return {"arch": config.arch, "kwargs": kwargs, **info.meta(),
            "settings": asdict(config)}


def images_used(config: CnnRunConfig, info: DatasetInfo) -> int:
    """Training images a run of `config` uses (`info` from describe_dataset)."""
    if config.dataset == "generated":
        return config.train_size or info.n_train
    return min(config.train_size, info.n_train) if config.train_size else info.n_train


def steps_per_epoch(config: CnnRunConfig, info: DatasetInfo) -> int:
    return math.ceil(images_used(config, info) / config.batch_size)


def image_input_shape(meta: dict) -> tuple[int, ...] | None:
    """(C, H, W) a checkpoint's model takes, from its metadata; None when it does not say."""
    shape = meta.get("input_shape") or meta.get("kwargs", {}).get("input_shape")
    try:
        return tuple(int(s) for s in shape) if shape else None
    except (TypeError, ValueError):
        return None


class DataCache:
    """The last dataset loaded, kept for the next run with the same choice (one at a time:
    CIFAR-10 alone is 600 MB as floats)."""

    def __init__(self):
        self._key = None
        self._data: LoadedDataset | None = None

    def load(self, config: CnnRunConfig, root: str | None) -> LoadedDataset:
        key = (config.dataset, root, config.train_size, config.test_size, config.seed)
        if key != self._key:
            self._key, self._data = None, None
            self._data = datasets.load_dataset(config.dataset, root, config.train_size or None,
                                               config.test_size or None, config.seed)
            self._key = key
        return self._data


@dataclass
class FixedSamples:
    sample: torch.Tensor        # (1, C, H, W): the test image whose feature maps are shown
    images: torch.Tensor        # (N, C, H, W): the test images of the prediction grid
    truth: torch.Tensor         # (N,) their classes


def fixed_samples(test: TensorDataset, seed: int, n: int = N_PREDICTIONS) -> FixedSamples:
    """`n` test images picked by `seed` (the same ones for every run with that seed)."""
    x, y = test.tensors
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]
    return FixedSamples(x[pick[:1]], x[pick], y[pick])


class SnapshotThrottle:
    """A `snapshot_fn` for `fit` that takes a snapshot at most every `interval_s` (the first
    always), and adds `first_extras` to the first one."""

    def __init__(self, snapshot: Callable[[nn.Module], dict], interval_s: float = SNAPSHOT_INTERVAL_S,
                 first_extras: dict | None = None, clock: Callable[[], float] = time.perf_counter):
        self.snapshot, self.interval_s, self.clock = snapshot, interval_s, clock
        self.first_extras = dict(first_extras or {})
        self.taken = 0
        self._last = -math.inf

    def __call__(self, model: nn.Module) -> dict | None:
        now = self.clock()
        if self.taken and now - self._last < self.interval_s:
            return None
        self._last = now
        out = self.snapshot(model)
        if not self.taken:
            out.update(self.first_extras)
        self.taken += 1
        return out


class CnnTrainingJob:
    """`job(on_step, control) -> TrainResult`: one run of `config` training `model` in place.

    With `model=None` the job builds it (`build_cnn`, seeded) in the thread that runs it, and
    keeps it in `self.model`: a page's Start click then neither builds a network (a forward pass
    to size its classifier) nor loads data in the GUI thread."""

    def __init__(self, config: CnnRunConfig, model: nn.Module | None = None,
                 root: str | None = None, cache: DataCache | None = None,
                 interval_s: float = SNAPSHOT_INTERVAL_S):
        self.config, self.model, self.root = config, model, root
        self.cache = cache if cache is not None else DataCache()
        self.interval_s = interval_s

    def __call__(self, on_step: Callable[[TrainEvent], bool | None],
                 control: TrainControl | None = None) -> TrainResult:
        try:
            loaded = self.cache.load(self.config, self.root)
        except DatasetError as exc:   # e.g. files deleted or damaged since they were found
            return TrainResult("data_error", str(exc))
        if self.model is None:
            self.model = build_cnn(self.config, loaded.info)
        fixed = fixed_samples(loaded.test, self.config.seed)
        snapshot = make_snapshot_fn(fixed.sample, fixed.images)
        extras = {"sample": fixed.sample[0].numpy().copy(), "images": fixed.images.numpy().copy(),
                  "truth": fixed.truth.numpy().copy(), "info": loaded.info}
        throttle = SnapshotThrottle(snapshot, self.interval_s, extras)
        per_epoch = math.ceil(len(loaded.train) / self.config.batch_size)
        result = fit(self.config.train_config(per_epoch), self.model, loaded.train, loaded.test,
                     on_step, control, snapshot_fn=throttle)
        if result.status in ("finished", "stopped") and result.steps:
            on_step(self._final_event(result, snapshot))
        return result

    def _final_event(self, result: TrainResult, snapshot) -> TrainEvent:
        """The state the run ended in, whatever the throttle skipped (the model is on the CPU)."""
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            final = snapshot(self.model)
        self.model.train(was_training)
        return TrainEvent("final", max(result.epochs_done - 1, 0), result.steps, result.steps,
                          math.nan, math.nan, 0.0, result.elapsed_s, final)
