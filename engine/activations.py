"""Activation functions applied to a feature map (through torch), and their curves for plotting."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# name -> label shown in the selector
ACTIVATIONS: dict[str, str] = {
    "none": "none (identity)",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
}


def apply_activation(x, name: str = "none", slope: float = 0.01) -> np.ndarray:
    """`x` (any shape) through the activation `name`; `slope` is Leaky ReLU's negative slope."""
    t = torch.as_tensor(np.asarray(x))
    if name == "none":
        y = t
    elif name == "relu":
        y = F.relu(t)
    elif name == "leaky_relu":
        y = F.leaky_relu(t, negative_slope=float(slope))
    elif name == "sigmoid":
        y = torch.sigmoid(t)
    elif name == "tanh":
        y = torch.tanh(t)
    else:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return y.numpy().copy()


def activation_curve(name: str, slope: float = 0.01, lo: float = -4.0, hi: float = 4.0,
                     points: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys) of the activation over [lo, hi], for drawing its graph."""
    xs = np.linspace(lo, hi, points, dtype=np.float32)
    return xs, apply_activation(xs, name, slope)
