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


# The activations a zoo model can use between its layers. Neither holds parameters, so the
# choice leaves a model's state_dict keys as they are (checkpoints of either kind load alike).
ACTIVATIONS = ("relu", "leaky_relu")
LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default negative slope


def make_activation(name: str = "relu") -> nn.Module:
    """nn.ReLU() for "relu", nn.LeakyReLU(0.01) for "leaky_relu"."""
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")


def _conv_block(c_in: int, c_out: int, k: int, padding: int, batchnorm: bool,
                activation: str = "relu") -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, padding=padding)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(make_activation(activation))
    return layers


def _flat_size(features: nn.Module, input_shape: tuple[int, int, int]) -> int:
    with torch.no_grad():
        return int(features(torch.zeros(1, *input_shape)).numel())


class _TwoConvNet(nn.Module):
    """conv 6 k5, pool 2, conv 16 k5, pool 2, fc 120-84-n: LeNet-5 and the CIFAR net's layers."""

    def __init__(self, input_shape, num_classes, dropout, batchnorm, activation, pad: int):
        super().__init__()
        c, act = input_shape[0], activation
        self.features = nn.Sequential(
            *_conv_block(c, 6, 5, pad, batchnorm, act), nn.MaxPool2d(2),
            *_conv_block(6, 16, 5, 0, batchnorm, act), nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 120), make_activation(act), nn.Dropout(dropout),
            nn.Linear(120, 84), make_activation(act), nn.Dropout(dropout),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):  # (B, C, H, W) -> (B, num_classes) logits
        return self.classifier(self.features(x))


