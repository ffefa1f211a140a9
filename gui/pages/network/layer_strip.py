"""`LayerStrip`: every layer's output for one input, left to right, in a row that scrolls.

One column per layer (the input first): its name and kind above, its output as one heatmap
(a conv layer's maps tiled with engine.feature_grid, a vector wrapped into a block), and its
output shape and parameter count below. A click on a unit says `unitClicked(layer, index)`;
`select()` outlines a unit and the cells of the layer below that feed it.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.feature_grid import TiledOutput, tile_output
from engine.network import NetworkTrace, UnitWindow
from gui import style
from gui.widgets.matrix_view import MatrixView

INPUT = "input"
COLUMN_WIDTH = 150     # px: about seven layers show at once on a 1060 px page
VIEW_HEIGHT = 150


def shape_text(shape: tuple) -> str:
    return "×".join(str(s) for s in shape)


class LayerColumn(QFrame):
    """One layer: title, heatmap, shape and parameters."""

    clicked = Signal(str, tuple)     # (layer name, unit index)

    def __init__(self, name: str, kind: str, parent=None):
        super().__init__(parent)
        self.name, self.kind = name, kind
        self.tiled: TiledOutput | None = None
        self.title = style.set_role(QLabel(f"<b>{name}</b><br>{kind}"), "small")
        self.title.setAlignment(Qt.AlignCenter)
        self.view = MatrixView(colormap="gray" if name == INPUT else "diverging",
                               max_number_cells=16, number_format="{:.1f}")
        self.view.setFixedHeight(VIEW_HEIGHT)
        self.view.setToolTip(f"{name}: click a unit to see how it was computed")
        self.view.cellClicked.connect(self._on_cell)
        self.caption = style.set_role(QLabel(""), "small")
        self.caption.setAlignment(Qt.AlignCenter)
        self._source_keys: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.view)
        layout.addWidget(self.caption)
        self.setFixedWidth(COLUMN_WIDTH)

    def show_output(self, output: np.ndarray, params: int) -> None:
        # a short vector (the logits) reads best as one row, classes left to right
        row = output.ndim == 1 and output.size <= 16
        self.tiled = tile_output(output, columns=output.size if row else None)
        levels = (0.0, 1.0) if self.name == INPUT else None
        self.view.set_matrix(self.tiled.image, levels=levels)
        self.caption.setText(f"{shape_text(output.shape)}<br>{params:,} parameters")

    def _on_cell(self, row: int, col: int) -> None:
        unit = self.tiled.unit_at(row, col) if self.tiled is not None else None
        if unit is not None:
            self.clicked.emit(self.name, unit)

    def outline_unit(self, index: tuple | None) -> None:
        if index is None or self.tiled is None:
            self.view.set_highlight(None)
            return
        r, c = self.tiled.cell_of(index)
        self.view.set_highlight((r, c, 1, 1), color="#ff8c00")

    def outline_source(self, window: UnitWindow | None) -> None:
        """Outline, in each channel that feeds the unit, the cells of its window."""
        keys = []
        if window is not None and window.kind == "window" and window.rows and window.cols:
            h, w = len(window.rows), len(window.cols)
            for ch in window.channels:
                key = f"source{ch}"
                r, c = self.tiled.cell_of((ch, window.rows[0], window.cols[0]))
                self.view.set_highlight((r, c, h, w), color="#008f5a", key=key, width=2.0)
                keys.append(key)
        elif window is not None and window.kind == "same" and window.source_index is not None:
            r, c = self.tiled.cell_of(window.source_index)
            self.view.set_highlight((r, c, 1, 1), color="#008f5a", key="source0", width=2.0)
            keys.append("source0")
        for key in self._source_keys:
            if key not in keys:
                self.view.set_highlight(None, key=key)
        self._source_keys = keys

    def source_outlines(self) -> list[tuple[int, int, int, int]]:
        return [self.view.highlight(k) for k in self._source_keys]


class LayerStrip(QScrollArea):
    unitClicked = Signal(str, tuple)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        # title (2 lines) + heatmap + caption (2 lines) + the horizontal scroll bar
        lines = 4 * style.font("small").pixelSize() * 1.3
        self.setFixedHeight(int(VIEW_HEIGHT + lines + 40))
        self.inner = QWidget()
        self.row = QHBoxLayout(self.inner)
        self.row.setContentsMargins(2, 2, 2, 2)
        self.row.setSpacing(4)
        self.setWidget(self.inner)
        self._made: dict[tuple[str, str], LayerColumn] = {}    # every column made
        self.columns: dict[str, LayerColumn] = {}              # the model's, in order
        self._names: list[str] = []
        self._selected: str | None = None

    def set_trace(self, trace: NetworkTrace) -> None:
        """Show every layer of `trace`; the columns are rebuilt only when the layers change."""
        names = [INPUT, *trace.names]
        if names != self._names:
            self._build(trace)
        self.columns[INPUT].show_output(trace.input[0] if trace.input.shape[0] == 1
                                        else trace.input, 0)
        for layer in trace.layers:
            self.columns[layer.name].show_output(layer.output, layer.params)

    def _column(self, name: str, kind: str) -> LayerColumn:
        """The column of a (name, kind) layer: made once, kept when another model is shown,
        never destroyed (see gui/__init__.py)."""
        if (name, kind) not in self._made:
            column = LayerColumn(name, kind)
            column.clicked.connect(self.unitClicked)
            self._made[name, kind] = column
        return self._made[name, kind]

    def _build(self, trace: NetworkTrace) -> None:
        while self.row.count():                   # the old columns (hidden) and the stretch
            item = self.row.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
        self.columns = {INPUT: self._column(INPUT, "the image")}
        for layer in trace.layers:
            self.columns[layer.name] = self._column(layer.name, layer.kind)
        for column in self.columns.values():
            column.outline_unit(None)             # (a reused column: no outline of before)
            column.outline_source(None)
            self.row.addWidget(column)
            column.show()
        self.row.addStretch(1)
        self._names = list(self.columns)
        self._selected = None

    def select(self, layer: str | None, index: tuple | None,
               window: UnitWindow | None = None) -> None:
        """Outline unit `index` of `layer`, and the cells of `window.source` that feed it."""
        for column in self.columns.values():
            column.outline_unit(index if column.name == layer else None)
            column.outline_source(window if window is not None and column.name == window.source
                                  else None)
        self._selected = layer
        if layer in self.columns:
            self.ensureWidgetVisible(self.columns[layer], 20, 0)

    def column(self, name: str) -> LayerColumn:
        return self.columns[name]
