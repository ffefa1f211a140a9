"""`LayerTable`: each layer of a network with its output shape for one input and its parameters.

The rows come from `engine.models.layer_table` (forward hooks on one zero input); the total
goes under the table in `total_text()`.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine.models import layer_table


class LayerTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Layer", "Output", "Params"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setToolTip("Each layer of the network: the shape of its output for one image "
                        "(channels × height × width, or features) and its weights and biases")
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.total = 0

    def show_model(self, model, input_shape) -> int:
        """Fill the table for `model` taking `input_shape` (C, H, W); returns the total."""
        rows = layer_table(model, tuple(input_shape))
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            shape = "×".join(str(s) for s in row.output_shape)
            for c, text in enumerate((row.kind, shape, f"{row.params:,}")):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{row.kind} ({row.name})")   # the narrow column shows the kind
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)
        self.total = sum(row.params for row in rows)
        return self.total

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self.total = 0
