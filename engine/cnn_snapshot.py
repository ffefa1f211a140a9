"""What the Train-a-CNN page shows while a model learns, computed in the training thread.

`make_snapshot_fn(sample, pred_images)` returns the `snapshot_fn` for `engine.train.fit`: called
every few steps with the model (in eval mode, under no_grad), it returns detached CPU numpy copies:
- "filters": the first layer's weights, (N, k, k) for one input channel or (N, k, k, 3) RGB
  scaled to [0, 1] per filter for colour input; for an MLP (no convolution) the first hidden
  units' weights as (N, H, W) images, the MLP's "filters".
- "maps": the first convolution block's output (after its ReLU) for the fixed `sample`, (C, H, W);
  absent for an MLP.
- "predicted", "probability": (N,) class and its softmax for each of `pred_images`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

MAX_FILTERS = 16


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def first_linear(model: nn.Module) -> nn.Linear | None:
    return next((m for m in model.modules() if isinstance(m, nn.Linear)), None)


def first_layer_filters(model: nn.Module, input_shape: tuple[int, int, int],
                        limit: int = MAX_FILTERS) -> np.ndarray:
    """(N, k, k), (N, k, k, 3) in [0, 1] for RGB input, or an MLP's (N, H, W) weight images."""
    conv = first_conv(model)
    if conv is not None:
        w = conv.weight.detach()[:limit].float().cpu()              # (N, C_in, k, k)
        if w.shape[1] == 3:
            lo = w.amin(dim=(1, 2, 3), keepdim=True)
            hi = w.amax(dim=(1, 2, 3), keepdim=True)
            w = (w - lo) / (hi - lo).clamp_min(1e-12)
            return w.permute(0, 2, 3, 1).numpy().copy()               # (N, k, k, 3)
        return w[:, 0].numpy().copy()                                 # (N, k, k)
    linear = first_linear(model)
    if linear is None:
        return np.zeros((0, 1, 1), np.float32)
    c, h, w_ = input_shape
    weights = linear.weight.detach()[:limit].float().cpu()           # (N, C*H*W)
    return weights.reshape(-1, c, h, w_).mean(1).numpy().copy()       # (N, H, W)


def first_block_maps(model: nn.Module, sample: torch.Tensor) -> np.ndarray | None:
    """The output of model.features up to and including the first activation after a conv."""
    features = getattr(model, "features", None)
    if features is None or first_conv(features) is None:
        return None
    x = sample
    seen_conv = False
    for layer in features:
        x = layer(x)
        seen_conv = seen_conv or isinstance(layer, nn.Conv2d)
        if seen_conv and isinstance(layer, (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU)):
            break
    return x[0].detach().float().cpu().numpy().copy()                 # (C, H, W)


def make_snapshot_fn(sample: torch.Tensor, pred_images: torch.Tensor,
                     limit: int = MAX_FILTERS) -> Callable[[nn.Module], dict]:
    """sample: (1, C, H, W), pred_images: (N, C, H, W), both on the CPU."""
    input_shape = tuple(sample.shape[1:])

    def snapshot(model: nn.Module) -> dict:
        device = next(model.parameters()).device
        out = {"filters": first_layer_filters(model, input_shape, limit)}
        maps = first_block_maps(model, sample.to(device))
        if maps is not None:
            out["maps"] = maps
        probs = torch.softmax(model(pred_images.to(device)).float(), dim=1)
        prob, pred = probs.max(dim=1)
        out["predicted"] = pred.cpu().numpy().copy()
        out["probability"] = prob.cpu().numpy().copy()
        return out

    return snapshot
