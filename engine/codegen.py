"""Equivalent PyTorch code for what a page shows, plus the shape of the tensor it produces.

Each function returns a short, runnable snippet (a string) that builds the layer with the page's
current settings and applies it to an input of the same shape, ending with a comment giving the
output shape, e.g. `# -> torch.Size([1, 2, 3, 3])`. Arguments left at PyTorch's defaults are
omitted, so the code reads like what a student would write.
"""
from __future__ import annotations

import json

from engine.geometry import pair, raw_output_size, transposed_output_size


def _arg(v):
    """An int when both directions agree (`3`), else a tuple (`(3, 2)`)."""
    a, b = pair(v)
    return a if a == b else (a, b)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "torch.Size([" + ", ".join(str(int(v)) for v in shape) + "])"


def _kwargs(items: list[tuple[str, object, object]]) -> str:
    """`name=value` for each (name, value, default) whose value differs from the default."""
    return ", ".join(f"{n}={v!r}" for n, v, d in items if d is None or v != d)


def conv2d_output_shape(in_shape: tuple[int, int, int], out_channels: int, kernel_size,
                        stride=1, padding=0, dilation=1) -> tuple[int, int, int, int]:
    """(1, C_out, H_out, W_out) for an input of shape (C_in, H, W); sizes may be < 1."""
    _c, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    return (1, out_channels, raw_output_size(h, kh, sh, ph, dh), raw_output_size(w, kw, sw, pw, dw))