class LeNet5(_TwoConvNet):
    """LeNet-5 (ReLU + max-pool variant): conv 6 k5 pad 2, pool, conv 16 k5, pool, fc 120-84-n."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 activation="relu"):
        pad = 2 if input_shape[1] == 28 else 0  # 28x28 is padded to LeNet's original 32x32
        super().__init__(input_shape, num_classes, dropout, batchnorm, activation, pad)


class CifarNet(_TwoConvNet):
    """The classic small CIFAR-10 net: conv 3->6 k5, pool 2, conv 6->16 k5, pool 2, fc 400-120-84-n."""

    def __init__(self, input_shape=(3, 32, 32), num_classes=10, dropout=0.0, batchnorm=False,
                 activation="relu"):
        super().__init__(input_shape, num_classes, dropout, batchnorm, activation, pad=0)


class TinyVGG(nn.Module):
    """Two VGG blocks (conv3-ReLU-conv3-ReLU-maxpool), then one linear layer (the CNN Explainer net)."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 hidden=10, activation="relu"):
        super().__init__()
        c, h, bn, act = input_shape[0], hidden, batchnorm, activation
        self.features = nn.Sequential(
            *_conv_block(c, h, 3, 1, bn, act), *_conv_block(h, h, 3, 1, bn, act), nn.MaxPool2d(2),
            *_conv_block(h, h, 3, 1, bn, act), *_conv_block(h, h, 3, 1, bn, act), nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(flat, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """A fully connected net of about LeNet's size, for the 'why convolutions?' comparison."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 hidden=(72, 48), activation="relu"):
        super().__init__()
        self.features = nn.Sequential()  # no convolutional part
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(input_shape)
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers += [make_activation(activation), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*layers)

    def forward(self, x):
        return self.classifier(x)


class NotesCifarNet(nn.Module):
    """The lecture notes' CIFAR net: conv 3->32 k3 pad 1, ReLU, conv 32->32 k3 pad 1, ReLU,
    max-pool 2, then fc 512 and the output layer. On 3x32x32 the pool leaves 32x16x16, which
    flattens to the 8192 inputs of its `Linear(8192, 512)`."""

    def __init__(self, input_shape=(3, 32, 32), num_classes=10, dropout=0.0, batchnorm=False,
                 activation="relu"):
        super().__init__()
        c, bn, act = input_shape[0], batchnorm, activation
        self.features = nn.Sequential(
            *_conv_block(c, 32, 3, 1, bn, act), *_conv_block(32, 32, 3, 1, bn, act),
            nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))  # 32 * 16 * 16 = 8192 on 32x32
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 512), make_activation(act), nn.Dropout(dropout),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class NotesMnistNet(nn.Module):
    """The lecture notes' 28x28 net, Conv(32, 3) -> pool -> Dense 128 -> 10: conv 1->32 k3 (no
    padding: 26x26), ReLU, max-pool 2 (13x13), flatten 32*13*13 = 5408, fc 128, output layer."""

    def __init__(self, input_shape=(1, 28, 28), num_classes=10, dropout=0.0, batchnorm=False,
                 activation="relu"):
        super().__init__()
        self.features = nn.Sequential(
            *_conv_block(input_shape[0], 32, 3, 0, batchnorm, activation), nn.MaxPool2d(2),
        )
        flat = _flat_size(self.features, tuple(input_shape))  # 5408 on 28x28
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 128), make_activation(activation), nn.Dropout(dropout),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


# name -> class; checkpoints name their architecture by these keys.
ARCHITECTURES: dict[str, type[nn.Module]] = {
    "lenet5": LeNet5,
    "cifarnet": CifarNet,
    "tinyvgg": TinyVGG,
    "mlp": MLP,
    "notes_cifar": NotesCifarNet,
    "notes_mnist": NotesMnistNet,
}
ARCHITECTURE_LABELS = {
    "lenet5": "LeNet-5", "cifarnet": "CIFAR net (6-16-120-84)", "tinyvgg": "TinyVGG", "mlp": "MLP",
    "notes_cifar": "Notes' CIFAR net (32-32, fc 8192→512)",
    "notes_mnist": "Notes' MNIST net (conv 32, fc 128)",
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


@dataclass
class ParameterComparison:
    cnn: list[LayerRow]           # the CNN's layer table
    mlp: list[LayerRow]           # the MLP's layer table, on the same input
    cnn_total: int                # parameters of the CNN
    mlp_total: int                # parameters of the MLP
    mlp_kwargs: dict              # build_model("mlp", **mlp_kwargs) builds that MLP (to train it)


def fully_connected_widths(model: nn.Module) -> tuple[int, ...]:
    """The hidden widths of a model's fully connected layers: every Linear's out_features but
    the output layer's, in the order they run (LeNet-5: (120, 84))."""
    widths = [m.out_features for m in model.modules() if isinstance(m, nn.Linear)]
    return tuple(widths[:-1])


def cnn_vs_mlp(arch: str, input_shape: tuple[int, int, int], num_classes: int = 10,
               **kwargs) -> ParameterComparison:
    """Parameter counts of a CNN and of the MLP the notes compare it with: the CNN's fully
    connected layers of the *same widths* fed the raw pixels (its first hidden layer as wide as
    the CNN's first fully connected layer), not an MLP sized to match the CNN's total."""
    cnn = build_model(arch, input_shape=tuple(input_shape), num_classes=num_classes, **kwargs)
    hidden = fully_connected_widths(cnn)
    if not hidden:
        raise ValueError(f"{ARCHITECTURE_LABELS.get(arch, arch)} has no hidden fully connected "
                         "layer, so there is no MLP width to copy")
    mlp_kwargs = {"input_shape": tuple(input_shape), "num_classes": num_classes, "hidden": hidden}
    mlp = build_model("mlp", **mlp_kwargs)
    return ParameterComparison(layer_table(cnn, input_shape), layer_table(mlp, input_shape),
                               parameter_count(cnn), parameter_count(mlp), mlp_kwargs)


def cnn_vs_mlp_counts(arch: str, input_shape: tuple[int, int, int], num_classes: int = 10,
                      **kwargs) -> ParameterComparison:
    """`cnn_vs_mlp` with both models built on torch's "meta" device: the same layer tables and
    totals, but no weights are allocated or initialised, so it is instant even for 224x224
    inputs (where the notes' CIFAR net's first fully connected layer has 205M weights)."""
    with torch.device("meta"):
        return cnn_vs_mlp(arch, input_shape, num_classes, **kwargs)


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
