"""The CNN model zoo, layer tables, and checkpoints (save, load, the shipped pretrained models).

Every image model exposes `.features` (the convolutional part, an nn.Sequential) and
`.classifier`, so first-layer filters and feature maps can be read the same way for all of them.
Checkpoints are plain dicts of tensors and primitives, loaded with `weights_only=True`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine import ASSETS

CHECKPOINT_FORMAT = "strides-gates/1"
MODELS_DIR = ASSETS / "models"


def _conv_block(c_in: int, c_out: int, k: int, padding: int, batchnorm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, padding=padding)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU())
    return layers


def _flat_size(features: nn.Module, input_shape: tuple[int, int, int]) -> int:
    with torch.no_grad():
        return int(features(torch.zeros(1, *input_shape)).numel())


class LeNet5(nn.Module):
    """LeNet-5 (ReLU + max-pool variant): conv 6 k5 pad 2, pool, conv 16 k5, pool, fc 120-84-n."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False):
        super().__init__()
        c, h, _ = input_shape
        pad = 2 if h == 28 else 0  # 28x28 is padded to LeNet's original 32x32
        self.features = nn.Sequential(
            *_conv_block(c, 6, 5, pad, batchnorm), nn.MaxPool2d(2),
            *_conv_block(6, 16, 5, 0, batchnorm), nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(dropout), nn.Linear(84, num_classes),
        )

    def forward(self, x):  # (B, C, H, W) -> (B, num_classes) logits
        return self.classifier(self.features(x))


class CifarNet(nn.Module):
    """The classic small CIFAR-10 net: conv 3->6 k5, pool 2, conv 6->16 k5, pool 2, fc 400-120-84-n."""

    def __init__(self, input_shape=(3, 32, 32), num_classes=10, dropout=0.0, batchnorm=False):
        super().__init__()
        c = input_shape[0]
        self.features = nn.Sequential(
            *_conv_block(c, 6, 5, 0, batchnorm), nn.MaxPool2d(2),
            *_conv_block(6, 16, 5, 0, batchnorm), nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(dropout), nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class TinyVGG(nn.Module):
    """Two VGG blocks (conv3-ReLU-conv3-ReLU-maxpool), then one linear layer (the CNN Explainer net)."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 hidden=10):
        super().__init__()
        c = input_shape[0]
        self.features = nn.Sequential(
            *_conv_block(c, hidden, 3, 1, batchnorm), *_conv_block(hidden, hidden, 3, 1, batchnorm),
            nn.MaxPool2d(2),
            *_conv_block(hidden, hidden, 3, 1, batchnorm), *_conv_block(hidden, hidden, 3, 1, batchnorm),
            nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(flat, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """A fully connected net of about LeNet's size, for the 'why convolutions?' comparison."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 hidden=(72, 48)):
        super().__init__()
        self.features = nn.Sequential()  # no convolutional part
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(input_shape)
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers += [nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*layers)

    def forward(self, x):
        return self.classifier(x)


# name -> class; checkpoints name their architecture by these keys.
ARCHITECTURES: dict[str, type[nn.Module]] = {
    "lenet5": LeNet5,
    "cifarnet": CifarNet,
    "tinyvgg": TinyVGG,
    "mlp": MLP,
}
ARCHITECTURE_LABELS = {
    "lenet5": "LeNet-5", "cifarnet": "CIFAR net (6-16-120-84)", "tinyvgg": "TinyVGG", "mlp": "MLP",
}


# Modules holding more architectures (recurrent models), each with its own ARCHITECTURES dict.
EXTRA_ARCHITECTURE_MODULES = ("engine.rnn_models", "engine.char_model", "engine.row_reader")


def architecture(name: str) -> type[nn.Module]:
    """The model class for an architecture name, here or in one of EXTRA_ARCHITECTURE_MODULES."""
    if name in ARCHITECTURES:
        return ARCHITECTURES[name]
    import importlib
    for module_name in EXTRA_ARCHITECTURE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        if name in getattr(module, "ARCHITECTURES", {}):
            return module.ARCHITECTURES[name]
    raise KeyError(f"unknown architecture {name!r}")


def build_model(name: str, **kwargs) -> nn.Module:
    return architecture(name)(**kwargs)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass
class LayerRow:
    name: str                # dotted module name, e.g. "features.0"
    kind: str                # class name, e.g. "Conv2d"
    output_shape: tuple      # without the batch dimension
    params: int              # trainable parameters of this layer alone


def layer_table(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerRow]:
    """Each leaf layer's output shape (for one input of `input_shape`) and parameter count."""
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        if len(list(module.children())) == 0:
            def hook(mod, _inp, out, name=name):
                shape = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else ()
                rows.append(LayerRow(name, type(mod).__name__, shape,
                                     sum(p.numel() for p in mod.parameters(recurse=False))))
            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            device = next(model.parameters()).device
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


class CheckpointError(Exception):
    """A checkpoint file that cannot be used; the message says why, for the user."""


def save_checkpoint(path: str | Path, model: nn.Module, meta: dict) -> None:
    """Write weights plus metadata. `meta` must hold "arch" and "kwargs" (the constructor args)."""
    if "arch" not in meta or "kwargs" not in meta:
        raise ValueError("checkpoint metadata needs 'arch' and 'kwargs'")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": CHECKPOINT_FORMAT, "meta": dict(meta), "state_dict": state}, Path(path))


def load_checkpoint(path: str | Path, expect_arch: str | None = None) -> tuple[nn.Module, dict]:
    """Load (model in eval mode, metadata). Raises CheckpointError with a readable message."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint file at {path}.")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and unpickler errors all mean "not a usable checkpoint"
        raise CheckpointError(f"{path.name} is not a readable checkpoint ({type(exc).__name__}).") from exc
    if not isinstance(blob, dict) or blob.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path.name} is not a Strides & Gates checkpoint.")
    meta, state = blob.get("meta"), blob.get("state_dict")
    if not isinstance(meta, dict) or not isinstance(state, dict):
        raise CheckpointError(f"{path.name} is missing its metadata or weights.")
    arch = meta.get("arch")
    if expect_arch is not None and arch != expect_arch:
        raise CheckpointError(f"{path.name} holds a {arch!r} model, not a {expect_arch!r} one.")
    try:
        model = build_model(arch, **meta.get("kwargs", {}))
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{path.name} names a model this version cannot build: {exc}.") from exc
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"{path.name} does not fit its model: {first}") from exc
    broken = [k for k, v in state.items() if isinstance(v, torch.Tensor)
              and v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if broken:
        raise CheckpointError(f"{path.name} holds NaN or infinite weights ({', '.join(broken[:3])}"
                              f"{', …' if len(broken) > 3 else ''}): a training run that diverged "
                              "leaves such a model. Train it again with a lower learning rate.")
    model.eval()
    return model, meta


def load_pretrained(name: str) -> nn.Module:
    """The shipped model `assets/models/<name>.pt`, in eval mode (metadata on `model.meta`)."""
    model, meta = load_checkpoint(MODELS_DIR / f"{name}.pt")
    model.meta = meta
    return model