def conv2d_code(in_shape: tuple[int, int, int], out_channels: int, kernel_size, stride=1,
                padding=0, dilation=1, bias: bool = True, activation: str | None = None,
                slope: float = 0.01) -> str:
    """`nn.Conv2d(...)` for an input (C_in, H, W), applied to a batch of one, with the output
    shape; `activation` ("relu", "leaky_relu", "sigmoid", "tanh" or None) adds that layer."""
    c_in, h, w = in_shape
    args = _kwargs([("in_channels", int(c_in), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", _arg(kernel_size), None), ("stride", _arg(stride), 1),
                    ("padding", _arg(padding), 0), ("dilation", _arg(dilation), 1),
                    ("bias", bool(bias), True)])
    shape = conv2d_output_shape(in_shape, out_channels, kernel_size, stride, padding, dilation)
    lines = ["import torch", "from torch import nn", "",
             f"conv = nn.Conv2d({args})",
             f"x = torch.rand(1, {c_in}, {h}, {w})  # (batch, channels, height, width)",
             "y = conv(x)"]
    act = activation_code(activation, slope)
    if act:
        lines.append(f"y = {act}(y)")
    lines.append(f"print(y.shape)  # -> {_shape_text(shape)}")
    return "\n".join(lines) + "\n"


def activation_code(name: str | None, slope: float = 0.01) -> str:
    """The `nn` module for an activation name, e.g. "nn.LeakyReLU(negative_slope=0.1)"."""
    if not name or name == "none":
        return ""
    return {"relu": "nn.ReLU()", "leaky_relu": f"nn.LeakyReLU(negative_slope={slope:g})",
            "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()"}[name]


def pool2d_code(mode: str, kernel, stride=None, padding=0,
                in_shape: tuple[int, int, int] = (1, 4, 4)) -> str:
    """`nn.MaxPool2d(...)` or `nn.AvgPool2d(...)` (mode "max"/"avg") on an input (C, H, W)."""
    c, h, w = in_shape
    stride = kernel if stride is None else stride
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    cls = {"max": "MaxPool2d", "avg": "AvgPool2d"}[mode]
    args = _kwargs([("kernel_size", _arg(kernel), None), ("stride", _arg(stride), _arg(kernel)),
                    ("padding", _arg(padding), 0)])
    shape = (1, c, raw_output_size(h, kh, sh, ph), raw_output_size(w, kw, sw, pw))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"pool = nn.{cls}({args})",
        f"x = torch.rand(1, {c}, {h}, {w})  # (batch, channels, height, width)",
        "y = pool(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"


def conv1d_code(in_channels: int, out_channels: int, length: int, kernel_size: int, stride: int = 1,
                padding: int = 0, dilation: int = 1, bias: bool = True) -> str:
    """`nn.Conv1d(...)` on a signal of shape (C_in, L), with the output shape."""
    args = _kwargs([("in_channels", int(in_channels), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", int(kernel_size), None), ("stride", int(stride), 1),
                    ("padding", int(padding), 0), ("dilation", int(dilation), 1),
                    ("bias", bool(bias), True)])
    shape = (1, out_channels, raw_output_size(length, kernel_size, stride, padding, dilation))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"conv = nn.Conv1d({args})",
        f"x = torch.rand(1, {in_channels}, {length})  # (batch, channels, length)",
        "y = conv(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"


def conv_transpose2d_code(in_shape: tuple[int, int, int], out_channels: int, kernel_size,
                          stride=1, padding=0, output_padding=0, dilation=1,
                          bias: bool = True) -> str:
    """`nn.ConvTranspose2d(...)` on an input (C_in, H, W), with the output shape
    H_out = (H - 1)·s - 2p + d·(k - 1) + output_padding + 1."""
    c_in, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    (oph, opw), (dh, dw) = pair(output_padding), pair(dilation)
    args = _kwargs([("in_channels", int(c_in), None), ("out_channels", int(out_channels), None),
                    ("kernel_size", _arg(kernel_size), None), ("stride", _arg(stride), 1),
                    ("padding", _arg(padding), 0), ("output_padding", _arg(output_padding), 0),
                    ("dilation", _arg(dilation), 1), ("bias", bool(bias), True)])
    shape = (1, out_channels, transposed_output_size(h, kh, sh, ph, oph, dh),
             transposed_output_size(w, kw, sw, pw, opw, dw))
    return "\n".join([
        "import torch", "from torch import nn", "",
        f"up = nn.ConvTranspose2d({args})",
        f"x = torch.rand(1, {c_in}, {h}, {w})  # (batch, channels, height, width)",
        "y = up(x)",
        f"print(y.shape)  # -> {_shape_text(shape)}"]) + "\n"


# -- the Train a CNN page's loop -----------------------------------------------------------------
DATA_CODE_MARK = "# -- the data --"


def _quoted(text: str) -> str:
    """A string literal in double quotes (as the device line writes its strings)."""
    return json.dumps(text)


def _layer_code(layer) -> str | None:
    """One zoo layer as a student writes it (`nn.Conv2d(1, 6, kernel_size=5, padding=2)`);
    None for a layer this does not spell out. Dropout with p = 0 (a no-op) is ''."""
    from torch import nn
    if isinstance(layer, nn.Conv2d):
        args = _kwargs([("kernel_size", _arg(layer.kernel_size), None),
                        ("stride", _arg(layer.stride), 1), ("padding", _arg(layer.padding), 0),
                        ("dilation", _arg(layer.dilation), 1)])
        return f"nn.Conv2d({layer.in_channels}, {layer.out_channels}, {args})"
    if isinstance(layer, nn.Linear):
        return f"nn.Linear({layer.in_features}, {layer.out_features})"
    if isinstance(layer, nn.MaxPool2d) and layer.padding == 0 and layer.stride == layer.kernel_size:
        return f"nn.MaxPool2d({_arg(layer.kernel_size)})"
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"nn.{type(layer).__name__}({layer.num_features})"
    if isinstance(layer, nn.LeakyReLU):
        return activation_code("leaky_relu", layer.negative_slope)
    if isinstance(layer, nn.ReLU):
        return "nn.ReLU()"
    if isinstance(layer, nn.Flatten) and (layer.start_dim, layer.end_dim) == (1, -1):
        return "nn.Flatten()"
    if isinstance(layer, nn.Dropout):
        return f"nn.Dropout({layer.p:g})" if layer.p > 0 else ""
    return None


def model_code(arch: str, model_kwargs: dict, seed: int | None = None) -> list[str]:
    """Lines that build zoo network `arch` with `model_kwargs`: spelled out as one
    nn.Sequential of its layers (features, then classifier: how every zoo image model runs),
    or `build_model(...)` from engine.models when a layer is not one this writes out. With a
    `seed`, `torch.manual_seed(seed)` first: the layers are made in the zoo's order, so the
    initial weights are those engine.train_job.build_cnn makes for that seed."""
    from engine.models import ARCHITECTURE_LABELS, build_model
    zoo = build_model(arch, **model_kwargs)
    shape = "×".join(map(str, model_kwargs.get("input_shape", ())))
    lines = [f"# the model: {ARCHITECTURE_LABELS.get(arch, arch)} for {shape} images, "
             f"{model_kwargs.get('num_classes', '?')} classes, as the app's zoo builds it"]
    if seed is not None:
        lines.append(f"torch.manual_seed({seed})  # the same initial weights as the app's")
    layers = list(getattr(zoo, "features", [])) + list(getattr(zoo, "classifier", []))
    codes = [_layer_code(layer) for layer in layers]
    if not layers or None in codes or not all(hasattr(zoo, a) for a in ("features", "classifier")):
        args = ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v!r}"
                         for k, v in model_kwargs.items())
        return lines + ["from engine.models import build_model",
                        f"model = build_model({arch!r}, {args})"]
    return lines + ["model = nn.Sequential("] + [f"    {c}," for c in codes if c] + [")"]


