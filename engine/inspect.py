"""Looking inside a CNN for one input: feature maps, saliency and Grad-CAM (numpy copies out).

Works with any model of the zoo (`.features` an nn.Sequential of conv blocks, `.classifier`).
`analyse` does everything for one input in one forward and at most one backward pass; an
`Analyser` does the same for one model and many inputs (the Draw a digit page makes one per
model and calls it on every stroke); the single-purpose functions wrap it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_weights


@dataclass
class Analysis:
    probs: np.ndarray                      # (num_classes,) softmax of the logits
    feature_maps: list[tuple[str, np.ndarray]]   # per conv layer, after its ReLU: (name, (C, H, W))
    heat: np.ndarray | None                # (H_in, W_in) saliency or Grad-CAM, >= 0; None if not asked
    target: int                            # the class the heat map explains


def _as_batch(x) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
    if x.dim() == 2:
        x = x[None]
    if x.dim() == 3:
        x = x[None]
    return x                                                        # (1, C, H, W)


def conv_layer_names(model: nn.Module) -> list[str]:
    """"conv1", "conv2", ... one per Conv2d in `model.features` (empty for an MLP)."""
    features = getattr(model, "features", None) or []
    return [f"conv{i + 1}" for i, _ in enumerate(m for m in features if isinstance(m, nn.Conv2d))]


_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid)


def _tap_positions(features: nn.Sequential) -> list[tuple[str, int]]:
    """(name, index of the module whose output is shown) for each conv layer of `features`: its
    activation after the ReLU (or the like); before pooling when it has none; its own output
    when nothing follows."""
    positions: list[tuple[str, int]] = []
    pending = None  # the conv whose activation has not come yet
    count = 0
    for i, module in enumerate(features):
        if isinstance(module, nn.Conv2d):
            if pending:
                positions.append((pending, i - 1))
            count += 1
            pending = f"conv{count}"
        elif pending and isinstance(module, _ACTIVATIONS):
            positions.append((pending, i))
            pending = None
        elif pending and isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            positions.append((pending, i - 1))
            pending = None
    if pending:
        positions.append((pending, len(features) - 1))
    return positions


Step = Callable[[torch.Tensor], torch.Tensor]


class Analyser:
    """`analyse` for one model and many inputs (the Draw a digit page calls it on every stroke).

    Built once per model: its layers become a list of plain tensor operations, as eval mode
    computes them. A conv followed by a batch norm is one conv with the norm folded into its
    weights (`torch.nn.utils.fusion`, the usual inference fold; the maps agree with the two
    layers to ~1e-6), dropout and identities are left out, and convs, linear layers, ReLUs and
    max-pools are called as `torch.nn.functional` ops with the layers' own tensors. A call
    then runs the same arithmetic without nn.Module's per-call machinery: for LeNet-5 right
    after a pause, when the caches are cold, that machinery was a third of the 2 ms analysis.
    Any other layer is called as the module it is. The plan is made again when a tensor it took
    changes: in place (a training step bumps its version counter; folded weights are copies)
    or replaced (`.to(device)` gives a parameter new storage).

    Grad-CAM needs the gradient of one class score with respect to the last conv layer's
    activation. When every layer after that activation is a max-pool, flatten, linear, ReLU or
    dropout (all the zoo's conv nets), the plan runs them without autograd and takes that
    gradient back through them by hand, each step the formula autograd's own backward uses
    (the ReLU's mask, the weight matrix, the pool's scatter-add to the arg-max): the same
    numbers (tests compare with a full autograd backward) without recording a graph or starting
    autograd's engine: ~0.3 ms of a Draw page stroke (side by side). Other heads use autograd.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self._sources: list[tuple[torch.Tensor, int, int]] = []   # (tensor, version, address)
        self._build()

    # -- the plan ------------------------------------------------------------------------------
    def _build(self) -> None:
        self._sources = [(t, t._version, t.data_ptr())
                         for t in (*self.model.parameters(), *self.model.buffers())]
        features = getattr(self.model, "features", None)
        features = list(features) if features is not None else []
        positions = _tap_positions(nn.Sequential(*features)) if features else []
        taps = {i: name for name, i in positions}
        # (step, name of the conv layer whose activation it ends with or None, its backward op)
        self._features: list[tuple[Step, str | None, tuple | None]] = self._steps(features, taps)
        head = getattr(self.model, "classifier", None)
        self._head = None if head is None else self._steps(list(head), {})
        # the steps after the last conv layer's activation, and whether Grad-CAM can take the
        # gradient back through them by hand (every one has a backward op)
        self._split = max((k + 1 for k, (_s, name, _o) in enumerate(self._features) if name),
                          default=0)
        tail = self._features[self._split:] + (self._head or [])
        self._tail = (tail if self._split and self._head is not None
                      and all(op is not None for _s, _n, op in tail) else None)

    def _steps(self, modules: list[nn.Module],
               taps: dict[int, str]) -> list[tuple[Step, str | None, tuple | None]]:
        steps: list[tuple[Step, str | None, tuple | None]] = []
        i = 0
        while i < len(modules):
            module, end = modules[i], i
            nxt = modules[i + 1] if i + 1 < len(modules) else None
            op = None
            if (type(module) is nn.Conv2d and type(nxt) is nn.BatchNorm2d
                    and i not in taps and self._foldable(module, nxt)):
                step, end = self._folded_conv(module, nxt), i + 1
            elif type(module) in (nn.Dropout, nn.Identity) and i not in taps:
                i += 1
                continue
            else:
                step, op = _functional(module), _backward_op(module)
            steps.append((step, taps.get(end), op))
            i = end + 1
        return steps

    @staticmethod
    def _foldable(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> bool:
        return (conv.padding_mode == "zeros" and bn.track_running_stats
                and bn.running_mean is not None and bn.num_features == conv.out_channels)

    def _folded_conv(self, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> Step:
        with torch.no_grad():
            weight, bias = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean,
                                                bn.running_var, bn.eps, bn.weight, bn.bias)
        return partial(F.conv2d, weight=weight.detach(), bias=bias.detach(), **_conv_args(conv))

    def _stale(self) -> bool:
        return any(t._version != version or t.data_ptr() != address
                   for t, version, address in self._sources)

    # -- one input -----------------------------------------------------------------------------
    def __call__(self, x, method: str | None = "gradcam", target: int | None = None) -> Analysis:
        """Probabilities, feature maps and a heat map for one input `x` ((H, W), (C, H, W) or
        batch 1). method: "gradcam", "saliency" or None. target: the class to explain (default:
        the top one). The model's parameters get no .grad (autograd.grad, not backward); its
        eval/train mode is kept (layers called as modules run in eval mode, like the rest)."""
        model = self.model
        if self._stale():
            self._build()
        was_training = model.training
        if was_training:  # (eval() walks every module: skip it when already in eval mode)
            model.eval()
        try:
            device = next(model.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
        batch = _as_batch(x).to(device)
        if method == "saliency":
            batch = batch.clone().requires_grad_(True)
        try:
            if method == "gradcam" and self._tail is not None:
                probs, cls, taps, heat = self._grad_cam_by_hand(batch, target)
            else:
                with torch.set_grad_enabled(method is not None):
                    h, taps = self._run_features(batch, grad_from_last_tap=method == "gradcam")
                    if self._head is None:
                        logits = model(batch)
                    else:
                        for step, _name, _op in self._head:
                            h = step(h)
                        logits = h
                    probs = F.softmax(logits.detach(), 1)[0]
                    cls = int(probs.argmax()) if target is None else int(target)
                    heat = self._heat(method, batch, logits[0, cls], taps)
            maps = [(name, a.detach()[0].cpu().numpy().copy()) for name, a in taps]
            return Analysis(probs.cpu().numpy().copy(), maps,
                            None if heat is None else heat.detach().cpu().numpy().astype(np.float32),
                            cls)
        finally:
            if was_training:
                model.train()

    def _run_features(self, x: torch.Tensor, grad_from_last_tap: bool = False):
        """Run the feature steps; return (output, [(name, activation)]).

        With `grad_from_last_tap`, the steps up to the last conv layer's activation run without
        autograd, and that activation becomes a leaf that requires grad: a backward pass from
        the output then stops there (all Grad-CAM needs) instead of recording every conv layer."""
        taps: list[tuple[str, torch.Tensor]] = []
        split = self._split if grad_from_last_tap else 0
        with torch.no_grad():
            h = _forward(self._features[:split], x, taps)
        if split:
            h = h.requires_grad_()
            taps[-1] = (taps[-1][0], h)
        return _forward(self._features[split:], h, taps), taps

    def _grad_cam_by_hand(self, batch: torch.Tensor, target: int | None):
        """Grad-CAM without autograd (see the class docstring): (probs, class, taps, heat)."""
        with torch.no_grad():
            taps: list[tuple[str, torch.Tensor]] = []
            h = _forward(self._features[:self._split], batch, taps)
            saved = []                      # what each tail step's backward needs
            for step, _name, op in self._tail:
                kind = op[0]
                if kind == "maxpool":
                    out, index = F.max_pool2d(h, **op[1], return_indices=True)
                    saved.append((kind, index, h.shape))
                    h = out
                elif kind == "linear":
                    saved.append((kind, op[1]))
                    h = step(h)
                elif kind == "flatten":
                    saved.append((kind, h.shape))
                    h = step(h)
                else:                       # ReLU: its output says where it let through
                    h = step(h)
                    saved.append((kind, h))
            logits = h
            probs = F.softmax(logits, 1)[0]
            cls = int(probs.argmax()) if target is None else int(target)
            grad = torch.zeros_like(logits)
            grad[0, cls] = 1.0                                   # d score / d logits
            for entry in reversed(saved):
                kind = entry[0]
                if kind == "linear":
                    grad = grad @ entry[1]                       # (.., out) @ (out, in)
                elif kind == "relu":
                    grad = grad * (entry[1] > 0)                 # zero where the ReLU was
                elif kind == "flatten":
                    grad = grad.reshape(entry[1])
                else:                                            # max-pool: back to each arg-max
                    index, shape = entry[1], entry[2]
                    grad = (grad.new_zeros(shape[0], shape[1], shape[2] * shape[3])
                            .scatter_add_(2, index.flatten(2), grad.flatten(2)).view(shape))
            return probs, cls, taps, _cam(taps[-1][1], grad, batch.shape[-2:])

    @staticmethod
    def _heat(method: str | None, batch: torch.Tensor, score: torch.Tensor,
              taps: list[tuple[str, torch.Tensor]]) -> torch.Tensor | None:
        if method == "saliency":
            (grad,) = torch.autograd.grad(score, batch)
            return grad[0].abs().amax(0)                               # (H, W): max over channels
        if method != "gradcam":
            return None
        if not taps:
            return torch.zeros(batch.shape[-2:])                       # no conv layer: nothing to map
        last = taps[-1][1]
        (grad,) = torch.autograd.grad(score, last)                     # (1, C, h, w)
        return _cam(last.detach(), grad, batch.shape[-2:])


def _forward(steps, h: torch.Tensor, taps: list[tuple[str, torch.Tensor]]) -> torch.Tensor:
    """Run `steps` (step, tap name, backward op) on `h`; the named outputs go into `taps`."""
    for step, name, _op in steps:
        h = step(h)
        if name:
            taps.append((name, h))
    return h


def _cam(last: torch.Tensor, grad: torch.Tensor, size) -> torch.Tensor:
    """Grad-CAM from the last conv activation (1, C, h, w) and the score's gradient there: the
    channels weighted by their gradient's mean, summed, ReLU, upsampled to `size`, peak 1."""
    weights = grad.mean((2, 3), keepdim=True)                          # (1, C, 1, 1)
    cam = F.relu((weights * last).sum(1, keepdim=True))                # (1, 1, h, w)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    return cam / peak if peak > 0 else cam                             # scaled to [0, 1]


def _conv_args(conv: nn.Conv2d) -> dict:
    return dict(stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                groups=conv.groups)


def _pool_args(pool: nn.MaxPool2d) -> dict:
    return dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding,
                dilation=pool.dilation, ceil_mode=pool.ceil_mode)


def _functional(module: nn.Module) -> Step:
    """The `torch.nn.functional` op `module` computes in eval mode, with its own tensors; the
    module itself for kinds not listed."""
    kind = type(module)
    if kind is nn.Conv2d and module.padding_mode == "zeros":
        return partial(F.conv2d, weight=module.weight.detach(),
                       bias=None if module.bias is None else module.bias.detach(),
                       **_conv_args(module))
    if kind is nn.Linear:
        return partial(F.linear, weight=module.weight.detach(),
                       bias=None if module.bias is None else module.bias.detach())
    if kind is nn.ReLU:
        return torch.relu
    if kind is nn.MaxPool2d and not module.return_indices:
        return partial(F.max_pool2d, **_pool_args(module))
    if kind is nn.Flatten:
        return partial(torch.flatten, start_dim=module.start_dim, end_dim=module.end_dim)
    return module


def _backward_op(module: nn.Module) -> tuple | None:
    """How Grad-CAM's hand-made backward passes through `module` (see Analyser), or None."""
    kind = type(module)
    if kind is nn.Linear:
        return ("linear", module.weight.detach())
    if kind is nn.ReLU:
        return ("relu",)
    if kind is nn.Flatten and module.start_dim == 1 and module.end_dim == -1:
        return ("flatten",)
    if kind is nn.MaxPool2d and not module.return_indices:
        return ("maxpool", _pool_args(module))
    return None


def analyse(model: nn.Module, x, method: str | None = "gradcam", target: int | None = None) -> Analysis:
    """Probabilities, feature maps and a heat map for one input `x` ((H, W), (C, H, W) or batch 1).

    method: "gradcam", "saliency" or None. target: the class to explain (default: the top one).
    The model's parameters get no .grad (autograd.grad, not backward); eval/train mode is kept.
    For many inputs to one model, make an `Analyser` once and call it."""
    return Analyser(model)(x, method, target)


def feature_maps(model: nn.Module, x) -> list[tuple[str, np.ndarray]]:
    """[(layer name, (C, H, W) activation after ReLU)] for each conv layer, one input."""
    return analyse(model, x, method=None).feature_maps


def saliency(model: nn.Module, x, target: int | None = None) -> np.ndarray:
    """|d logit[target] / d input|, max over input channels: (H, W), >= 0."""
    return analyse(model, x, "saliency", target).heat


def grad_cam(model: nn.Module, x, target: int | None = None) -> np.ndarray:
    """Grad-CAM of the last conv layer for `target`, upsampled to the input's (H, W), in [0, 1]."""
    return analyse(model, x, "gradcam", target).heat


def predict_proba(model: nn.Module, x) -> np.ndarray:
    """(num_classes,) softmax probabilities for one input."""
    return analyse(model, x, method=None).probs
