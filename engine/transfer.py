"""Transfer learning: reuse a network trained on one task for another with few labels.

The recipe of the lecture notes, as functions a page (or a script) can call:

    backbone = load_backbone()                        # TinyVGG trained on digits (assets/)
    model = prepare(backbone, "frozen", num_classes=8)
    trainable_parameters(model)                       # what the optimizer will update

`prepare(model, mode, num_classes)` returns a *copy* (copy.deepcopy) of `model`, never changing
the caller's, with its head (the last nn.Linear of `.classifier`, or `.fc` for a torchvision
ResNet) replaced by a fresh `nn.Linear(in_features, num_classes)` and with `requires_grad` set:
- "scratch":  every weight re-initialised and trainable (the same architecture, no transfer);
- "frozen":   only the new head trainable, the rest keeps the backbone's weights;
- "finetune": the new head and the last conv block trainable (from the last Conv2d of
  `.features` to the end of the network; ResNet: from `layer4` on), the rest frozen.
A model without such a head (or, for "finetune", without a conv block) raises ValueError.
`engine.train.fit` optimises only parameters with `requires_grad`, so the frozen ones stay bit for
bit as they were. BatchNorm layers whose parameters are all frozen stay in eval mode during
training (a forward pre-hook puts them back after `model.train()`): they keep normalising with
the backbone's running statistics, which a batch of the new task would otherwise overwrite.

`compare_runs(TransferConfig())` trains the three runs on the same small shapes task
(engine.data.shapes) with the same number of steps and reports test-accuracy curves per epoch;
its pieces (`target_data`, `prepared_model`, `run_config`) let a GUI run each one in its worker.
torchvision's ResNet-18 / VGG16 are offered when their ImageNet weights are in the torch hub
cache (`available_pretrained`), or after `download_weights` (only ever on request).
"""
from __future__ import annotations

import copy
import hashlib
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from engine.data.shapes import make_shapes
from engine.files import copy_in_chunks
from engine.models import load_pretrained, parameter_count
from engine.train import TrainConfig, TrainEvent, fit

MODES = ("scratch", "frozen", "finetune")
MODE_LABELS = {"scratch": "from scratch", "frozen": "frozen backbone, new head",
               "finetune": "fine-tuned (head + last block)"}
BACKBONE = "backbone_digits"  # assets/models/backbone_digits.pt, made by scripts/make_backbone.py
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


# -- finding the head and the last block ---------------------------------------------------------
def load_backbone(name: str = BACKBONE) -> nn.Module:
    """The shipped pretrained backbone (eval mode; its checkpoint metadata on `.meta`)."""
    return load_pretrained(name)


def head_name(model: nn.Module) -> str:
    """Qualified name of the layer `prepare` replaces: the last nn.Linear of `.classifier`
    (the zoo models, torchvision VGG: "classifier.6"), else `.fc` (torchvision ResNet)."""
    classifier = getattr(model, "classifier", None)
    if isinstance(classifier, nn.Linear):
        return "classifier"
    if isinstance(classifier, nn.Module):
        linears = [n for n, m in classifier.named_modules() if isinstance(m, nn.Linear)]
        if linears:
            return f"classifier.{linears[-1]}"
    if isinstance(getattr(model, "fc", None), nn.Linear):
        return "fc"
    raise ValueError(f"{type(model).__name__} has no head to replace: transfer learning looks "
                     "for the last nn.Linear of model.classifier or for model.fc.")


def last_block_name(model: nn.Module) -> str:
    """Qualified name of the module where the last conv block starts: `layer4` for a ResNet,
    else the last nn.Conv2d inside `.features` ("features.7" for TinyVGG, "features.3" for
    LeNet-5)."""
    if isinstance(getattr(model, "layer4", None), nn.Module):
        return "layer4"
    features = getattr(model, "features", None)
    convs = [n for n, m in features.named_modules() if isinstance(m, nn.Conv2d)] if \
        isinstance(features, nn.Module) else []
    if not convs:
        raise ValueError(f"{type(model).__name__} has no convolutional block to unfreeze: "
                         "fine-tuning looks for model.layer4 or an nn.Conv2d in model.features.")
    return f"features.{convs[-1]}"


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, new)