def training_loop_code(config, info, root: str | None = None, data_code: str | None = None) -> str:
    """The PyTorch loop a Train-a-CNN run of `config` (engine.train_job.CnnRunConfig) runs on
    `info`'s images (engine.data.DatasetInfo): data, model, optimizer, the epochs of
    zero_grad / backward / step, and the test accuracy after each epoch.

    The data lines load the page's dataset with engine.data.load_dataset (so the code runs
    from the project folder as shown); `data_code`, lines that define `train_set` and
    `test_set` (e.g. two TensorDatasets), replaces them: a test runs the loop on tiny data."""
    if data_code is None:
        args = [_quoted(config.dataset)] + ([f"root={_quoted(root)}"] if root else []) + [
            f"train_size={config.train_size or None}", f"test_size={config.test_size or None}",
            f"seed={config.seed}"]
        data_code = "\n".join([
            "from engine.data import load_dataset  # the app's loader: images in [0, 1]",
            f"train_set, test_set, _ = load_dataset({', '.join(args)})"])
    if config.device == "auto":
        device = 'device = "cuda" if torch.cuda.is_available() else "cpu"'
    else:
        device = f"device = {_quoted(config.device)}"
    if config.optimizer == "sgd":
        optimizer = (f"optimizer = torch.optim.SGD(model.parameters(), lr={config.lr:g}, "
                     f"momentum={getattr(config, 'momentum', 0.9):g})")
    else:
        optimizer = f"optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g})"
    onecycle = getattr(config, "schedule", "constant") == "onecycle"
    scheduler = ["# one-cycle: the rate warms up to lr, then anneals to almost 0 by the last step",
                 f"scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr={config.lr:g}, "
                 f"total_steps={config.epochs} * len(train_loader))"] if onecycle else []
    model = model_code(config.arch, config.model_kwargs(info), config.seed)
    lines = [
        "import torch", "from torch import nn", "from torch.utils.data import DataLoader", "",
        device, "",
        f"{DATA_CODE_MARK} {info.label}: (N, {info.input_shape[0]}, {info.input_shape[1]}, "
        f"{info.input_shape[2]}) images, labels 0..{len(info.classes) - 1}",
        data_code,
        f"train_loader = DataLoader(train_set, batch_size={config.batch_size}, shuffle=True)",
        "test_loader = DataLoader(test_set, batch_size=512)", "",
        *model, "model.to(device)", "",
        "loss_fn = nn.CrossEntropyLoss()",
        optimizer, *scheduler, "",
        f"for epoch in range({config.epochs}):",
        "    model.train()",
        "    for x, y in train_loader:",
        "        x, y = x.to(device), y.to(device)",
        "        optimizer.zero_grad()",
        "        loss = loss_fn(model(x), y)",
        "        loss.backward()",
        "        optimizer.step()",
        *(["        scheduler.step()"] if onecycle else []),
        "",
        "    model.eval()  # the test set: no dropout, batch norm's running statistics",
        "    correct = 0",
        "    with torch.no_grad():",
        "        for x, y in test_loader:",
        "            x, y = x.to(device), y.to(device)",
        "            correct += (model(x).argmax(1) == y).sum().item()",
        "    accuracy = correct / len(test_set)",
        '    print(f"epoch {epoch + 1}: last loss {loss.item():.3f}, '
        'test accuracy {accuracy:.1%}")',
    ]
    return "\n".join(lines) + "\n"
