"""Kernels for the Transposed tab: all ones, the 2× bilinear upsampler, a ramp, a random one.

A pure function with no Qt; it belongs in engine/kernels.py (being written as `kernel_preset`)
and lives here only until it is there.
"""
from __future__ import annotations

import numpy as np

KERNEL_PRESETS = ["ones", "bilinear 4×4 (2× upsampling)", "ramp 1…k²", "random"]


def kernel_preset(name: str, k: int, seed: int = 0) -> np.ndarray:
    """A (k, k) float32 kernel; the bilinear one is always 4 × 4 (it doubles the size with
    stride 2 and padding 1)."""
    if name == "ones":
        return np.ones((k, k), np.float32)
    if name.startswith("bilinear"):
        taps = np.array([0.25, 0.75, 0.75, 0.25], np.float32)   # stride-2 bilinear taps
        return np.outer(taps, taps)
    if name.startswith("ramp"):
        return np.arange(1, k * k + 1, dtype=np.float32).reshape(k, k)
    if name == "random":
        return np.round(np.random.default_rng(seed).uniform(-1, 1, (k, k)), 1).astype(np.float32)
    raise ValueError(f"unknown kernel {name!r}; choose one of {', '.join(KERNEL_PRESETS)}")
