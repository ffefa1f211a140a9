"""Looking inside a CNN for one input: feature maps, saliency and Grad-CAM (numpy copies out).

Works with any model of the zoo (`.features` an nn.Sequential of conv blocks, then whatever
head). `analyse` runs the model's own forward once, with forward hooks on the modules whose
outputs are shown, and takes at most one gradient with `torch.autograd.grad`; the
single-purpose functions wrap it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Analysis:
    probs: np.ndarray                      # (num_classes,) softmax of the logits
    feature_maps: list[tuple[str, np.ndarray]]   # per conv layer, after its ReLU: (name, (C, H, W))
    heat: np.ndarray | None                # (H_in, W_in) saliency or Grad-CAM, >= 0; None if not asked
    target: int                            # the class the heat map explains


_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid)


def _as_batch(x) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float32)
    while x.dim() < 4:
        x = x[None]
    return x                                                        # (1, C, H, W)


def conv_taps(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """("conv1", module), ... for each conv layer of `model.features`: the module whose output
    is shown for it. That is its activation (ReLU or the like) when one follows; the layer
    just before the pooling when none does; the last layer when nothing follows. Empty for a
    model without `.features` (an MLP)."""
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        return []
    taps: list[tuple[str, nn.Module]] = []
    pending = None  # the name of the conv layer whose activation has not come yet
    convs = 0
    previous = None
    for module in features:
        if isinstance(module, nn.Conv2d):
            if pending:
                taps.append((pending, previous))
            convs += 1
            pending = f"conv{convs}"
        elif pending and isinstance(module, _ACTIVATIONS):
            taps.append((pending, module))
            pending = None
        elif pending and isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            taps.append((pending, previous))
            pending = None
        previous = module
    if pending:
        taps.append((pending, previous))
    return taps


def conv_layer_names(model: nn.Module) -> list[str]:
    """"conv1", "conv2", ... one per Conv2d in `model.features` (empty for an MLP)."""
    return [name for name, _module in conv_taps(model)]


def analyse(model: nn.Module, x, method: str | None = "gradcam", target: int | None = None) -> Analysis:
    """Probabilities, feature maps and a heat map for one input `x` ((H, W), (C, H, W) or batch 1).

    method: "gradcam", "saliency" or None. target: the class to explain (default: the top
    one). The model runs in eval mode (its own mode is given back afterwards) and its
    parameters get no .grad (autograd.grad, not backward)."""
    # (switched only when some module is training: eval() and back walk every module)
    switch = any(module.training for module in model.modules())
    was_training = model.training
    if switch:
        model.eval()
    param = next(model.parameters(), None)
    batch = _as_batch(x).to(param.device if param is not None else "cpu")
    if method == "saliency":
        batch = batch.detach().clone().requires_grad_(True)   # (never the caller's tensor)
    taps = conv_taps(model)
    outputs: dict[str, torch.Tensor] = {}

    def keep(name: str):
        def hook(_module, _inputs, output):
            outputs[name] = output
        return hook

    handles = [module.register_forward_hook(keep(name)) for name, module in taps]
    # (grad mode set here, not inherited: a caller's no_grad must not break the heat map)
    with torch.set_grad_enabled(method is not None):
        try:
            logits = model(batch)                                   # (1, num_classes)
        finally:
            for handle in handles:
                handle.remove()
            if switch:
                model.train(was_training)
        probs = F.softmax(logits.detach(), 1)[0]
        cls = int(probs.argmax()) if target is None else int(target)
        heat = None
        if method == "saliency":
            (grad,) = torch.autograd.grad(logits[0, cls], batch)
            heat = grad[0].abs().amax(0)                            # (H, W): max over channels
        elif method == "gradcam":
            heat = torch.zeros(batch.shape[-2:])                    # no conv layer: nothing to map
            if taps:
                last = outputs[taps[-1][0]]                         # (1, C, h, w)
                (grad,) = torch.autograd.grad(logits[0, cls], last)
                heat = _cam(last.detach(), grad, batch.shape[-2:])
    maps = [(name, outputs[name].detach()[0].cpu().numpy().copy()) for name, _m in taps]
    return Analysis(probs.cpu().numpy().copy(), maps,
                    None if heat is None else heat.detach().cpu().numpy().astype(np.float32), cls)


def _cam(last: torch.Tensor, grad: torch.Tensor, size) -> torch.Tensor:
    """Grad-CAM from the last conv activation (1, C, h, w) and the score's gradient there: the
    channels weighted by their gradient's mean, summed, ReLU, upsampled to `size`, peak 1."""
    weights = grad.mean((2, 3), keepdim=True)                          # (1, C, 1, 1)
    cam = F.relu((weights * last).sum(1, keepdim=True))                # (1, 1, h, w)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    return cam / peak if peak > 0 else cam                             # scaled to [0, 1]


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
