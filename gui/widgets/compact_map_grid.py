"""`CompactMapGrid`: the shared `MapGrid` with the layout margins taken out, for small panels.

In a panel a few hundred pixels high, MapGrid's default margins and an empty title row per cell
leave 5x5 filters about 20 pixels tall; here the maps get that space instead.
"""
from __future__ import annotations

from gui.widgets.map_grid import MapGrid

QWIDGETSIZE_MAX = (1 << 24) - 1      # Qt's "no maximum"


def compact_layout(grid, cells, labels, has_titles: bool) -> None:
    """Zero margins and spacing in `grid` (a GraphicsLayoutWidget) and its cell layouts."""
    grid.ci.layout.setContentsMargins(2, 2, 2, 2)
    grid.ci.layout.setSpacing(2)
    for cell in cells:
        cell.layout.setContentsMargins(0, 0, 0, 0)
        cell.layout.setSpacing(0)
    for label in labels:             # a reused cell may have hidden its title before
        label.setMaximumHeight(QWIDGETSIZE_MAX if has_titles else 0)
        label.setVisible(has_titles)


class CompactMapGrid(MapGrid):
    def _rebuild(self, count: int, titles: list[str] | None) -> None:
        super()._rebuild(count, titles)
        cells = [label.parentItem() for label in self._labels]
        compact_layout(self, [c for c in cells if c is not None], self._labels, bool(titles))
