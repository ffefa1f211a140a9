"""Looking inside a CNN for one input: feature maps, saliency and Grad-CAM (numpy copies out).

Works with any model of the zoo (`.features` an nn.Sequential of conv blocks, `.classifier`).
`analyse` does everything for one input in one forward and at most one backward pass, which is
what the Draw a digit page calls on every stroke; the single-purpose functions wrap it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


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


def _run_features(model: nn.Module, x: torch.Tensor, grad_from_last_tap: bool = False):
    """Run `model.features` layer by layer; return (output, [(name, activation)]).

    With `grad_from_last_tap`, the layers up to the last conv layer's activation run without
    autograd, and that activation becomes a leaf that requires grad: a backward pass from the
    output then stops there (all Grad-CAM needs) instead of recording every conv layer."""
    taps: list[tuple[str, torch.Tensor]] = []
    features = getattr(model, "features", None)
    if features is None or len(features) == 0:
        return x, taps
    positions = _tap_positions(features)
    names = dict((i, name) for name, i in positions)
    split = positions[-1][1] + 1 if grad_from_last_tap and positions else 0
    h = x
    with torch.no_grad():
        for i in range(split):
            h = features[i](h)
            if i in names:
                taps.append((names[i], h))
    if split:
        h = h.requires_grad_()
        taps[-1] = (taps[-1][0], h)
    for i in range(split, len(features)):
        h = features[i](h)
        if i in names:
            taps.append((names[i], h))
    return h, taps


def analyse(model: nn.Module, x, method: str | None = "gradcam", target: int | None = None) -> Analysis:
    """Probabilities, feature maps and a heat map for one input `x` ((H, W), (C, H, W) or batch 1).

    method: "gradcam", "saliency" or None. target: the class to explain (default: the top one).
    The model's parameters get no .grad (autograd.grad, not backward); eval/train mode is kept."""
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
        with torch.set_grad_enabled(method is not None):
            h, taps = _run_features(model, batch, grad_from_last_tap=method == "gradcam")
            if method == "gradcam" and taps:
                last = taps[-1][1]
            logits = model.classifier(h) if hasattr(model, "classifier") else model(batch)
            probs = F.softmax(logits.detach(), 1)[0]
            cls = int(probs.argmax()) if target is None else int(target)
            heat = None
            if method == "saliency":
                (grad,) = torch.autograd.grad(logits[0, cls], batch)
                heat = grad[0].abs().amax(0)                           # (H, W): max over channels
            elif method == "gradcam":
                if not taps:
                    heat = torch.zeros(batch.shape[-2:])               # no conv layer: nothing to map
                else:
                    (grad,) = torch.autograd.grad(logits[0, cls], last)    # (1, C, h, w)
                    weights = grad.mean((2, 3), keepdim=True)              # (1, C, 1, 1)
                    cam = F.relu((weights * last).sum(1, keepdim=True)).detach()  # (1, 1, h, w)
                    cam = F.interpolate(cam, size=batch.shape[-2:], mode="bilinear",
                                        align_corners=False)[0, 0]
                    peak = float(cam.max())
                    heat = cam / peak if peak > 0 else cam                 # scaled to [0, 1]
        maps = [(name, a.detach()[0].cpu().numpy().copy()) for name, a in taps]
        return Analysis(probs.cpu().numpy().copy(), maps,
                        None if heat is None else heat.detach().cpu().numpy().astype(np.float32),
                        cls)
    finally:
        if was_training:
            model.train()


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
