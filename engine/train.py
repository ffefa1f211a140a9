"""The training loop shared by every page that trains, knowing nothing of the UI.

`fit(config, model, train_data, test_data, on_step, control)` runs the loop and calls `on_step`
with a small `TrainEvent` after every step (and at each epoch's end). It stops early when
`on_step` returns False or `control.stop()` was called; `control.pause()` makes it wait between
steps. Everything handed out is a detached CPU copy (floats and numpy arrays), never a live tensor.
Each step event carries the total gradient norm before clipping (what
`torch.nn.utils.clip_grad_norm_` returns) and after it. A NaN/inf loss or gradient norm, or
running out of GPU memory, ends the run with a readable message, never a crash.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


@dataclass
class TrainConfig:
    optimizer: str = "adam"         # "adam" or "sgd" (SGD uses `momentum`)
    lr: float = 1e-3                # learning rate
    momentum: float = 0.9           # SGD momentum
    weight_decay: float = 0.0       # L2 penalty
    batch_size: int = 64            # samples per step
    epochs: int = 2                 # passes over the training set
    seed: int = 0                   # seeds shuffling and initialisation
    device: str = "auto"            # "auto" (CUDA, then MPS, then CPU), "cuda", "mps" or "cpu"
    snapshot_every: int = 25        # steps between snapshots (filters, feature maps)
    max_steps: int | None = None    # stop after this many steps (None: run all epochs)
    loss: str = "cross_entropy"     # "cross_entropy" (classification) or "mse" (regression)
    clip_grad_norm: float | None = None  # rescale gradients to at most this norm (RNNs), or not
    schedule: str = "constant"      # the learning rate over the run: one of SCHEDULES


# "onecycle": torch.optim.lr_scheduler.OneCycleLR with `lr` as its peak: the rate warms up over
# the first 30 % of the steps and anneals to almost 0 by the last (and momentum, or Adam's
# beta1, moves the other way); it reaches a given accuracy in fewer epochs than a constant rate
SCHEDULES = {"constant": "constant", "onecycle": "one-cycle"}


@dataclass
class TrainEvent:
    kind: str                       # "step" or "epoch"
    epoch: int                      # 0-based epoch
    step: int                       # global step, 1-based
    total_steps: int                # steps the whole run will take
    loss: float                     # this step's loss ("epoch": mean over the epoch)
    accuracy: float                 # running accuracy over the epoch so far (nan for regression)
    samples_per_s: float            # training throughput so far
    elapsed_s: float                # wall time since the start
    snapshot: dict | None = None    # numpy arrays from `snapshot_fn`, every `snapshot_every` steps
    train_accuracy: float = math.nan   # "epoch" only
    test_accuracy: float = math.nan    # "epoch" only
    test_loss: float = math.nan        # "epoch" only
    confusion: np.ndarray | None = None  # "epoch" only: (n_classes, n_classes), rows = true class
    grad_norm: float = math.nan        # "step" only: total gradient norm before clipping
    grad_norm_clipped: float = math.nan  # "step" only: ... after clipping (= grad_norm if not clipping)
    lr: float = math.nan               # the learning rate this step used ("epoch": its last step's)


@dataclass
class TrainResult:
    status: str                     # "finished", "stopped", "diverged" or "out_of_memory"
    message: str                    # one sentence for the status bar
    steps: int = 0
    epochs_done: int = 0
    test_accuracy: float = math.nan
    elapsed_s: float = 0.0
    history: list = field(default_factory=list)   # the "epoch" events


class TrainControl:
    """Thread-safe stop and pause flags, set by the UI thread and checked by `fit` every step."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self):
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self):
        while not self._running.wait(0.05):
            pass


def preload() -> None:
    """Import now what the first optimizer would import mid-run.

    Constructing any torch.optim optimizer imports torch._dynamo (about 900 modules: sympy,
    mpmath, ...), 1.2-1.5 s on these CPUs and some 130,000 new Python objects. In a first
    training run that happened in the worker thread, after its Start click, and the objects
    made the app's next collections walk them (60-90 ms stalls of the window). A page that
    trains calls this while it is built, before the window freezes its objects; after the
    first call it costs microseconds."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU for "auto"; a named device falls back to CPU if absent."""
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if preference in ("auto", "mps") and mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.insert(0, "mps")
    return devices


