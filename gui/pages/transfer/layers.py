"""`LayerStateTable`: the model's layers coloured frozen / trainable, with parameter counts.

One row per layer (engine.transfer.layer_states): its name, kind, parameters and whether they
train; the new head is marked. Above the table, the total: trainable of all parameters.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, \
    QTableWidgetItem, QVBoxLayout, QWidget

from engine.transfer import layer_states, total_parameters, trainable_parameters
from gui import style

TRAINABLE_COLOR = "#fdd9b5"   # orange: these weights change
FROZEN_COLOR = "#cfdcec"      # blue-grey: kept as the backbone learned them
STATE_TEXT = {"trainable": "trains", "frozen": "frozen", "none": "–"}
NEW_HEAD = "new head"         # the State of the replaced layer (it trains)
COLUMNS = ("Layer", "Parameters", "State")


class LayerStateTable(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        style.set_role(self.summary, "big")
        self.summary.setWordWrap(True)
        legend = QLabel(f'<span style="background:{TRAINABLE_COLOR}">&nbsp;trains&nbsp;</span> '
                        f'<span style="background:{FROZEN_COLOR}">&nbsp;frozen&nbsp;</span> '
                        "(requires_grad = False: the optimizer leaves them alone)")
        legend.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setToolTip("Every layer of the model: orange rows train, blue rows are "
                              "frozen; the new head is the last Linear layer")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)   # a narrow table elides names
        header.setStretchLastSection(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(legend)
        layout.addWidget(self.table, 1)
        self._shown: list[tuple[str, str, str]] = []

    def set_model(self, model, head: str, depth: int | None = None) -> None:
        trainable, total = trainable_parameters(model), total_parameters(model)
        share = trainable / max(total, 1)
        percent = f"{share:.2%}" if share < 0.01 else f"{share:.0%}"   # ResNet frozen: 0.04 %
        self.summary.setText(f"Trainable: {trainable:,} of {total:,} parameters ({percent})")
        rows = []
        for row in layer_states(model, depth):
            state = "none" if row.params == 0 else ("frozen" if row.frozen else "trainable")
            params = f"{row.params:,}" if row.trainable in (0, row.params) else \
                f"{row.trainable:,} of {row.params:,}"
            shown = NEW_HEAD if row.name == head else STATE_TEXT[state]
            rows.append((f"{row.name}  {row.kind}", params, shown))
        self._shown = rows
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            color = {"trains": TRAINABLE_COLOR, NEW_HEAD: TRAINABLE_COLOR,
                     "frozen": FROZEN_COLOR}.get(values[2])
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if color is not None:
                    item.setBackground(QBrush(QColor(color)))
                    item.setForeground(QBrush(QColor("#111111")))
                self.table.setItem(r, c, item)

    def rows(self) -> list[tuple[str, str, str]]:
        """What the table shows: ("name  Kind", parameters, state) per row."""
        return list(self._shown)
