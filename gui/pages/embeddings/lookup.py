"""The nn.Embedding tab: the notes' `nn.Embedding(6, 2)` on [[0, 1, 2], [3, 4, 5]], with numbers.

Top: the ids (2, 3), the table (6, 2) and the output (2, 3, 2) as two (3, 2) slices; clicking an
id (or an output row, or a table row) follows one position, outlined everywhere. Middle: the
same row the long way, a one-hot vector times the table, next to the lookup (engine numbers).
Bottom: one word of the app's vocabulary as a one-hot vector and as its dense vector, drawn to
the same scale, and the table's parameter count V·E.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.embeddings import encoding_sizes, lookup_example, one_hot_product
from gui import style
from gui.widgets.matrix_view import MatrixView
from gui.widgets.vector_strip import VectorStrip

CODE = ("embedding = nn.Embedding(6, 2)                # torch.manual_seed(0)\n"
        "ids = torch.tensor([[0, 1, 2], [3, 4, 5]])    # (2, 3)\n"
        "out = embedding(ids)                          # (2, 3, 2)")


def _numbers(view: MatrixView, values: np.ndarray, row_labels=None, col_labels=None,
             levels=None) -> None:
    """Show `values` with their numbers, rows and columns labelled."""
    view.show_numbers = True
    view.set_matrix(values, levels=levels)
    view.plot.showAxis("left", row_labels is not None)
    view.plot.showAxis("bottom", False)
    view.plot.showAxis("top", col_labels is not None)
    if row_labels is not None:
        view.plot.getAxis("left").setTicks([[(i + 0.5, t) for i, t in enumerate(row_labels)], []])
    if col_labels is not None:
        view.plot.getAxis("top").setTicks([[(i + 0.5, t) for i, t in enumerate(col_labels)], []])


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignCenter)
    return label


class LookupTab(QWidget):
    """Emits `cellChosen(flat index into the ids)` when the user clicks an id or an output row."""

    cellChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.example = lookup_example()
        b, t = self.example.ids.shape
        v, e = self.example.weight.shape
        self.cell = 0
        code = style.set_role(QLabel(CODE), "code")
        code.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.ids_view = MatrixView(colormap="gray", show_numbers=True, number_format="{:.0f}")
        # ids on a pale grey scale, so every number reads in dark ink
        _numbers(self.ids_view, self.example.ids.astype(np.float32),
                 [f"sentence {k}" for k in range(b)], [f"t={k}" for k in range(t)],
                 levels=(-2.0 * v, 1.0 * v))
        top_level = float(np.abs(self.example.weight).max())
        levels = (-top_level, top_level)      # the output's colours are the table's colours
        self.table_view = MatrixView(colormap="diverging", show_numbers=True)
        _numbers(self.table_view, self.example.weight, [f"row {k}" for k in range(v)],
                 [f"d{k}" for k in range(e)], levels)
        self.out_views = []
        for k in range(b):
            view = MatrixView(colormap="diverging", show_numbers=True)
            _numbers(view, self.example.output[k], [f"t={j}" for j in range(t)],
                     [f"d{j}" for j in range(e)], levels)
            self.out_views.append(view)
        for view in (self.ids_view, self.table_view, *self.out_views):
            view.setMinimumSize(110, 110)
        for view in (self.table_view, *self.out_views):   # wide cells, so the numbers fit
            view.plot.setAspectLocked(False)
        self.ids_view.cellClicked.connect(lambda r, c: self.cellChosen.emit(r * t + c))
        for k, view in enumerate(self.out_views):
            view.cellClicked.connect(lambda r, _c, k=k: self.cellChosen.emit(k * t + r))
        self.table_view.cellClicked.connect(self._on_table_row)

        top = QGridLayout()
        top.addWidget(_caption("<b>token ids</b> (2, 3)"), 0, 0)
        top.addWidget(_caption("<b>embedding.weight</b> (6, 2)"), 0, 2)
        top.addWidget(_caption("<b>out[0]</b> (3, 2)"), 0, 4)
        top.addWidget(_caption("<b>out[1]</b> (3, 2)"), 0, 5)
        top.addWidget(self.ids_view, 1, 0)
        top.addWidget(_caption("look up\nrow id →"), 1, 1)
        top.addWidget(self.table_view, 1, 2)
        top.addWidget(_caption("→"), 1, 3)
        top.addWidget(self.out_views[0], 1, 4)
        top.addWidget(self.out_views[1], 1, 5)
        for col, stretch in ((0, 3), (2, 2), (4, 2), (5, 2)):
            top.setColumnStretch(col, stretch)
        top.setRowStretch(1, 1)
        self.lookup_text = QLabel()
        self.lookup_text.setWordWrap(True)

        # -- the same row as a matrix product --
        product_box = QGroupBox("The same row the long way: one-hot vector @ table")
        self.one_hot_view = VectorStrip(levels=(-1.0, 1.0))
        self.one_hot_view.number_format = "{:.0f}"
        self.product_view = VectorStrip(levels=None)
        self.row_view = VectorStrip(levels=None)
        self.one_hot_title = QLabel()
        self.equal_label = style.set_role(QLabel(), "big")
        row = QGridLayout(product_box)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.one_hot_title, 0, 0)
        row.addWidget(QLabel("one_hot @ weight (1, 2)"), 0, 2)
        self.row_title = QLabel()
        row.addWidget(self.row_title, 0, 4)
        row.addWidget(self.one_hot_view, 1, 0)
        row.addWidget(_caption("@ weight\n(6, 2) ="), 1, 1)
        row.addWidget(self.product_view, 1, 2)
        row.addWidget(self.equal_label, 1, 3)
        row.addWidget(self.row_view, 1, 4)
        row.setColumnStretch(0, 6)
        row.setColumnStretch(2, 2)
        row.setColumnStretch(4, 2)

        # -- one-hot against dense for the app's vocabulary --
        self.sizes_box = QGroupBox("One word of the app's vocabulary")
        self.sizes_text = QLabel()
        self.sizes_text.setWordWrap(True)
        self.word_one_hot = VectorStrip(levels=(-1.0, 1.0))
        self.word_dense = VectorStrip(levels=None)
        for strip in (self.word_one_hot, self.word_dense):   # V cells across: thin, not square
            strip.plot.setAspectLocked(False)
            strip.setMinimumSize(20, 30)
            strip.setMaximumHeight(30)
        for strip in (self.one_hot_view, self.product_view, self.row_view):
            strip.setMaximumHeight(58)
        self.one_hot_caption, self.dense_caption = QLabel(), QLabel()
        sizes = QGridLayout(self.sizes_box)
        sizes.setContentsMargins(6, 4, 6, 4)
        sizes.addWidget(self.sizes_text, 0, 0, 1, 2)
        sizes.addWidget(self.one_hot_caption, 1, 0)
        sizes.addWidget(self.word_one_hot, 1, 1)
        sizes.addWidget(self.dense_caption, 2, 0)
        self.dense_row = QHBoxLayout()
        self.dense_row.setContentsMargins(0, 0, 0, 0)
        self.dense_row.addWidget(self.word_dense)
        self.dense_row.addStretch(1)
        sizes.addLayout(self.dense_row, 2, 1)
        sizes.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(code)
        layout.addLayout(top, 1)
        layout.addWidget(self.lookup_text)
        layout.addWidget(product_box)
        layout.addWidget(self.sizes_box)
        self.show_cell(0)

    def _on_table_row(self, row: int, _col: int) -> None:
        where = np.flatnonzero(self.example.ids.ravel() == row)
        if len(where):
            self.cellChosen.emit(int(where[0]))

    def show_cell(self, cell: int) -> None:
        """Follow position `cell` (row-major in the ids): outline it, its row and its output."""
        ex = self.example
        b, t = ex.ids.shape
        self.cell = cell
        s, pos = divmod(cell, t)
        token = int(ex.ids[s, pos])
        self.ids_view.set_highlight((s, pos, 1, 1))
        self.table_view.set_highlight((token, 0, 1, ex.weight.shape[1]))
        for k, view in enumerate(self.out_views):
            view.set_highlight((pos, 0, 1, ex.weight.shape[1]) if k == s else None)
        vec = ex.output[s, pos]
        self.lookup_text.setText(
            f"ids[{s}, {pos}] = {token}, so out[{s}, {pos}] is row {token} of the table: "
            f"[{vec[0]:.4f}, {vec[1]:.4f}]. No multiplication: the id is an index.")
        one_hot, product = one_hot_product(ex.weight, token)
        self.one_hot_title.setText(f"F.one_hot({token}, 6) (1, 6)")
        self.row_title.setText(f"the lookup: weight[{token}]")
        self.one_hot_view.set_vector(one_hot, mark=token)
        self.product_view.set_vector(product)
        self.row_view.set_vector(ex.weight[token])
        same = np.array_equal(product, ex.weight[token])
        self.equal_label.setText("=" if same else "≠")
        self.equal_label.setToolTip("the product and the looked-up row are equal, number for "
                                    "number" if same else "they differ")

    def show_sizes(self, word: str, index: int, vector: np.ndarray, vocab_size: int,
                   source: str) -> None:
        """`word` (id `index`) as a one-hot of length V and as its dense vector from `source`."""
        sizes = encoding_sizes(vocab_size, len(vector))
        v, e = sizes.vocab_size, sizes.embedding_dim
        self.sizes_box.setTitle(f"One word of the app's vocabulary: {word!r} (id {index})")
        self.sizes_text.setText(
            f"V = {v} words. As a one-hot vector a word needs {sizes.one_hot_length} numbers "
            f"({v - 1} zeros and one 1); as an embedding ({source}) {sizes.dense_length} "
            f"numbers, all learned. The table holds V·E = {v} × {e} = "
            f"{sizes.parameters:,} parameters.")
        one_hot = np.zeros(v, np.float32)
        one_hot[index] = 1.0
        self.one_hot_caption.setText(f"one-hot ({v})")
        self.dense_caption.setText(f"dense ({e})")
        self.word_one_hot.set_vector(one_hot, mark=index)
        self.word_dense.set_vector(vector)
        # the same width per number in both strips: the dense one is E / V as long
        self.dense_row.setStretch(0, e)
        self.dense_row.setStretch(1, max(v - e, 0))
