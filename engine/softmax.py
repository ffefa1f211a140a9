"""The softmax with a temperature, softmax(z / T), and its arithmetic for one output unit.

    softmax_with_temperature(logits, T)    # T > 1 flattens, T < 1 sharpens
    softmax_terms(logits, i, T)            # exp(z_i/T), Σ_j exp(z_j/T), their ratio
    softmax_text(logits, i, T)             # the same in one line with the real numbers
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def softmax_with_temperature(logits, temperature: float = 1.0) -> np.ndarray:
    """softmax(z / T): T > 1 flattens the distribution, T < 1 sharpens it (float64 maths)."""
    t = float(temperature)
    if not t > 0 or not math.isfinite(t):
        raise ValueError(f"the temperature must be a positive number, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / t
    e = np.exp(z - z.max())  # shifting by max(z) changes nothing but keeps exp() finite
    return e / e.sum()


@dataclass
class SoftmaxTerms:
    index: int                     # the output unit i
    temperature: float             # T
    scaled: np.ndarray             # z_j / T for every j
    exps: np.ndarray               # exp(z_j / T) for every j
    numerator: float               # exp(z_i / T)
    denominator: float             # Σ_j exp(z_j / T)
    probability: float             # numerator / denominator


def softmax_terms(logits, index: int, temperature: float = 1.0) -> SoftmaxTerms:
    """The numbers in softmax(z)_i = exp(z_i/T) / Σ_j exp(z_j/T) for output unit `index`."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    if not 0 <= int(index) < z.size:
        raise ValueError(f"output unit {index} does not exist: there are {z.size} (0-{z.size - 1})")
    probs = softmax_with_temperature(z, temperature)  # also checks T
    scaled = z / float(temperature)
    with np.errstate(over="ignore"):  # exp(1000) is inf here; softmax_text says so
        exps = np.exp(scaled)
    i = int(index)
    return SoftmaxTerms(i, float(temperature), scaled, exps, float(exps[i]), float(exps.sum()),
                        float(probs[i]))


def softmax_text(logits, index: int, temperature: float = 1.0, max_terms: int = 10) -> str:
    """"softmax(z)_3 = exp(2.1) / (exp(0.3) + exp(2.1) + …) = 8.17 / 11.9 = 0.687" with the real
    numbers (z_j / T in the exponents when T ≠ 1)."""
    t = softmax_terms(logits, index, temperature)
    over_t = "" if t.temperature == 1 else f"/T, T = {t.temperature:g}"
    shown = [f"exp({v:.3g})" for v in t.scaled[:max_terms]]
    more = f" + … ({t.scaled.size} terms)" if t.scaled.size > max_terms else ""
    if not math.isfinite(t.denominator):  # exp overflowed: give the ratio from the stable form
        return (f"softmax(z{over_t})_{t.index} = exp({t.scaled[t.index]:.3g}) / "
                f"({' + '.join(shown)}{more}) = {t.probability:.4g}")
    return (f"softmax(z{over_t})_{t.index} = exp({t.scaled[t.index]:.3g}) / "
            f"({' + '.join(shown)}{more}) = {t.numerator:.4g} / {t.denominator:.4g} = "
            f"{t.probability:.4g}")