def device_name(device: torch.device | str, cpu_threads: int | None = None) -> str:
    """A human name: the GPU's model for CUDA, else the device type (for the CPU with the
    threads a run gets: `cpu_threads`, or the calling thread's count)."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    threads = cpu_threads or torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def _is_oom(exc: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return (oom and isinstance(exc, oom)) or "out of memory" in str(exc).lower()


def iterate_batches(data: Dataset, batch_size: int, shuffle: bool, generator: torch.Generator | None):
    """Yield (x, y) batches. In-memory TensorDatasets are sliced directly (no per-item collate)."""
    if isinstance(data, TensorDataset):
        n = len(data)
        order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            yield tuple(t[idx] for t in data.tensors)
    else:
        yield from DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def check_schedule(name: str) -> None:
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}: choose one of {', '.join(SCHEDULES)}")


def make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer,
                   total_steps: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The learning-rate schedule `config.schedule` names, stepped once per training step
    (None for a constant rate)."""
    check_schedule(config.schedule)
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                   total_steps=max(total_steps, 1))
    return None


@torch.no_grad()
def evaluate(model: nn.Module, data: Dataset, device: torch.device, batch_size: int = 512,
             num_classes: int | None = None, loss: str = "cross_entropy"):
    """(accuracy, mean loss, confusion matrix or None) of `model` on `data`.

    Targets may be one label per sample (B,) or one per token (B, T) with logits (B, C, T):
    accuracy, loss and the confusion matrix then count tokens."""
    was_training = model.training
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    confusion = None
    for x, y in iterate_batches(data, batch_size, False, None):
        x, y = x.to(device), y.to(device)
        out = model(x)
        total += y.numel()  # labels (or regression targets) scored
        if loss == "mse":
            loss_sum += float(nn.functional.mse_loss(out, y, reduction="sum"))
            continue
        loss_sum += float(nn.functional.cross_entropy(out, y, reduction="sum"))
        pred = out.argmax(1)
        correct += int((pred == y).sum())
        k = num_classes or out.shape[1]
        cm = torch.bincount((y * k + pred).flatten(), minlength=k * k).reshape(k, k).cpu()
        confusion = cm if confusion is None else confusion + cm
    model.train(was_training)
    if total == 0:
        return math.nan, math.nan, None
    acc = correct / total if loss != "mse" else math.nan
    return acc, loss_sum / total, None if confusion is None else confusion.numpy().copy()


