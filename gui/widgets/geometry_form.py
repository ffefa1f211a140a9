"""`GeometryForm`: a sliding window's size, stride, padding and dilation, with the output-size
formula filled in. One form for the Convolution page, its layer calculator and the Pooling page.

Each setting is a (height, width) pair. Until "separate height / width" is ticked, one spin box
sets both (its column says "both") and the pair stays equal; ticked, a width column appears. The
formula is `engine.geometry.output_size_formula`: the notes' ⌊(N − K + 2P)/S⌋ + 1, saying when
a dilation changes K.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QSpinBox

from engine.geometry import output_size, output_size_formula
from gui import style
from gui.bind import Bindings, StateError

ROWS = {  # field -> (label, tooltip for both directions)
    "kernel": ("Window", "Window size k: the window covers k × k cells"),
    "stride": ("Stride", "Stride s: how many cells the window moves between steps"),
    "padding": ("Padding", "Padding p: cells added on every side of the input before sliding"),
    "dilation": ("Dilation", "Dilation d: the kernel's taps are d cells apart "
                             "(it spans d·(k − 1) + 1 cells)"),
}
LIMITS = {"kernel": (1, 7), "stride": (1, 8), "padding": (0, 8), "dilation": (1, 5)}


@dataclass
class WindowGeometry:
    """How a window slides, per direction as (height, width)."""
    kernel: tuple[int, int] = (3, 3)     # window size (pooling; a conv's comes from its kernel)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    separate: bool = False               # height and width set apart (else one value for both)


FORMULA_MAX_WIDTH = 360   # px at 100 % text (it grows with the presenter scale)


class GeometryForm(QGroupBox):
    """Spin boxes for the chosen `rows` (of "kernel", "stride", "padding", "dilation") and the
    formula. `changed()` after any change; `pair(name)` is a setting as (height, width)."""

    changed = Signal()

    def __init__(self, rows=("stride", "padding", "dilation"), defaults: WindowGeometry | None = None,
                 limits: dict[str, tuple[int, int]] | None = None,
                 title: str = "Stride, padding, dilation", axes: tuple[str, ...] = ("H", "W"),
                 labels: dict[str, str] | None = None, parent=None):
        super().__init__(title, parent)
        self.rows = tuple(rows)
        self.axes = axes            # ("L",): one direction only (a signal), no width column
        self.limits = {**LIMITS, **(limits or {})}
        self.settings = defaults or WindowGeometry()
        self.bind = Bindings(self.settings, self._on_changed)
        self.spins: dict[str, tuple[QSpinBox, QSpinBox]] = {}
        grid = QGridLayout(self)
        self.first_header = QLabel("both")
        self.width_header = QLabel("width")
        grid.addWidget(self.first_header, 0, 1)
        grid.addWidget(self.width_header, 0, 2)
        for r, name in enumerate(self.rows, 1):
            label, tip = ROWS[name]
            label = (labels or {}).get(name, label)
            pair = (self._spin(name, tip), self._spin(name, tip))
            self.spins[name] = pair
            grid.addWidget(QLabel(label), r, 0)
            grid.addWidget(pair[0], r, 1)
            grid.addWidget(pair[1], r, 2)
            self.bind.field(name, self._checker(name), self._shower(name))
            self._shower(name)(getattr(self.settings, name))
        self.separate_check = self.bind.check("separate", QCheckBox("separate height / width"))
        self.separate_check.setToolTip("Set the height and the width apart (a non-square window)")
        grid.addWidget(self.separate_check, len(self.rows) + 1, 0, 1, 3)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextFormat(Qt.PlainText)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.formula.setToolTip("The output size, as the lecture notes write it: "
                                "⌊(N − K + 2P) / S⌋ + 1 (N input, K kernel, P padding, S stride)")
        style.set_role(self.formula, "equation")
        grid.addWidget(self.formula, len(self.rows) + 2, 0, 1, 3)
        style.presenter().scaleChanged.connect(self._fit_formula)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self._show_separate()
        if len(axes) == 1:
            for w in (self.first_header, self.separate_check):
                w.hide()

    def _spin(self, name: str, tip: str) -> QSpinBox:
        lo, hi = self.limits[name]
        spin = QSpinBox(minimum=lo, maximum=hi)
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda _v, n=name: self._on_spin(n))
        return spin

    # -- binding --------------------------------------------------------------------------------
    def _checker(self, name: str):
        lo, hi = self.limits[name]

        def check(value):
            if isinstance(value, list):
                value = tuple(value)
            if not (isinstance(value, tuple) and len(value) == 2 and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise StateError(name, f"needs a (height, width) pair of whole numbers, "
                                       f"got {value!r}")
            if not all(lo <= v <= hi for v in value):
                raise StateError(name, f"{value!r} is outside {lo}…{hi}")
            return value
        return check

    def _shower(self, name: str):
        def show(value):
            for spin, v in zip(self.spins[name], value):
                with QSignalBlocker(spin):
                    spin.setValue(v)
        return show

    def _on_spin(self, name: str) -> None:
        first, second = (s.value() for s in self.spins[name])
        self.bind.set(name, (first, second if self.settings.separate else first))

    def _on_changed(self, name: str) -> None:
        self._show_separate()
        if name == "separate" and not self.settings.separate:
            equal = {n: (getattr(self.settings, n)[0],) * 2 for n in self.rows
                     if len(set(getattr(self.settings, n))) > 1}
            if equal:                       # back to one value for both: the height's
                self.bind.apply(equal)      # (which calls this again, and that one tells)
                return
        self.changed.emit()

    def _show_separate(self) -> None:
        on = self.settings.separate and len(self.axes) == 2
        self.first_header.setText("height" if on else "both")
        self.width_header.setVisible(on)
        for name, (first, second) in self.spins.items():
            second.setVisible(on)
            tip = ROWS[name][1]
            first.setToolTip(f"{tip} (height)" if on else tip if len(self.axes) == 1 else
                             f"{tip} (height and width alike)")
            second.setToolTip(f"{tip} (width)")

    # -- values ---------------------------------------------------------------------------------
    def pair(self, name: str) -> tuple[int, int]:
        return tuple(getattr(self.settings, name))

    def state(self) -> dict:
        """The shown rows and "separate" (a pooling form has no dilation, a conv's no window)."""
        values = self.bind.to_dict()
        return {k: values[k] for k in (*self.rows, "separate")}

    def apply_state(self, state: dict) -> None:
        """Raises StateError (nothing changes) on a bad value, or when height and width differ
        while "separate" is off."""
        if not isinstance(state, dict):
            raise StateError("geometry", "needs a table of settings")
        for key in state:
            if key not in (*self.rows, "separate"):
                raise StateError(key, "is not a setting of this form")
        separate = state.get("separate", self.settings.separate)
        if separate is False:
            for name in self.rows:
                value = state.get(name, getattr(self.settings, name))
                if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] != value[1]:
                    raise StateError(name, "has a different height and width, but 'separate' "
                                           "is off")
        self.bind.apply(state)

    def reset(self) -> None:
        self.bind.apply({k: getattr(self.bind.defaults, k) for k in (*self.rows, "separate")})

    def controls(self) -> dict:
        return {**self.bind.widgets(), **{n: pair[0] for n, pair in self.spins.items()}}

    # -- the formula ----------------------------------------------------------------------------
    def show_sizes(self, size: tuple[int, ...], kernel: tuple[int, ...] | None = None) -> None:
        """The formula for an input of `size` ((H, W), or (L,) for one axis) and a kernel (or
        this form's window)."""
        k = kernel if kernel is not None else self.pair("kernel")
        s, p, d = (self.pair(n) if n in self.rows else (w, w)
                   for n, w in (("stride", 1), ("padding", 0), ("dilation", 1)))
        lines = [output_size_formula(size[a], k[a], s[a], p[a], d[a], name)
                 for a, name in enumerate(self.axes)]
        try:
            out = [output_size(size[a], k[a], s[a], p[a], d[a]) for a in range(len(self.axes))]
            lines.append(f"{'×'.join(map(str, size))} → {'×'.join(map(str, out))}")
        except ValueError:
            lines.append(f"{'×'.join(map(str, size))} → no output")
        self.formula.setText("\n".join(lines))
        self._fit_formula()

    def _fit_formula(self, _factor: float | None = None) -> None:
        """The formula as wide as its longest line (so "= 3" does not wrap onto a line of its
        own), up to a cap past which a long formula wraps after all; again after the presenter
        scale changed its font."""
        metrics = self.formula.fontMetrics()
        widest = max((metrics.horizontalAdvance(line) for line in self.formula.text().split("\n")),
                     default=0)
        self.formula.setMinimumWidth(min(widest + 4, int(FORMULA_MAX_WIDTH * style.factor())))
