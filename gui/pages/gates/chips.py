"""The Gates page's word strips: the tokens as the model reads them (the current one marked,
unknown words flagged), and the words coloured by one unit ("which neuron fires where")."""
from __future__ import annotations

import numpy as np

from gui.widgets.chip_strip import Chip


def token_chips(view, t: int) -> list[Chip]:
    chips = []
    for k, (word, unknown) in enumerate(zip(view.tokens, view.unknown)):
        if unknown:
            chip = Chip("#ffe0b8", "#b00020", italic=True,
                        tooltip=f"'{word}' is not in the model's vocabulary: read as <unk>")
        else:
            chip = Chip(tooltip=f"token {k + 1}: '{word}' (id {view.ids[k]})")
        if k == t:
            chip.background, chip.outline, chip.bold = "#ffb347", "#e07000", True
        elif k > t:
            chip.foreground = "#98a4b0"
        chips.append(chip)
    return chips


def fire_chips(words: list[str], values: np.ndarray, t: int, what: str) -> list[Chip]:
    """Each word coloured by `values` (scaled to the largest |value|) up to token t."""
    scale = float(max(np.abs(values).max(), 1e-6))
    chips = []
    for k, word in enumerate(words):
        if k > t:
            chips.append(Chip("#f4f4f4", "#b0b0b0", tooltip="not reached yet"))
            continue
        strong = abs(values[k] / scale) > 0.7
        chips.append(Chip(signed_color(values[k] / scale), "#ffffff" if strong else "#000000",
                          "#e07000" if k == t else None,
                          tooltip=f"{what} after '{word}': {values[k]:+.3f}"))
    return chips


def signed_color(v: float) -> str:
    """White at 0, red towards +1, blue towards -1 (as #rrggbb)."""
    v = max(-1.0, min(1.0, float(v)))
    k = int(255 - abs(v) * 180)
    return f"#ff{k:02x}{k:02x}" if v >= 0 else f"#{k:02x}{k:02x}ff"
