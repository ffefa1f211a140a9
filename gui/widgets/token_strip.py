"""`TokenStrip`: a sequence's tokens as chips, the current one highlighted; click one to jump.

API used by the RNN step-through page: `set_tokens(tokens, current)`, `set_current(index)`,
signal `tokenClicked(int)`. (Rebuilt on gui.widgets.chip_strip.ChipStrip after this file was
accidentally overwritten by the gates-page helper; its original author may replace it.)
"""
from __future__ import annotations

from gui.widgets.chip_strip import Chip, ChipStrip


class TokenStrip(ChipStrip):
    def __init__(self, parent=None):
        super().__init__(parent, lines=1)
        self.current = 0

    def set_tokens(self, tokens, current: int = 0) -> None:
        self.current = int(current)
        super().set_tokens([str(t) for t in tokens], self._chips(len(tokens)))

    def set_current(self, index: int) -> None:
        self.current = int(index)
        super().set_tokens(self.words, self._chips(len(self.words)))

    def _chips(self, n: int) -> list[Chip]:
        chips = []
        for k in range(n):
            if k == self.current:
                chips.append(Chip("#ffb347", "#000000", "#ff8c00", bold=True))
            elif k < self.current:
                chips.append(Chip("#e8eef7", "#000000"))
            else:
                chips.append(Chip("#f2f2f2", "#8899aa"))
        return chips