def fit(config: TrainConfig, model: nn.Module, train_data: Dataset, test_data: Dataset | None,
        on_step: Callable[[TrainEvent], bool | None], control: TrainControl | None = None,
        snapshot_fn: Callable[[nn.Module], dict] | None = None) -> TrainResult:
    """Train `model` in place; see the module docstring. Returns how the run ended."""
    control = control or TrainControl()
    torch.manual_seed(config.seed)
    device = pick_device(config.device)
    generator = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = math.ceil(len(train_data) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    criterion = nn.MSELoss() if config.loss == "mse" else nn.CrossEntropyLoss()
    history: list[TrainEvent] = []
    step, seen, epoch = 0, 0, 0
    lr = math.nan                   # the rate of the last step taken
    start = time.perf_counter()

    def result(status: str, message: str) -> TrainResult:
        test_acc = history[-1].test_accuracy if history else math.nan
        model.to("cpu")
        return TrainResult(status, message, step, len(history), test_acc,
                           time.perf_counter() - start, history)

    try:
        model.to(device)
        optimizer = make_optimizer(config, model)
        scheduler = make_scheduler(config, optimizer, total_steps)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        for epoch in range(config.epochs):
            model.train()
            epoch_loss, epoch_correct, epoch_seen, epoch_labels = 0.0, 0, 0, 0
            for x, y in iterate_batches(train_data, config.batch_size, True, generator):
                if control.paused:
                    control.wait_while_paused()
                if control.stopped:
                    return result("stopped", f"Stopped after {step} steps.")
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                out = model(x)
                loss = criterion(out, y)
                loss.backward()
                loss_value = float(loss.detach())
                if not math.isfinite(loss_value):
                    return result("diverged", (
                        f"Training stopped: the loss became {loss_value} at step {step + 1}. "
                        f"Try a lower learning rate (now {config.lr:g})."))
                # the norm clip_grad_norm_ would return, computed every step so every page can
                # plot it; clipping then reuses it instead of measuring the gradients again
                grads = [p.grad for p in params if p.grad is not None]
                total_norm = nn.utils.get_total_norm(grads) if grads else torch.zeros(())
                grad_norm = float(total_norm)
                if not math.isfinite(grad_norm):
                    return result("diverged", (
                        f"Training stopped: the gradient norm became {grad_norm} at step "
                        f"{step + 1}. Try a lower learning rate (now {config.lr:g}) or "
                        "gradient clipping."))
                grad_norm_clipped = grad_norm
                if config.clip_grad_norm is not None:
                    nn.utils.clip_grads_with_norm_(params, config.clip_grad_norm, total_norm)
                    # clip_grad_norm_'s factor: max_norm / (norm + 1e-6), at most 1
                    grad_norm_clipped = grad_norm * min(1.0, config.clip_grad_norm / (grad_norm + 1e-6))
                lr = optimizer.param_groups[0]["lr"]
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                batch = y.shape[0]
                seen += batch
                epoch_seen += batch
                epoch_loss += loss_value * batch
                if config.loss != "mse":
                    epoch_correct += int((out.argmax(1) == y).sum())
                    epoch_labels += y.numel()  # one per sample, or one per token
                elapsed = time.perf_counter() - start
                snapshot = None
                if snapshot_fn is not None and (step == 1 or step % config.snapshot_every == 0):
                    with torch.no_grad():
                        model.eval()
                        snapshot = snapshot_fn(model)
                        model.train()
                event = TrainEvent(
                    "step", epoch, step, total_steps, loss_value,
                    epoch_correct / epoch_labels if config.loss != "mse" else math.nan,
                    seen / max(elapsed, 1e-9), elapsed, snapshot,
                    grad_norm=grad_norm, grad_norm_clipped=grad_norm_clipped, lr=lr)
                if on_step(event) is False:
                    control.stop()
                if config.max_steps is not None and step >= config.max_steps:
                    break
            test_acc, test_loss, confusion = (math.nan, math.nan, None)
            if test_data is not None and len(test_data):
                test_acc, test_loss, confusion = evaluate(model, test_data, device,
                                                          loss=config.loss)
            elapsed = time.perf_counter() - start
            event = TrainEvent(
                "epoch", epoch, step, total_steps, epoch_loss / max(epoch_seen, 1),
                epoch_correct / max(epoch_labels, 1) if config.loss != "mse" else math.nan,
                seen / max(elapsed, 1e-9), elapsed,
                train_accuracy=epoch_correct / max(epoch_labels, 1) if config.loss != "mse" else math.nan,
                test_accuracy=test_acc, test_loss=test_loss, confusion=confusion, lr=lr)
            history.append(event)
            if on_step(event) is False:
                control.stop()
            if control.stopped:
                return result("stopped", f"Stopped after {step} steps.")
            if config.max_steps is not None and step >= config.max_steps:
                break
    except Exception as exc:
        if _is_oom(exc):
            if device.type == "cuda":
                torch.cuda.empty_cache()
            return result("out_of_memory", (
                f"Training stopped: the {device.type.upper()} ran out of memory at batch size "
                f"{config.batch_size}. Try a smaller batch or a smaller model."))
        raise
    msg = f"Finished {step} steps in {time.perf_counter() - start:.1f} s"
    if history and math.isfinite(history[-1].test_accuracy):
        msg += f"; test accuracy {history[-1].test_accuracy:.1%}"
    return result("finished", msg + ".")