def _modules_from(model: nn.Module, start: str) -> list[nn.Module]:
    """Every module at or after `start` in registration order (the order these models run)."""
    names = [n for n, _ in model.named_modules()]
    first = names.index(start)
    return [model.get_submodule(n) for n in names[first:] if n]


def _keep_frozen_norm_in_eval(module: nn.Module, _args) -> None:
    """Forward pre-hook on BatchNorm layers: frozen ones normalise with their running stats."""
    if module.training and not any(p.requires_grad for p in module.parameters()):
        module.eval()


def _guard_frozen_norms(model: nn.Module) -> None:
    # idempotent, so a model prepared twice (a copy carries its hooks) only checks twice
    for module in model.modules():
        if isinstance(module, NORM_TYPES):
            module.register_forward_pre_hook(_keep_frozen_norm_in_eval)


def _check_mode(mode: str, num_classes: int) -> None:
    if mode not in MODES:
        raise ValueError(f"Unknown transfer mode {mode!r}: choose one of {', '.join(MODES)}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"The new task needs at least 2 classes (got {num_classes!r}).")


def prepare(model: nn.Module, mode: str, num_classes: int, seed: int = 0) -> nn.Module:
    """A copy of `model` with a new head for `num_classes` and `requires_grad` set by `mode`
    (see the module docstring). `seed` seeds the new head (and, for "scratch", every weight)."""
    _check_mode(mode, num_classes)
    head = head_name(model)
    if mode == "finetune":
        last_block_name(model)  # fail before copying when there is no block to unfreeze
    model = copy.deepcopy(model)
    torch.manual_seed(seed)
    if mode == "scratch":
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    old = model.get_submodule(head)
    _replace(model, head, nn.Linear(old.in_features, num_classes, bias=old.bias is not None))
    for p in model.parameters():
        p.requires_grad_(mode == "scratch")
    if mode == "finetune":
        for module in _modules_from(model, last_block_name(model)):
            module.requires_grad_(True)
    model.get_submodule(head).requires_grad_(True)
    _guard_frozen_norms(model)
    return model


def unfreeze_last_block(model: nn.Module) -> nn.Module:
    """The notes' second stage: a copy of a model whose head was trained on the frozen backbone,
    with the last conv block trainable too (the head is kept, not replaced)."""
    model = copy.deepcopy(model)
    for module in _modules_from(model, last_block_name(model)):
        module.requires_grad_(True)
    _guard_frozen_norms(model)
    return model


def trainable_parameters(model: nn.Module) -> int:
    """How many parameters have requires_grad (what an optimizer over them would update)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def total_parameters(model: nn.Module) -> int:
    """Every parameter, trainable or frozen."""
    return parameter_count(model)


@dataclass
class LayerState:
    name: str          # qualified module name, e.g. "features.3"
    kind: str          # class name, e.g. "Conv2d"
    params: int        # parameters of this module (and its children)
    trainable: int     # of those, how many have requires_grad

    @property
    def frozen(self) -> bool:
        """Holds parameters and none of them trains."""
        return self.params > 0 and self.trainable == 0


def layer_states(model: nn.Module, depth: int | None = None) -> list[LayerState]:
    """One row per layer for a frozen / trainable diagram: the leaf modules in registration
    order, or with `depth` the modules that many dots deep (ResNet depth 1: conv1 ... layer4, fc),
    each counting the parameters of its children."""
    rows = []
    for name, module in model.named_modules():
        if not name:
            continue
        leaf = not any(True for _ in module.children())
        level = name.count(".") + 1
        if (depth is None and leaf) or (depth is not None and (level == depth or
                                                               (leaf and level < depth))):
            params = list(module.parameters())
            rows.append(LayerState(name, type(module).__name__, sum(p.numel() for p in params),
                                   sum(p.numel() for p in params if p.requires_grad)))
    return rows


# -- the notes' recipe as code ------------------------------------------------------------------
# per architecture: how the code builds it, its head, and its last block (tests hold these
# against head_name / last_block_name)
CODE_ARCHS = {
    "backbone": {"label": "TinyVGG trained on digits (shipped)", "head": "model.classifier[-1]",
                 "block": "model.features[7:]", "rest": "model.classifier"},
    "resnet18": {"label": "ResNet-18 (ImageNet)", "head": "model.fc", "block": "model.layer4",
                 "rest": "model.fc"},
    "vgg16": {"label": "VGG16 (ImageNet)", "head": "model.classifier[-1]",
              "block": "model.features[28:]", "rest": "model.classifier"},
}


def _build_lines(arch: str, mode: str, pretrained: bool) -> list[str]:
    if arch == "backbone":
        if mode == "scratch":
            return ["from engine.models import build_model", "",
                    "# the backbone's architecture with fresh random weights: no transfer",
                    'model = build_model("tinyvgg", input_shape=(1, 28, 28), hidden=10)']
        return ["from engine.models import load_pretrained", "",
                "# TinyVGG trained on handwritten digits (assets/models/backbone_digits.pt)",
                f'model = load_pretrained("{BACKBONE}")']
    weights = '"DEFAULT"' if pretrained and mode != "scratch" else "None"
    why = "ImageNet weights" if weights != "None" else "random weights"
    return ["from torchvision import models", "", f"# {CODE_ARCHS[arch]['label']} with {why}",
            f"model = models.{arch}(weights={weights})"]


def transfer_code(mode: str, arch: str = "backbone", num_classes: int = 8, lr: float = 3e-3,
                  epochs: int = 3, batch_size: int = 32, n_train: int = 300,
                  pretrained: bool = True) -> str:
    """The notes' recipe for the current choice as PyTorch code that runs as shown: the model,
    the new head (`model.classifier[-1] = nn.Linear(...)`), `requires_grad = False` on the base,
    the last block unfrozen for "finetune", an optimizer over the trainable parameters only,
    and the training loop on the shapes task. `pretrained=False` builds torchvision models with
    `weights=None` (a dry run without the download)."""
    _check_mode(mode, num_classes)
    if arch not in CODE_ARCHS:
        raise ValueError(f"Unknown architecture {arch!r}: choose one of {', '.join(CODE_ARCHS)}.")
    spec = CODE_ARCHS[arch]
    head = spec["head"]
    lines = ["import torch", "from torch import nn", "from torch.utils.data import DataLoader",
             "from engine.data.shapes import make_shapes"]
    lines += _build_lines(arch, mode, pretrained)
    lines += ["", "torch.manual_seed(0)",
              f"train_set, test_set, classes = make_shapes(n_train={n_train})",
              f"train_loader = DataLoader(train_set, batch_size={batch_size}, shuffle=True)", ""]
    if mode != "scratch":
        lines += ["# freeze the pretrained base: its weights will not change",
                  "for param in model.parameters():", "    param.requires_grad = False", ""]
    lines += [f"# a new head for the {num_classes} classes (a new layer is trainable)",
              f"{head} = nn.Linear({head}.in_features, {num_classes})"]
    if mode == "finetune":
        lines += ["", "# unfreeze the last conv block (and what follows it)",
                  f"for layer in ({spec['block']}, {spec['rest']}):",
                  "    for param in layer.parameters():", "        param.requires_grad = True"]
    lr_note = "  # lower: small steps keep the pretrained filters" if mode == "finetune" else ""
    lines += ["", "trainable = [p for p in model.parameters() if p.requires_grad]",
              f"optimizer = torch.optim.Adam(trainable, lr={lr:g}){lr_note}",
              "loss_fn = nn.CrossEntropyLoss()", "", f"for epoch in range({epochs}):",
              "    model.train()"]
    if arch == "resnet18" and mode != "scratch":
        lines += ["    for m in model.modules():  # frozen BatchNorm keeps the backbone's statistics",
                  "        if isinstance(m, nn.BatchNorm2d) and not m.weight.requires_grad:",
                  "            m.eval()"]
    lines += ["    for x, y in train_loader:"]
    if arch != "backbone":
        lines += ["        # ImageNet nets take 3 channels; 32x32 is the least VGG16's five pools allow",
                  "        x = nn.functional.interpolate(x, size=32).repeat(1, 3, 1, 1)"]
    lines += ["        optimizer.zero_grad()", "        loss = loss_fn(model(x), y)",
              "        loss.backward()", "        optimizer.step()"]
    return "\n".join(lines) + "\n"


# -- the experiment: three runs on the same small data ------------------------------------------
@dataclass
class TransferConfig:
    n_train: int = 120          # labelled training shapes (the "few labels": 15 per class)
    n_test: int = 1000          # test shapes, scored after every epoch
    epochs: int = 10            # passes over the training set (the same for every run)
    batch_size: int = 32        # shapes per step
    lr: float = 3e-3            # Adam's learning rate for "scratch" and "frozen"
    finetune_lr: float = 1.5e-3  # lower for "finetune": small steps keep the pretrained filters
    seed: int = 0               # seeds the data, the new head's weights and the shuffling
    backbone: str = BACKBONE    # shipped checkpoint name under assets/models/


@dataclass
class TransferRun:
    mode: str                                   # "scratch", "frozen" or "finetune"
    trainable: int                              # parameters the optimizer updated
    total: int                                  # parameters of the whole model
    epochs: list[int] = field(default_factory=list)            # 1-based
    test_accuracy: list[float] = field(default_factory=list)   # after each epoch
    steps: int = 0                              # optimizer steps taken
    elapsed_s: float = 0.0                      # wall time of the run
    model: nn.Module | None = field(default=None, repr=False)  # the trained model

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else math.nan


def target_data(config: TransferConfig):
    """(train, test, class names) of the small target task, the same for every run."""
    return make_shapes(config.n_train, config.n_test, config.seed)


def run_config(mode: str, config: TransferConfig) -> TrainConfig:
    """The engine.train.fit settings of one run: equal epochs and batch for all three."""
    _check_mode(mode, 2)
    lr = config.finetune_lr if mode == "finetune" else config.lr
    return TrainConfig(optimizer="adam", lr=lr, batch_size=config.batch_size,
                       epochs=config.epochs, seed=config.seed, device="cpu")


def prepared_model(mode: str, config: TransferConfig, num_classes: int,
                   backbone: nn.Module | None = None) -> nn.Module:
    """The backbone (loaded unless given) prepared for `mode`."""
    return prepare(backbone if backbone is not None else load_backbone(config.backbone),
                   mode, num_classes, seed=config.seed)


def compare_runs(config: TransferConfig = TransferConfig(), modes=MODES,
                 on_step: Callable[[str, TrainEvent], None] | None = None) -> dict[str, TransferRun]:
    """Train each mode on the same data and return its test-accuracy curve per epoch."""
    train, test, classes = target_data(config)
    backbone = load_backbone(config.backbone)
    runs = {}
    for mode in modes:
        model = prepared_model(mode, config, len(classes), backbone)
        run = TransferRun(mode, trainable_parameters(model), total_parameters(model), model=model)

        def record(event: TrainEvent, mode=mode, run=run):
            if event.kind == "epoch":
                run.epochs.append(event.epoch + 1)
                run.test_accuracy.append(event.test_accuracy)
            if on_step is not None:
                on_step(mode, event)

        result = fit(run_config(mode, config), model, train, test, record)
        run.steps, run.elapsed_s = result.steps, result.elapsed_s
        runs[mode] = run
    return runs


# -- torchvision's ImageNet models ---------------------------------------------------------------
TORCHVISION_MODELS = {"resnet18": "ResNet18_Weights", "vgg16": "VGG16_Weights"}


class WeightsError(Exception):
    """Weights that cannot be found, fetched or read; the message is one sentence for the user."""


class DownloadCancelled(WeightsError):
    """The user cancelled the download; nothing was left behind."""


def _weights_enum(name: str):
    if name not in TORCHVISION_MODELS:
        raise ValueError(f"Unknown model {name!r}: choose one of {', '.join(TORCHVISION_MODELS)}.")
    import torchvision.models as tvm
    return getattr(tvm, TORCHVISION_MODELS[name]).DEFAULT


def weights_url(name: str) -> str:
    return _weights_enum(name).url


def weights_path(name: str) -> Path:
    """Where torch.hub keeps the ImageNet weights of `name` (checkpoints/<file of the URL>)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / weights_url(name).rsplit("/", 1)[-1]


def available_pretrained() -> list[str]:
    """The torchvision models whose ImageNet weights are already cached; never downloads."""
    return [name for name in TORCHVISION_MODELS if weights_path(name).is_file()]


def download_weights(name: str, progress: Callable[[int, int], None] | None = None,
                     cancel: Callable[[], bool] | None = None, opener=None,
                     check_hash: bool = True, timeout: float = 30.0) -> Path:
    """Fetch the ImageNet weights of `name` into the torch hub cache, only when asked.

    Streams to a temporary file in the same folder, reporting `progress(done_bytes, total)`;
    `cancel()` returning True stops between chunks. The file is renamed into place only when
    complete and (with `check_hash`) when its SHA-256 starts with the hash in its name, as
    torch.hub checks. Offline, cancelled or corrupt: WeightsError, nothing left behind.
    `opener(url, timeout=...)` defaults to urllib.request.urlopen, looked up at each call."""
    opener = opener or urllib.request.urlopen
    url, dest = weights_url(name), weights_path(name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    digest = hashlib.sha256()
    try:
        with opener(url, timeout=timeout) as response, open(part, "wb") as out:
            if not copy_in_chunks(response, out, digest, progress, cancel):
                raise DownloadCancelled(f"Download of {dest.name} cancelled.")
        expected = dest.stem.rsplit("-", 1)[-1]
        if check_hash and not digest.hexdigest().startswith(expected):
            raise WeightsError(f"The download of {dest.name} is corrupt (its checksum does not "
                               "match); try again.")
        part.replace(dest)
        return dest
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise WeightsError(f"Could not download {dest.name} (offline? {reason}); copy it into "
                           f"{dest.parent} or try again when online.") from exc
    finally:
        part.unlink(missing_ok=True)


def torchvision_model(name: str, pretrained: bool = True, device: str | None = None) -> nn.Module:
    """ResNet-18 or VGG16 (eval mode), with the cached ImageNet weights when `pretrained`;
    WeightsError when they are not cached (call download_weights first). An untrained model
    may be built on device="meta": its layers and parameter counts without the memory (VGG16's
    138 M weights), for a diagram that does not run it."""
    import torchvision.models as tvm
    _weights_enum(name)
    if pretrained and device == "meta":
        raise ValueError("Pretrained weights cannot be loaded onto the meta device.")
    with torch.device(device or "cpu"):
        model = getattr(tvm, name)(weights=None)
    if pretrained:
        path = weights_path(name)
        if not path.is_file():
            raise WeightsError(f"The ImageNet weights of {name} are not in {path.parent}; "
                               "download them first.")
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except Exception as exc:  # a truncated or foreign file: the user must fetch it again
            raise WeightsError(f"{path.name} is not a readable {name} checkpoint "
                               f"({type(exc).__name__}); delete it and download again.") from exc
    return model.eval()


# -- one place that builds any of the offered bases ---------------------------------------------
BASES = {"backbone": "TinyVGG trained on digits (shipped)", "resnet18": "ResNet-18 (ImageNet)",
         "vgg16": "VGG16 (ImageNet)"}


def load_base(name: str, pretrained: bool = True, device: str | None = None) -> nn.Module:
    """The shipped digit backbone ("backbone") or a torchvision model ("resnet18", "vgg16";
    untrained with pretrained=False, else from the hub cache: WeightsError when not cached;
    `device` as in torchvision_model)."""
    if name == "backbone":
        return load_backbone()
    if name not in TORCHVISION_MODELS:
        raise ValueError(f"Unknown base {name!r}: choose one of {', '.join(BASES)}.")
    return torchvision_model(name, pretrained, device)


def as_rgb32(data: torch.utils.data.TensorDataset) -> torch.utils.data.TensorDataset:
    """Greyscale 28x28 images as the 3x32x32 an ImageNet net accepts (VGG16's five pools need
    at least 32): nearest-neighbour resize, the grey channel repeated (what transfer_code shows)."""
    x, y = data.tensors
    x = nn.functional.interpolate(x, size=32).repeat(1, 3, 1, 1)  # (N, 3, 32, 32)
    return torch.utils.data.TensorDataset(x, y)
