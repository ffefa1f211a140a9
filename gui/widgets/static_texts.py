"""`StaticTexts`: texts laid out once and kept, for widgets that repaint the same few texts many
times a second (the Draw page's verdict and notes, the prediction grid's captions).

Laying a text out is most of what drawing it costs; a prepared `QStaticText` is drawn as a blit
of cached glyphs. Texts are kept by (text, font, wrap width, elide width); the cache is cleared
when it reaches `limit` (percentages and class names recur, so it rarely does).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QStaticText


class StaticTexts:
    def __init__(self, limit: int = 512):
        self._limit = limit
        self._cache: dict[tuple[str, str, int, int], QStaticText] = {}

    def get(self, text: str, font: QFont, wrap: int = 0, elide: int = 0) -> QStaticText:
        """`text` laid out in `font`: word-wrapped at `wrap` pixels, or elided (…) to `elide`
        pixels; 0 for neither. Its `size()` is the laid-out text's."""
        key = (text, font.key(), wrap, elide)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            shown = text
            if elide > 0:
                shown = QFontMetricsF(font).elidedText(text, Qt.ElideRight, elide)
            found = QStaticText(shown)
            found.setTextFormat(Qt.PlainText)
            if wrap > 0:
                found.setTextWidth(wrap)
            found.prepare(font=font)
            self._cache[key] = found
        return found

    def __len__(self) -> int:
        return len(self._cache)
