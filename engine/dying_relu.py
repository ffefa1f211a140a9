"""Dying ReLU: the share of ReLU units that never fire on a data set, and the experiment that
shows it growing over training with a too-high learning rate (and a Leaky ReLU that does not).

    dead_unit_fraction(model, images)      # {rectifier layer name: share of never-positive units}
    never_positive(model, images)          # {name: boolean mask of the output's shape}
    dying_relu_experiment(DyingReluConfig(...))   # {activation: DeadUnitCurve}
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.network import evaluating, leaf_modules

# Layers that can die in the dying-ReLU sense: an output that is never positive.
RECTIFIERS = (nn.ReLU, nn.LeakyReLU)


def _images(data, max_samples: int) -> torch.Tensor:
    """(N, C, H, W) images from a Dataset of (image, label) pairs or a tensor / array of images."""
    if isinstance(data, (torch.Tensor, np.ndarray)):
        x = torch.as_tensor(data, dtype=torch.float32)
    elif hasattr(data, "tensors"):  # a TensorDataset: slice, don't collate item by item
        x = data.tensors[0]
    else:
        x = torch.stack([data[k][0] for k in range(min(len(data), max_samples))])
    if len(x) == 0:
        raise ValueError("dead_unit_fraction needs at least one image")
    return x[:max_samples].float()


def never_positive(model: nn.Module, data, max_samples: int = 1000,
                   batch_size: int = 250) -> dict[str, np.ndarray]:
    """Per ReLU / LeakyReLU layer, a boolean array of its output's shape: True where that unit
    (one output element) is ≤ 0 on every one of the first `max_samples` images (eval mode)."""
    images = _images(data, max_samples)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    fired: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module in leaf_modules(model):
        if isinstance(module, RECTIFIERS):
            def hook(_mod, _inp, out, name=name):
                now = (out > 0).any(0)  # (C, H, W) or (F,): fired on some image of this batch
                fired[name] = now if name not in fired else fired[name] | now
            hooks.append(module.register_forward_hook(hook))
    try:
        with evaluating(model):
            for start in range(0, len(images), batch_size):
                model(images[start:start + batch_size].to(device))
    finally:
        for h in hooks:
            h.remove()
    return {name: ~f.cpu().numpy() for name, f in fired.items()}


def dead_unit_fraction(model: nn.Module, data, max_samples: int = 1000,
                       batch_size: int = 250) -> dict[str, float]:
    """Per ReLU / LeakyReLU layer (by name, in the order they ran), the share of its units that
    never fire on any of the first `max_samples` images of `data`.

    A unit is one output element (a conv map's unit is one channel at one position, so a
    6x28x28 map has 4,704 units); it is dead when its output is ≤ 0 (0 for a ReLU) on every
    image. A ReLU unit like that gets no gradient and stays dead; a Leaky ReLU unit counted the
    same way still passes a gradient of 0.01 and can come back."""
    return {name: float(dead.mean()) for name, dead in
            never_positive(model, data, max_samples, batch_size).items()}


@dataclass
class DeadUnitCurve:
    activation: str                # "relu" or "leaky_relu"
    steps: list[int]               # the training steps at which the share was measured (0: start)
    dead: dict[str, list[float]]   # layer name -> dead share at each of `steps`
    loss: list[float]              # the training loss at each of `steps` (nan at step 0)
    test_accuracy: float           # after the last step
    status: str                    # how engine.train.fit ended ("finished", "diverged", ...)


@dataclass
class DyingReluConfig:
    arch: str = "lenet5"           # zoo model, built with each activation in turn
    optimizer: str = "sgd"         # plain SGD with momentum: a large step pushes biases negative
    lr: float = 0.2                # too high on purpose: the problem the experiment shows
    batch_size: int = 64           # images per step
    steps: int = 300               # training steps per run
    record_every: int = 25         # steps between measurements of the dead share
    train_size: int = 3000         # generated digits to train on
    probe_size: int = 500          # training images the dead share is measured on
    seed: int = 0                  # data, weights and shuffling


def dying_relu_experiment(config: DyingReluConfig | None = None,
                          activations: tuple[str, ...] = ("relu", "leaky_relu"),
                          on_record=None) -> dict[str, DeadUnitCurve]:
    """Train the same net (same seed, data and learning rate) once per activation with
    engine.train.fit and record the dead share per layer every `record_every` steps.
    `on_record(activation, step, dead)` is called at each measurement; returning False stops."""
    from engine.data import load_dataset
    from engine.models import build_model
    from engine.train import TrainConfig, fit

    cfg = config or DyingReluConfig()
    data = load_dataset("generated", train_size=cfg.train_size, test_size=500, seed=cfg.seed)
    probe = data.train.tensors[0][:cfg.probe_size]
    curves = {}
    for activation in activations:
        torch.manual_seed(cfg.seed)  # the same initial weights for every activation
        model = build_model(cfg.arch, input_shape=data.info.input_shape, num_classes=10,
                            activation=activation)
        curve = DeadUnitCurve(activation, [0], {k: [v] for k, v in
                                                dead_unit_fraction(model, probe).items()},
                              [math.nan], math.nan, "")

        def on_step(event, curve=curve, model=model, activation=activation):
            if event.kind != "step" or event.step % cfg.record_every:
                return True
            dead = dead_unit_fraction(model, probe)
            curve.steps.append(event.step)
            curve.loss.append(event.loss)
            for name, share in dead.items():
                curve.dead[name].append(share)
            return None if on_record is None else on_record(activation, event.step, dead)

        train_cfg = TrainConfig(optimizer=cfg.optimizer, lr=cfg.lr, batch_size=cfg.batch_size,
                                epochs=10_000, max_steps=cfg.steps, seed=cfg.seed, device="cpu",
                                snapshot_every=10**9)
        result = fit(train_cfg, model, data.train, data.test, on_step)
        curve.test_accuracy, curve.status = result.test_accuracy, result.status
        curves[activation] = curve
    return curves

