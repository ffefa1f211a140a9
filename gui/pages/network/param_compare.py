"""The "CNN vs MLP" tab: a CNN's parameters next to those of the MLP the notes compare it with.

The MLP has the CNN's own hidden widths (LeNet-5: 120, 84) but reads the raw pixels, so only
its first layer differs: one weight per pixel per unit. The numbers come from
engine.models.cnn_vs_mlp_counts (both models built on torch's meta device: instant at any
image size); this panel lays them out, two layer tables, the totals and the ratio.
"""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QTableWidgetItem, QVBoxLayout, QWidget,
)

from engine.models import ARCHITECTURE_LABELS, LayerRow, ParameterComparison, cnn_vs_mlp_counts
from gui import style
from gui.widgets.layer_table import LayerTable

# the CNNs offered (each has hidden fully connected layers, so an MLP width to copy)
COMPARE_ARCHS = {a: ARCHITECTURE_LABELS[a] for a in ("lenet5", "cifarnet", "notes_cifar",
                                                      "notes_mnist")}
CHANNELS = {"lenet5": 1, "notes_mnist": 1, "cifarnet": 3, "notes_cifar": 3}  # grey or colour
SIZES = {28: "28×28 (MNIST)", 32: "32×32 (CIFAR)", 64: "64×64", 128: "128×128",
         224: "224×224 (ImageNet)"}
CONV_KINDS = ("Conv2d", "BatchNorm2d")


def input_shape(arch: str, size: int) -> tuple[int, int, int]:
    """(C, H, W) of the input the comparison uses: the net's usual channels, `size` square."""
    return CHANNELS[arch], size, size


class RowsTable(LayerTable):
    """A LayerTable filled from engine.models.LayerRow rows (no model needed)."""

    def show_rows(self, rows: list[LayerRow]) -> int:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            shape = "×".join(str(s) for s in row.output_shape)
            for c, text in enumerate((row.kind, shape, f"{row.params:,}")):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{row.kind} ({row.name})")
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)
        self.total = sum(row.params for row in rows)
        return self.total

    def cells(self) -> list[tuple[str, str, str]]:
        """What the table shows, row by row (kind, output shape, parameters)."""
        return [tuple(self.item(r, c).text() for c in range(3)) for r in range(self.rowCount())]


def why_text(cmp: ParameterComparison, shape: tuple[int, int, int]) -> str:
    """The sentence for students under the totals, with this comparison's own numbers."""
    conv = sum(r.params for r in cmp.cnn if r.kind in CONV_KINDS)
    first_cnn = next(r for r in cmp.cnn if r.kind == "Linear")
    first_mlp = next(r for r in cmp.mlp if r.kind == "Linear")
    pixels = math.prod(shape)
    flat = first_cnn.params // first_cnn.output_shape[0] - 1
    units = first_mlp.output_shape[0]
    text = (f"<b>Weight sharing:</b> each kernel is reused at every position, so the "
            f"convolutions hold {conv:,} parameters at <i>any</i> image size. The MLP's first "
            f"fully connected layer sees every pixel: {pixels:,} pixels × {units} units "
            f"+ {units} biases = {first_mlp.params:,}.")
    if cmp.cnn_total > cmp.mlp_total:
        text += (f" Here the CNN has more: its first fully connected layer reads the "
                 f"{flat:,} numbers its convolutions leave (more than the {pixels:,} pixels: "
                 f"many channels, little pooling), {first_cnn.params:,} parameters.")
    return text


class CnnVsMlpPanel(QWidget):
    """Two layer tables side by side, the totals and the ratio in big text, and why."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.comparison: ParameterComparison | None = None
        self.arch = QComboBox()
        self.arch.setToolTip("The CNN to compare; the MLP copies its hidden fully connected "
                             "widths and reads the raw pixels instead of feature maps")
        self.size_combo = QComboBox()
        self.size_combo.setToolTip("The input image size (square): the convolutions' parameters stay "
                             "the same, the fully connected layers grow with it")
        self.cnn_table, self.mlp_table = RowsTable(), RowsTable()
        self.cnn_title = style.set_role(QLabel("CNN"), "title", bold=True)
        self.mlp_title = style.set_role(QLabel("MLP"), "title", bold=True)
        self.cnn_total = style.set_role(QLabel(""), "big", bold=True)
        self.mlp_total = style.set_role(QLabel(""), "big", bold=True)
        self.ratio = style.set_role(QLabel(""), "huge", bold=True)
        self.ratio.setAlignment(Qt.AlignCenter)
        self.ratio.setToolTip("MLP parameters ÷ CNN parameters, for the same hidden widths")
        self.why = style.set_role(QLabel(""), "body")
        self.why.setWordWrap(True)
        self.train_note = style.set_role(QLabel(
            "Both can be trained on the <b>Train a CNN</b> page: its model list has the MLP "
            "next to the CNNs."), "small")
        self.train_note.setWordWrap(True)
        self._layout()

    def _layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("CNN"))
        controls.addWidget(self.arch, 2)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Input"))
        controls.addWidget(self.size_combo, 1)
        controls.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.cnn_title, 0, 0)
        grid.addWidget(self.mlp_title, 0, 2)
        grid.addWidget(self.cnn_table, 1, 0)
        grid.addWidget(self.ratio, 1, 1)
        grid.addWidget(self.mlp_table, 1, 2)
        grid.addWidget(self.cnn_total, 2, 0)
        grid.addWidget(self.mlp_total, 2, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 3)
        grid.setRowStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addLayout(grid, 1)
        layout.addWidget(self.why)
        layout.addWidget(self.train_note)

    def show_comparison(self, arch: str, size: int) -> ParameterComparison | None:
        shape = input_shape(arch, size)
        try:
            cmp = cnn_vs_mlp_counts(arch, shape)
        except (ValueError, RuntimeError) as exc:   # a net too deep for so small an input
            self.comparison = None
            self.cnn_table.clear_rows()
            self.mlp_table.clear_rows()
            for label in (self.cnn_total, self.mlp_total, self.ratio):
                label.setText("")
            self.why.setText(f"{COMPARE_ARCHS[arch]} cannot take a {size}×{size} input: {exc}")
            return None
        self.comparison = cmp
        self.cnn_table.show_rows(cmp.cnn)
        self.mlp_table.show_rows(cmp.mlp)
        c, h, w = shape
        hidden = ", ".join(map(str, cmp.mlp_kwargs["hidden"]))
        self.cnn_title.setText(f"CNN: {COMPARE_ARCHS[arch]}")
        self.mlp_title.setText(f"MLP: {c}×{h}×{w} pixels → {hidden} → 10")
        self.cnn_total.setText(f"{cmp.cnn_total:,} parameters")
        self.mlp_total.setText(f"{cmp.mlp_total:,} parameters")
        ratio = cmp.mlp_total / cmp.cnn_total
        self.ratio.setText(f"MLP = {ratio:.2f} × CNN" if ratio >= 1 else
                           f"CNN = {1 / ratio:.2f} × MLP")
        self.why.setText(why_text(cmp, shape))
        return cmp
