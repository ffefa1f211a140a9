"""`InputSourceBox`: where a page's input comes from: a numeric grid, a sample photo, a drawing
pad, a grid typed in, an image file, or a source the page adds (a random grid, another page's
feature map), in grey or in RGB.

The box holds the input in force (`current()`: (H, W), or (3, H, W) in RGB) and says
`inputChanged()` when it changes. A choice that cannot be used (a typed grid with a word in it,
a damaged file) is refused with a message and the previous input stays; a source with nothing
to give yet (`SourceUnavailable`, e.g. no feature map) stays chosen with a one-line note, and
the page calls `reload()` once it has something. Its state is the choice, not the pixels: the
source, grey/RGB, the typed text, the file's path and the pad's painted cells.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit,
    QPushButton, QRadioButton, QSpinBox, QStackedWidget, QVBoxLayout, QWidget,
)

from engine.images import ImageLoadError, gray_to_rgb_grid, load_image, sample_photo
from gui.bind import Bindings, StateError
from gui.widgets.grid_text import MAX_TYPED, grid_text, parse_grid

GRID_PREFIX, PHOTO_PREFIX = "Numbers: ", "Photo: "
PAD, TYPED, FILE = "Drawing pad", "Type a grid", "Image file"
MAX_PAD = 20
IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class SourceUnavailable(Exception):
    """A source with nothing to give yet; the message says what to do (one sentence)."""


@dataclass
class InputChoice:
    """Which input is in force (the pixels follow from it)."""
    source: str = ""          # the entry chosen, e.g. "Numbers: worked example 4×4"
    rgb: bool = False         # three colour channels (where the box offers colour)
    typed: str = "0 1 0\n1 1 1\n0 1 0"   # the typed grid in use, one row per line
    file: str = ""            # the image file in use
    pad_size: int = 10        # the drawing pad's side, in cells
    pad: tuple = ()           # the pad's painted cells, ((row, col), ...)


class InputSourceBox(QGroupBox):
    inputChanged = Signal()
    message = Signal(str, str)   # (text, level) for the status bar

    def __init__(self, grids: dict[str, np.ndarray], photos=(), pad: bool = False,
                 typed: bool = False, file: bool = False, colour: bool = False,
                 default: str | None = None, typed_default: np.ndarray | None = None,
                 title: str = "Input", parent=None):
        super().__init__(title, parent)
        self.grids = {GRID_PREFIX + name: g for name, g in grids.items()}
        names = [*self.grids, *(PHOTO_PREFIX + p for p in photos)]
        names += [n for n, on in ((PAD, pad), (TYPED, typed), (FILE, file)) if on]
        self.names = names
        self.providers: dict[str, Callable[[], np.ndarray]] = {}
        initial = InputChoice(source=default or names[0])
        if typed_default is not None:
            initial.typed = grid_text(typed_default)
        self.settings = initial
        self.bind = Bindings(self.settings, self._on_control)
        self._array = np.zeros((1, 1), np.float32)
        self._quiet = False

        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(14)
        self.combo.setMaxVisibleItems(20)
        self.combo.setToolTip("What to slide the window over")
        self.combo.addItems(names)
        self.combo.activated.connect(lambda i: self.choose(self.combo.itemText(i)))
        self.bind.field("source", self._check_source, self._show_source)
        self.extra = QStackedWidget()
        self.extra.addWidget(QWidget())
        self.extra_index: dict[str, int] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.combo)
        self.colour_row = self._colour_row() if colour else None
        if self.colour_row is not None:
            layout.addWidget(self.colour_row)
        if pad:
            self._add_extra(PAD, self._pad_controls())
        if typed:
            self._add_extra(TYPED, self._typed_controls())
        if file:
            self._add_extra(FILE, self._file_controls())
        self.bind.field("typed", self._check_typed, self._show_typed)
        self.bind.field("file", self._check_file, lambda _v: None)
        self.bind.field("pad", self._check_pad, lambda _v: None)
        layout.addWidget(self.extra)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        self._show_source(self.settings.source)
        self.error.hide()

    # -- building -------------------------------------------------------------------------------
    def _colour_row(self) -> QWidget:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.gray_radio = QRadioButton("Grey")
        self.gray_radio.setToolTip("One channel: brightness")
        self.rgb_radio = QRadioButton("RGB (3 channels)")
        self.rgb_radio.setToolTip("Three channels (red, green, blue): each filter gets one "
                                  "kernel slice per channel")
        group = QButtonGroup(self)
        group.addButton(self.gray_radio)
        group.addButton(self.rgb_radio)
        self.bind.radio("rgb", group, {False: self.gray_radio, True: self.rgb_radio})
        line.addWidget(self.gray_radio)
        line.addWidget(self.rgb_radio)
        line.addStretch(1)
        return row

    def _pad_controls(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("Paint on the input: left button draws, right erases")
        hint.setWordWrap(True)
        row.addWidget(hint, 1)
        size = self.bind.spin("pad_size", QSpinBox(minimum=3, maximum=MAX_PAD, prefix="size "))
        size.setToolTip("The drawing pad's height and width, in cells")
        row.addWidget(size)
        clear = QPushButton("Clear")
        clear.setToolTip("Erase the whole drawing pad")
        clear.clicked.connect(self.clear_pad)
        row.addWidget(clear)
        return box

    def _typed_controls(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.grid_edit = QPlainTextEdit()
        self.grid_edit.setToolTip(f"One row per line, numbers apart by spaces or commas "
                                  f"(at most {MAX_TYPED}×{MAX_TYPED})")
        self.grid_edit.setPlaceholderText("one row per line, e.g.\n0 1 0\n1 1 1\n0 1 0")
        self.grid_edit.setMaximumHeight(6 * self.grid_edit.fontMetrics().lineSpacing())
        self.grid_edit.setPlainText(self.settings.typed)
        use = QPushButton("Use these numbers")
        use.setToolTip("Make the grid typed above the input")
        use.clicked.connect(lambda: self.use_typed(self.grid_edit.toPlainText()))
        column.addWidget(self.grid_edit)
        column.addWidget(use)
        return box

    def _file_controls(self) -> QWidget:
        button = QPushButton("Open another image…")
        button.setToolTip("Load a PNG or JPEG from disk")
        button.clicked.connect(self.open_dialog)
        return button

    def _add_extra(self, name: str, widget: QWidget | None) -> None:
        if widget is not None:
            self.extra_index[name] = self.extra.addWidget(widget)

    def add_source(self, name: str, provider: Callable[[], np.ndarray],
                   controls: QWidget | None = None) -> None:
        """A source of the page's own: `provider()` gives (H, W) values, or raises
        SourceUnavailable (nothing yet) or ValueError (cannot be used)."""
        self.names.append(name)
        self.providers[name] = provider
        self.combo.addItem(name)
        self._add_extra(name, controls)

    # -- checks (for the bindings: a lesson's values are checked before anything changes) -------
    def _check_source(self, value):
        if value not in self.names:
            raise StateError("source", f"{value!r} is not one of the inputs offered here")
        return value

    @staticmethod
    def _check_typed(value):
        if not isinstance(value, str) or len(value) > 4000:
            raise StateError("typed", "needs the typed grid as text")
        try:
            parse_grid(value)
        except ValueError as e:
            raise StateError("typed", str(e)) from None
        return value

    @staticmethod
    def _check_file(value):
        if not isinstance(value, str):
            raise StateError("file", f"needs a file path, got {value!r}")
        return value

    @staticmethod
    def _check_pad(value):
        if not isinstance(value, (list, tuple)) or len(value) > MAX_PAD * MAX_PAD:
            raise StateError("pad", "needs a list of painted (row, col) cells")
        cells = set()
        for cell in value:
            if not (isinstance(cell, (list, tuple)) and len(cell) == 2 and all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 <= v < MAX_PAD
                    for v in cell)):
                raise StateError("pad", f"{cell!r} is not a (row, col) cell of the pad")
            cells.add((cell[0], cell[1]))
        return tuple(sorted(cells))

    # -- showing --------------------------------------------------------------------------------
    def _show_source(self, name: str) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentText(name)
        index = self.extra_index.get(name, 0)
        self.extra.setCurrentIndex(index)
        self.extra.setVisible(index != 0)

    def _show_typed(self, text: str) -> None:
        if hasattr(self, "grid_edit"):
            self.grid_edit.setPlainText(text)

    def _say(self, info: str = "", error: str = "") -> None:
        self.info.setText(info)
        self.info.setVisible(bool(info))
        self.error.setText(error)
        self.error.setVisible(bool(error))

    # -- loading --------------------------------------------------------------------------------
    def _load(self, choice: InputChoice) -> tuple[np.ndarray, str]:
        """The values of a choice and a notice; ValueError (or SourceUnavailable) if none."""
        name, rgb = choice.source, choice.rgb
        if name in self.grids:
            g = self.grids[name]
            return (gray_to_rgb_grid(g) if rgb else g.copy()), ""
        if name.startswith(PHOTO_PREFIX):
            photo = sample_photo(name[len(PHOTO_PREFIX):], rgb)
            return photo.pixels, photo.notice
        if name == PAD:
            grid = self.pad_values(choice)
            return (gray_to_rgb_grid(grid) if rgb else grid), ""
        if name == TYPED:
            grid = parse_grid(choice.typed)
            return (gray_to_rgb_grid(grid) if rgb else grid), ""
        if name == FILE:
            if not choice.file:
                raise ImageLoadError("no image file chosen yet")
            loaded = load_image(choice.file, rgb)
            return loaded.pixels, loaded.notice or (
                f"{Path(choice.file).name}: {loaded.pixels.shape[-1]}×"
                f"{loaded.pixels.shape[-2]} pixels")
        return np.asarray(self.providers[name](), np.float32), ""

    def _try(self, values: dict, field: str = "") -> bool:
        """Set `values`, load what they choose; on a failure say why and change nothing."""
        before = self.bind.to_dict()
        try:
            self._apply_quietly(values)
        except StateError as e:
            self._refuse(e.message)
            return False
        try:
            x, notice = self._load(self.settings)
        except SourceUnavailable as e:
            self._say(info=str(e))
            self.message.emit(str(e), "info")
            return True
        except ValueError as e:
            self._apply_quietly(before)
            self._refuse(str(e))
            return False
        self._commit(x, notice)
        return True

    def _apply_quietly(self, values: dict) -> None:
        quiet, self._quiet = self._quiet, True
        try:
            self.bind.apply(values)
        finally:
            self._quiet = quiet

    def _refuse(self, reason: str) -> None:
        text = f"Input not used: {reason}. The previous input is kept."
        self._say(error=text)
        self._show_source(self.settings.source)
        self.message.emit(text, "error")

    def _commit(self, x: np.ndarray, notice: str) -> None:
        self._array = x
        self._say(info=notice)
        if notice:
            self.message.emit(notice, "warning" if "shrunk" in notice else "info")
        if not self._quiet:
            self.inputChanged.emit()

    def _on_control(self, name: str) -> None:
        if self._quiet:
            return
        if name == "pad_size":         # cells beyond the new size are gone
            n = self.settings.pad_size
            self._apply_quietly({"pad": tuple(c for c in self.settings.pad if max(c) < n)})
        if not self.reload() and name == "rgb":
            self._apply_quietly({"rgb": not self.settings.rgb})

    # -- public ---------------------------------------------------------------------------------
    def current(self) -> np.ndarray:
        """The input in force: (H, W), or (3, H, W) in RGB."""
        return self._array

    @property
    def source(self) -> str:
        return self.settings.source

    @property
    def painting(self) -> bool:
        """The drawing pad is the input: clicks on the input paint."""
        return self.settings.source == PAD

    def choose(self, name: str) -> bool:
        if name == FILE:
            return self.open_dialog()
        return self._try({"source": name})

    def reload(self) -> bool:
        """Load the chosen source again (its provider may have something new)."""
        return self._try({})

    def use_typed(self, text: str) -> bool:
        return self._try({"typed": text, "source": TYPED})

    def open_file(self, path: str) -> bool:
        return self._try({"file": str(path), "source": FILE})

    def open_dialog(self) -> bool:
        start = str(Path(self.settings.file).parent) if self.settings.file else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", start, IMAGE_FILES)
        if not path:
            self._show_source(self.settings.source)
            return False
        return self.open_file(path)

    def pad_values(self, choice: InputChoice | None = None) -> np.ndarray:
        choice = choice or self.settings
        n = choice.pad_size
        grid = np.zeros((n, n), np.float32)
        for r, c in choice.pad:
            if r < n and c < n:
                grid[r, c] = 1.0
        return grid

    def paint_cell(self, r: int, c: int, erase: bool = False) -> None:
        """Paint (or erase) a drawing-pad cell, in input coordinates."""
        n = self.settings.pad_size
        if not (self.painting and 0 <= r < n and 0 <= c < n):
            return
        cells = set(self.settings.pad)
        if erase:
            cells.discard((r, c))
        else:
            cells.add((r, c))
        self._try({"pad": tuple(sorted(cells))})

    def clear_pad(self) -> None:
        self._try({"pad": ()})

    # -- state ----------------------------------------------------------------------------------
    def state(self) -> dict:
        values = self.bind.to_dict()
        values["pad"] = [list(c) for c in self.settings.pad]
        return values

    def apply_state(self, state: dict) -> None:
        """StateError (nothing changes) on a bad value or an input that cannot be loaded."""
        if not isinstance(state, dict):
            raise StateError("input", "needs a table of settings")
        before = self.bind.to_dict()
        self._apply_quietly(state)
        try:
            x, notice = self._load(self.settings)
        except SourceUnavailable as e:
            self._say(info=str(e))
            return
        except ValueError as e:
            field = {FILE: "file", TYPED: "typed"}.get(self.settings.source, "source")
            self._apply_quietly(before)
            raise StateError(field, str(e)) from None
        self._commit(x, notice)

    def reset(self) -> None:
        self.apply_state({k: getattr(self.bind.defaults, k) for k in self.state()})

    def controls(self) -> dict:
        return {"source": self.combo, **self.bind.widgets()}
